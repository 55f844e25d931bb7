"""Per-layer times of x86 builds inside the whole model: where does the time go, and what
did a change do to each layer?

    .venv/bin/python scripts/layer_profile.py BUILD_DIR [BUILD_DIR ...] [--runs 7] [--threads 1]

Each BUILD_DIR is a build folder of `patcc.compile(..., target="x86")` (model.c, weights.bin,
model.json, report.json). A copy of its model.c gets a clock around every layer call of
`patcc_run` and is built as the build's shared library (the Makefile's gcc line); all the
builds are loaded into this one process through patcc's runtime (`CompiledModel`) and run
in turns by `patcc.bench.timing.interleave` (one run of each per round, each round starting
with the next build), after a warm-up run each. Printed per layer: each
build's median time; for one build, a conv's effective GFLOP/s on its non-zero MACs
(report.json) and its share of `--peak` times the threads; for several, each one's
speed-up over the first. Why turns: whole runs on the 2-core VM drift by 15-20 % within
seconds, and identical code timed in two processes disagreed by that much (FC1 24.5 vs
19.1 ms, docs/performance.md); taking turns puts every build in the same minutes, as
`scripts/compare_builds.py` does for whole runs. Unlike `patcc bench --layers`, each layer
sees the caches the layer before it left.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import re
import shlex
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from patcc.bench.timing import interleave
from patcc.runtime.backends import SharedLibrary
from patcc.runtime.builder import SHARED_LIBRARY
from patcc.runtime.loader import CompiledModel

MAX_RUNS = 64
TIMER = f"""#include <time.h>
static double prof_t[1024][{MAX_RUNS}];
int prof_it = 0;
static double prof_now(void) {{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}}
double prof_get(int l, int i) {{ return prof_t[l][i]; }}
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
            f"if (prof_it < {MAX_RUNS}) prof_t[{i}][prof_it] = prof_now() - t0; }}"
        )

    run = re.sub(r"^(\s*)(layer\d+_\w+)\((.*)\);", wrap, model_c[at:], flags=re.M)
    return TIMER + model_c[:at] + run, names


def library_command(build: Path) -> list[str]:
    """The gcc command of the build's Makefile for its shared library (the vector extension
    follows the build's vector length: -mavx512f for 16 floats)."""
    library = SHARED_LIBRARY["x86"]
    for line in (build / "Makefile").read_text().splitlines():
        words = shlex.split(line)
        if words[:1] == ["gcc"] and words[-2:] == ["-o", library]:
            return words
    raise SystemExit(f"{build}/Makefile: no gcc line for {library} (not an x86 build?)")


class Instrumented:
    """A build's copy in `folder` with the instrumented library; its model and clocks."""

    def __init__(self, build: Path, folder: Path, threads: int) -> None:
        source, self.names = instrument((build / "model.c").read_text())
        folder.mkdir()
        (folder / "model.c").write_text(source)
        shutil.copyfile(build / "model.json", folder / "model.json")
        (folder / "weights.bin").symlink_to((build / "weights.bin").resolve())
        subprocess.run(library_command(build), cwd=folder, check=True)
        self.model = CompiledModel(folder, threads=threads)
        if not isinstance(self.model.backend, SharedLibrary):
            raise SystemExit(f"{build}: not a shared-library build (x86)")
        lib = self.model.backend.lib
        self.it = ctypes.c_int.in_dll(lib, "prof_it")
        self.get = lib.prof_get
        self.get.restype, self.get.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.c_int]
        rng = np.random.default_rng(0)
        self.feed = {t.name: rng.standard_normal(t.shape, np.float32) for t in self.model.inputs}

        self.calls = 0

    def __call__(self) -> None:
        """One run; its layer times go to the next slot, the first (warm-up) run's to none."""
        self.it.value = self.calls - 1 if self.calls else MAX_RUNS
        self.calls += 1
        self.model.run(self.feed)

    def medians(self, runs: int) -> dict[str, float]:
        return {
            n: statistics.median(self.get(i, r) for r in range(runs))
            for i, n in enumerate(self.names)
        }


def profile(builds: list[Path], runs: int, threads: int) -> list[dict[str, float]]:
    """Per build, {layer function: median ms} in call order; the builds run in turns."""
    runs = min(runs, MAX_RUNS)
    with tempfile.TemporaryDirectory(prefix="patcc-layer-profile-") as tmp:
        models = [Instrumented(b, Path(tmp) / str(i), threads) for i, b in enumerate(builds)]
        interleave({str(i): m for i, m in enumerate(models)}, runs, warmup=1)
        return [m.medians(runs) for m in models]


def gflops_column(build: Path, times: dict[str, float], peak: float) -> dict[str, str]:
    """A conv's GFLOP/s on its non-zero MACs and share of `peak`, by layer function."""
    report = json.loads((build / "report.json").read_text())["layers"]
    convs = iter([r for r in report if "conv" in r["op"]])
    out: dict[str, str] = {}
    for name, ms in times.items():
        if "conv" in name and (row := next(convs, None)) is not None:
            gflops = 2 * row["nonzero_macs"] / ms / 1e6
            out[name] = f"  {gflops:6.1f} GFLOP/s  {100 * gflops / peak:4.0f}% of peak"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-layer times of x86 builds, in turns.")
    parser.add_argument("builds", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=7, help=f"per build, at most {MAX_RUNS}")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--peak", type=float, default=94.0, help="GFLOP/s per core")
    args = parser.parse_args(argv)
    times = profile(args.builds, args.runs, args.threads)
    names = list(dict.fromkeys(n for t in times for n in t))  # layers of any build
    extra = gflops_column(args.builds[0], times[0], args.peak * args.threads)
    if len(times) > 1:
        print(f"{'':32s}" + "".join(f"{i:>10d}" for i in range(len(times))))
    for name in [*names, "sum"]:
        row = [t.get(name, float("nan")) for t in times]
        if name == "sum":
            row = [sum(t.values()) for t in times]
        line = f"{name:32s}" + "".join(f"{ms:10.2f}" for ms in row)
        if len(times) == 1:
            line += " ms" + extra.get(name, "")
        else:
            line += "  " + " ".join(f"{row[0] / ms:5.3f}x" for ms in row[1:])
        print(line)
    for i, b in enumerate(args.builds if len(times) > 1 else []):
        print(f"{i}: {b}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
