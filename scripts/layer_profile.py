"""Per-layer times of x86 builds inside the whole model: `patcc profile` under its old name
(docs/performance.md and docs/benchmarks.md quote this script), with its old default peak
of 94 GFLOP/s per core (the AMD EPYC's sgemm) unless --peak is given.

    .venv/bin/python scripts/layer_profile.py BUILD_DIR [BUILD_DIR ...] [--runs 7] [--threads 1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from patcc.bench.layer_profile import profile, table
from patcc.errors import PatccError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Per-layer times of x86 builds, in turns.")
    parser.add_argument("builds", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=7, help="per build, at most 64")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--peak", type=float, default=94.0, help="GFLOP/s per core")
    args = parser.parse_args(argv)
    try:
        result = profile(args.builds, args.runs, args.threads)
    except PatccError as err:
        raise SystemExit(f"layer_profile.py: error: {err}") from None
    print(table(result, args.peak * args.threads))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
