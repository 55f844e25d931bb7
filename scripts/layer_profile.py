"""Per-layer times of an x86 build, inside the whole model: where does the time go?

    .venv/bin/python scripts/layer_profile.py BUILD_DIR [--runs 5] [--threads 1]

BUILD_DIR is a build folder of `patcc.compile(..., target="x86")` (model.c, weights.bin,
report.json). A copy of model.c gets a clock around every layer call of `patcc_run`; a small
driver runs the model `--runs` times after one warm-up run. Printed per layer: the median
time, and for convs the effective GFLOP/s on non-zero MACs (report.json) and its share of
`--peak` (the sgemm peak per core times the threads). Unlike single-layer benchmarks
(`patcc bench --layers`), each layer here sees the caches the layer before it left.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
size_t patcc_input_elems(int); size_t patcc_output_elems(int);
size_t patcc_weights_bytes(void); size_t patcc_workspace_bytes(void);
void patcc_run(const float *const *, float *const *, const void *, void *, int);
extern int prof_it; double prof_get(int, int);
static void *buf(size_t bytes) { return aligned_alloc(64, (bytes + 127) / 64 * 64); }
int main(int argc, char **argv) {
    size_t wb = patcc_weights_bytes();
    void *w = buf(wb);
    FILE *f = fopen(argv[1], "rb");
    if (!f || fread(w, 1, wb, f) != wb) return 2;
    fclose(f);
    int runs = atoi(argv[2]), threads = atoi(argv[3]), layers = atoi(argv[4]);
    float *x = buf(patcc_input_elems(0) * 4), *y = buf(patcc_output_elems(0) * 4);
    for (size_t i = 0; i < patcc_input_elems(0); i++) x[i] = (float)(i % 1000) / 1000.f - .5f;
    void *ws = buf(patcc_workspace_bytes());
    const float *ins[1] = {x};
    float *outs[1] = {y};
    patcc_run(ins, outs, w, ws, threads);
    for (prof_it = 0; prof_it < runs; prof_it++) patcc_run(ins, outs, w, ws, threads);
    for (int l = 0; l < layers; l++) {
        for (int i = 0; i < runs; i++) printf("%f ", prof_get(l, i));
        printf("\n");
    }
    return 0;
}
"""

TIMER = """#include <time.h>
static double prof_t[1024][64];
int prof_it = 0;
static double prof_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
double prof_get(int l, int i) { return prof_t[l][i]; }
"""


def instrument(model_c: str) -> tuple[str, list[str]]:
    """model.c with a clock around each layer call in patcc_run; the layer names."""
    at = model_c.index("void patcc_run(")
    names: list[str] = []

    def wrap(m: re.Match[str]) -> str:
        names.append(m.group(2))
        i = len(names) - 1
        return (
            f"{m.group(1)}{{ double t0 = prof_now(); {m.group(2)}({m.group(3)}); "
            f"if (prof_it < 64) prof_t[{i}][prof_it] = prof_now() - t0; }}"
        )

    run = re.sub(r"^(\s*)(layer\d+_\w+)\((.*)\);", wrap, model_c[at:], flags=re.M)
    return TIMER + model_c[:at] + run, names


def build_flags(build: Path) -> list[str]:
    """The compiler flags the build's Makefile uses for the standalone harness (the vector
    extension follows the build's vector length: -mavx512f for 16 floats)."""
    for line in (build / "Makefile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["gcc"] and "main.c" in words:
            return [w for w in words[1 : words.index("main.c")] if w.startswith("-")]
    raise SystemExit(f"{build}/Makefile: no gcc line for the harness (not an x86 build?)")


def profile(build: Path, runs: int, threads: int) -> list[tuple[str, float]]:
    """(layer function, median ms) in call order."""
    source, names = instrument((build / "model.c").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "model.c").write_text(source)
        (folder / "main.c").write_text(DRIVER)
        exe = folder / "prof"
        flags = build_flags(build)
        sources = [str(folder / "main.c"), str(folder / "model.c")]
        subprocess.run(["gcc", *flags, *sources, "-lm", "-o", str(exe)], check=True)
        args = [str(build / "weights.bin"), str(runs), str(threads), str(len(names))]
        out = subprocess.run([str(exe), *args], capture_output=True, text=True, check=True)
    rows = [[float(v) for v in line.split()] for line in out.stdout.splitlines()]
    return [(n, statistics.median(ts)) for n, ts in zip(names, rows, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-layer times of an x86 build.")
    parser.add_argument("build", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--peak", type=float, default=94.0, help="GFLOP/s per core")
    args = parser.parse_args(argv)
    report = json.loads((args.build / "report.json").read_text())["layers"]
    convs = iter([r for r in report if "conv" in r["op"]])
    peak = args.peak * args.threads
    total = 0.0
    for name, ms in profile(args.build, min(args.runs, 64), args.threads):
        total += ms
        line = f"{name:32s} {ms:9.2f} ms"
        row = next(convs) if "conv" in name else None
        if row is not None:
            gflops = 2 * row["nonzero_macs"] / ms / 1e6
            line += f"  {gflops:6.1f} GFLOP/s  {100 * gflops / peak:4.0f}% of peak"
        print(line)
    print(f"{'sum':32s} {total:9.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
