"""Two or more x86 builds of the same model, timed in one process, runs interleaved.

    .venv/bin/python scripts/compare_builds.py BUILD_A BUILD_B [...] [--repeat 41]
        [--threads 1,2]

Whole-model times from separate processes scatter by +-15 % on the 2-core VM within
seconds (docs/performance.md: identical builds measured 83 and 105 ms), so a schedule
change of a few per cent can only be judged with its baseline in the same round-robin, as
`patcc bench` times its peers (`patcc.bench.timing`). Printed per thread count: each
build's median ms and IQR after outlier rejection, and its speed-up over the first build.
The input is random; all builds must take the same input shape.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from patcc.bench.run import BenchOptions
from patcc.bench.timing import interleave, robust_stats
from patcc.runtime.loader import CompiledModel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Interleaved timing of several builds.")
    parser.add_argument("builds", type=Path, nargs="+")
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args(argv)
    names = [str(b) for b in args.builds]
    for threads in (int(t) for t in args.threads.split(",")):
        models = {n: CompiledModel(n, threads=threads) for n in names}
        first = models[names[0]]
        rng = np.random.default_rng(0)
        feed = {t.name: rng.standard_normal(t.shape).astype(np.float32) for t in first.meta.inputs}
        runners = {n: (lambda m=m, f=feed: m.run(f)) for n, m in models.items()}
        samples = interleave(
            runners,
            args.repeat,
            warmup=2,
            settle_s=BenchOptions.settle_s if threads > 1 else 0.0,  # as `patcc bench`
        )
        stats = {n: robust_stats(s) for n, s in samples.items()}
        base = stats[names[0]].median_ms
        for n in names:
            s = stats[n]
            print(
                f"threads {threads}  {n:40s} {s.median_ms:8.2f} ms  IQR {s.iqr_ms:5.2f}"
                f"  {base / s.median_ms:5.3f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
