"""One layer of an x86 build timed alone, with its caches warm and cold: how much of a
layer's time inside the model is the memory it finds out of cache?

    .venv/bin/python scripts/layer_alone.py BUILD_DIR LAYER [LAYER ...] [--runs 21]

LAYER is a layer function's name in the build's model.c (`layer7_fkw_conv2d7`; the names
`scripts/layer_profile.py` prints). The function is copied out of model.c with the file's
prelude into a harness that loads weights.bin, gives every buffer argument its own 64 MB
of arbitrary finite floats, and calls the function on one thread `--runs` times twice:
warm (back to back), then cold (a 256 MB sweep before each call evicts the layer's
buffers and weights, as the model's classifier stream and the other runtimes of `patcc
bench` do). Built with the Makefile's flags. Prints the two medians in ms. The outputs are
not checked: edit the copied function (`--keep DIR` keeps the harness) to time variants.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

from patcc.bench.layer_profile import library_command

HARNESS = """
#include <stdio.h>
#include <string.h>
#include "timing.h"
#define BUF (64u << 20)
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *w = aligned_alloc(64, (n + 63) / 64 * 64);
    if (fread(w, 1, n, f) != (size_t)n) return 1;
    fclose(f);
    %(allocs)s
    size_t nf = 256u << 20;
    volatile char *flush = malloc(nf);
    memset((char *)flush, 1, nf);
    int runs = atoi(argv[2]);
    double *ts = malloc(runs * sizeof(double));
    for (int cold = 0; cold < 2; cold++) {
        for (int r = 0; r < runs; r++) {
            if (cold) {
                long acc = 0;
                for (size_t i = 0; i < nf; i += 64) acc += flush[i];
                flush[0] = (char)acc;
            }
            double t0 = now_ms();
            %(call)s;
            ts[r] = now_ms() - t0;
        }
        printf("%(name)s %%s %%.3f ms\\n", cold ? "cold" : "warm", median_ms(ts, runs));
    }
    return 0;
}
"""


def harness(model_c: str, name: str) -> str:
    """model.c's prelude, the layer's function, and a main that times it."""
    pattern = r"^static void (" + re.escape(name) + r")\((.*?)\)\n\{"
    m = re.search(pattern, model_c, re.M)
    if m is None:
        raise SystemExit(f"layer_alone: no function '{name}' in model.c")
    end = model_c.index("\n}\n", m.start()) + 3
    prelude = model_c[: model_c.index("static void layer0")]
    args, allocs = [], []
    for i, param in enumerate(p.strip() for p in m.group(2).split(",")):
        if param.endswith("weights"):
            args.append("w")
        elif param.endswith("nthreads"):
            args.append("1")
        else:
            allocs.append(
                f"float *b{i} = aligned_alloc(64, BUF);"
                f" for (size_t j = 0; j < BUF / 4; j++) b{i}[j] = (j * 2654435761u % 1000) * 1e-3f;"
            )
            args.append(f"b{i}")
    main = HARNESS % {
        "allocs": "\n    ".join(allocs),
        "call": f"{name}({', '.join(args)})",
        "name": name,
    }
    return "#define _GNU_SOURCE\n#include <time.h>\n" + prelude + model_c[m.start() : end] + main


def gcc_flags(build: Path) -> list[str]:
    """The flags of the Makefile's shared-library line (`layer_profile.library_command`),
    without its -shared/-fPIC/-o and its sources."""
    words = library_command(build)[1:]
    return [w for w in words if w.startswith(("-O", "-m", "-f")) and w != "-fPIC"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("layers", nargs="+")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="write the harnesses here")
    args = parser.parse_args()
    model_c = (args.build / "model.c").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for name in args.layers:
            src, exe = where / f"{name}.c", where / name
            src.write_text(harness(model_c, name))
            flags = [*gcc_flags(args.build), f"-I{Path(__file__).parent}"]  # timing.h
            subprocess.run(["gcc", *flags, str(src), "-lm", "-o", str(exe)], check=True)
            run = [str(exe), str(args.build / "weights.bin"), str(args.runs)]
            print(subprocess.run(run, check=True, capture_output=True, text=True).stdout, end="")


if __name__ == "__main__":
    main()
