"""The `patcc profile` sub-command (kept here so patcc/cli.py only registers it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "profile",
        help="per-layer times of x86 build folders inside the whole model (several: in turns)",
    )
    p.add_argument("builds", type=Path, nargs="+", help="build folders (patcc compile -o)")
    p.add_argument("--runs", type=int, default=7, help="timed runs per build, 1..64 (default 7)")
    p.add_argument("--threads", type=int, default=1, help="threads of each run (default 1)")
    p.add_argument(
        "--peak",
        type=float,
        help="GFLOP/s of all the threads for the %% column (default: measured, numpy's sgemm)",
    )
    p.add_argument("--json", type=Path, help="write the per-layer medians as JSON")
    p.set_defaults(run=cmd_profile)


def _measured_peak(threads: int) -> float | None:
    """The sgemm peak on `threads` threads, or None without threadpoolctl (patcc[bench])."""
    try:
        from patcc.bench.peak import sgemm_gflops

        return sgemm_gflops(threads)
    except ImportError:
        return None


def cmd_profile(args: argparse.Namespace) -> int:
    from patcc.bench.layer_profile import as_json, profile, table
    from patcc.errors import PatccError
    from patcc.fileio import check_folder, write_text

    if args.peak is not None and args.peak <= 0:
        raise PatccError(f"--peak must be > 0, got {args.peak}")
    if args.json is not None:
        check_folder(args.json)  # before the runs, not after them
    result = profile(args.builds, args.runs, args.threads)
    peak = args.peak if args.peak is not None else _measured_peak(args.threads)
    print(table(result, peak))
    if len(result.builds) == 1 and peak is not None:
        source = "--peak" if args.peak is not None else "numpy's sgemm, measured now"
        print(f"peak: {peak:.1f} GFLOP/s on {args.threads} thread(s) ({source})")
    if args.json is not None:
        write_text(args.json, json.dumps(as_json(result, peak), indent=1) + "\n")
    return 0
