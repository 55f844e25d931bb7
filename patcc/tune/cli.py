"""`patcc tune`, and the `--tune` / `--tuning-log` options of `patcc compile`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnx

    from patcc.tune.apply import LogSchedules

DEFAULT_LOG = Path("tuning.jsonl")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tune", help="search each conv layer's schedule by measuring it")
    p.add_argument("model", help="ONNX model file")
    p.add_argument(
        "--target",
        default="x86",
        help="x86 (default: measured on this CPU) or opencl (on the OpenCL device "
        "$PATCC_OPENCL_DEVICE names, else the first)",
    )
    p.add_argument("--budget", type=float, default=600.0, help="seconds in all (default 600)")
    p.add_argument("--log", type=Path, default=DEFAULT_LOG, help="tuning log (tuning.jsonl)")
    p.add_argument("--patterns", type=int, default=8, help="pattern-set size (default 8)")
    p.add_argument("--connectivity", type=float, default=3.6, help="kernel removal rate")
    p.add_argument("--block", type=int, default=1, help="filters per pruning block (1)")
    p.add_argument("--no-prune", action="store_true", help="keep the model's weights")
    p.add_argument(
        "--threads", type=int, help="threads the kernels run on (default: the build's, all cores)"
    )
    p.add_argument(
        "--vector-length", type=int, help="SIMD width in floats (default: the host's widest)"
    )
    p.set_defaults(run=cmd_tune)


def add_compile_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tune", action="store_true", help="tune the layers the tuning log lacks, first"
    )
    p.add_argument("--tuning-log", type=Path, help=f"schedules to use (default {DEFAULT_LOG})")
    p.add_argument("--tune-budget", type=float, default=600.0, help="seconds for --tune")


def cmd_tune(args: argparse.Namespace) -> int:
    from patcc.runtime.loader import check_threads
    from patcc.tune.log import TuningLog
    from patcc.tune.tuner import TuneOptions, summary_table, tune

    check_threads(args.threads)  # >= 1 when given, as `compile` and `run` want it
    options = TuneOptions(args.target, args.threads or 0, args.vector_length, args.budget)
    options.check()  # before pruning the model (seconds for VGG-16)
    patterns = None if args.no_prune else args.patterns
    model = _pruned(args.model, patterns, args.connectivity, args.block)
    summary = tune(model, TuningLog(args.log), options)
    print(summary_table(summary))
    print(f"log: {args.log}")
    return 0


def _pruned(
    path: str, patterns: int | None, connectivity: float, block: int | None
) -> onnx.ModelProto:
    """The model as `patcc compile` prunes it (the tuned layers must be the compiled ones:
    block pruning changes the loop nest, see `space.signature`)."""
    from patcc.compression.onnx_prune import prune
    from patcc.frontend import load_model

    if patterns is None:
        return load_model(path)
    return prune(path, patterns=patterns, connectivity=connectivity, block=block or 1)


def compile_schedules(
    args: argparse.Namespace, patterns: int | None, connectivity: float
) -> LogSchedules | None:
    """The schedules `patcc compile` uses: none without --tune/--tuning-log; with --tune,
    the layers missing from the log are tuned first (within --tune-budget)."""
    if not args.tune and args.tuning_log is None:
        return None
    from patcc.targets.emit import default_vector_length
    from patcc.tune.apply import LogSchedules
    from patcc.tune.log import TuningLog, existing_log
    from patcc.tune.tuner import TuneOptions, measured_on, tune

    log = TuningLog(args.tuning_log or DEFAULT_LOG) if args.tune else existing_log(args.tuning_log)
    length = args.vector_length or default_vector_length(args.target)
    options = TuneOptions(args.target, args.threads or 0, length, args.tune_budget)
    options.check()
    if args.tune:
        tune(_pruned(args.model, patterns, connectivity, args.block), log, options)
    return LogSchedules(log, args.target, measured_on(args.target), options.threads, length)
