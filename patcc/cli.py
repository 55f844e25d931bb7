"""The `patcc` command line. User mistakes are one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from patcc.bench.cli import add_parser as add_bench_parser
from patcc.bench.profile_cli import add_parser as add_profile_parser
from patcc.errors import PatccError
from patcc.tune.cli import add_compile_options
from patcc.tune.cli import add_parser as add_tune_parser


def _input_shapes(values: Sequence[str] | None) -> dict[str, list[int]]:
    from patcc.frontend import parse_input_shape

    return dict(parse_input_shape(v) for v in values or [])


def cmd_import(args: argparse.Namespace) -> int:
    from patcc.fileio import write_module
    from patcc.frontend import import_model

    module = import_model(args.model, _input_shapes(args.input_shape))
    write_module(args.output, module)
    return 0


def cmd_run_ir(args: argparse.Namespace) -> int:
    from patcc.fileio import read_module, read_npz, write_npz
    from patcc.semantics import run_function

    module = read_module(args.ir)
    outputs = run_function(module, read_npz(args.inputs))
    write_npz(args.outputs, outputs)
    return 0


def cmd_prune(args: argparse.Namespace) -> int:

    from patcc.compression.onnx_prune import prune_with_report
    from patcc.compression.plan import PruneOptions
    from patcc.compression.prune_report import format_prune_report, plot_prune_report
    from patcc.fileio import write_bytes

    options = PruneOptions(
        args.patterns, args.connectivity, args.scope, args.first_layer, args.block
    )
    pruned, report = prune_with_report(args.model, options, _input_shapes(args.input_shape))
    if args.plot:  # checked before anything is written: matplotlib may be missing
        plot_prune_report(report, args.plot)
    write_bytes(args.output, pruned.SerializeToString())
    if args.report:
        print(format_prune_report(report))
    return 0


def cmd_pipeline(args: argparse.Namespace) -> int:
    from patcc.pipelines import Tiles, patdnn, pipeline_string

    lowest = {
        "vector_length": 1,
        "tile_oc": 0,
        "tile_oh": 0,
        "tile_ow": 1,
        "tile_min_items": 0,
        "input_stationary": 0,
        "input_stationary_bytes": 0,
        "input_stationary_filter_bytes": 0,
    }
    for flag, low in lowest.items():
        value = getattr(args, flag)
        if value < low:
            raise PatccError(f"--{flag.replace('_', '-')} must be >= {low}, got {value}")
    pipeline = patdnn(
        args.patterns,
        args.connectivity,
        scope=args.scope,
        first_layer=args.first_layer,
        block=args.block,
        group_size=args.group_size,
        to_loops=args.to == "loops",
        vector_length=args.vector_length,
        tiles=None
        if args.no_tile
        else Tiles(args.tile_oc, args.tile_oh, args.tile_ow, args.tile_min_items),
        lre=not args.no_lre,
        input_stationary=args.input_stationary,
        input_stationary_bytes=args.input_stationary_bytes,
        input_stationary_filter_bytes=args.input_stationary_filter_bytes,
    )
    # Checked now, so a bad option is an error here rather than later inside xdsl-opt.
    from patcc.compression.plan import PruneOptions

    PruneOptions(args.patterns, args.connectivity, args.scope, args.first_layer, args.block).check()
    if args.group_size is not None and args.group_size < 1:
        raise PatccError(f"--group-size must be >= 1, got {args.group_size}")
    print(pipeline_string(pipeline))
    return 0


def _add_prune_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--patterns", type=int, default=8, metavar="K", help="pattern-set size, 1..56 (default 8)"
    )
    p.add_argument(
        "--connectivity",
        type=float,
        default=3.6,
        metavar="RATE",
        help="kernel removal rate >= 1 (default 3.6; 1 keeps every kernel)",
    )
    p.add_argument(
        "--scope",
        choices=["model", "layer"],
        default="model",
        help="one pattern set for the model (default) or one per layer",
    )
    p.add_argument(
        "--first-layer",
        action="store_true",
        help="prune convs with <= 4 input channels too (dense by default)",
    )
    _add_block(p)


def _add_block(p: argparse.ArgumentParser, default: int | None = 1) -> None:
    p.add_argument(
        "--block",
        type=int,
        default=default,
        metavar="N",
        help="block pruning: blocks of N consecutive filters share each input channel's "
        "pattern and are removed together (default 1: per kernel)",
    )


def cmd_compile(args: argparse.Namespace) -> int:
    from patcc.driver import compile
    from patcc.tune.cli import compile_schedules

    if args.no_prune and (args.patterns is not None or args.connectivity is not None):
        raise PatccError("--no-prune takes no --patterns or --connectivity")
    patterns = None if args.no_prune else (8 if args.patterns is None else args.patterns)
    connectivity = 3.6 if args.connectivity is None else args.connectivity
    schedules = compile_schedules(args, patterns, connectivity)
    compiled = compile(
        args.model,
        target=args.target,
        patterns=patterns,
        connectivity=connectivity,
        block=args.block,
        schedules=schedules,
        threads=args.threads,
        out_dir=args.output,
        input_shape=_input_shapes(args.input_shape),
        vector_length=args.vector_length,
    )
    print(f"{compiled.build_dir}: {compiled.target} build, see report.json")
    if schedules is not None:
        from patcc.tune.apply import tuned_layers

        tuned = tuned_layers(json.loads((compiled.build_dir / "report.json").read_text()))
        miss = schedules.miss() if tuned == 0 else ""
        print(f"tuned schedules: {tuned} layer(s)" + (f" ({miss})" if miss else ""))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from patcc.fileio import read_npz, write_npz
    from patcc.runtime import CompiledModel

    model = CompiledModel(
        args.build_dir, simde=args.simde, threads=args.threads, device=args.device
    )
    write_npz(args.outputs, model.run(read_npz(args.inputs)))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from patcc.demo import run_demo

    return run_demo(size=args.size)


def _add_input_shape(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--input-shape",
        action="append",
        metavar="NAME=1x3x224x224",
        help="static shape of a model input (repeat for several inputs)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patcc",
        description="Compression-compilation co-design compiler for pattern-pruned CNNs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="ONNX model -> nn-level IR (.mlir)")
    p.add_argument("model", help="ONNX model file")
    p.add_argument("-o", "--output", required=True, help="output .mlir file")
    _add_input_shape(p)
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("run-ir", help="interpret IR of any level on .npz inputs")
    p.add_argument("ir", help=".mlir file")
    p.add_argument("--inputs", required=True, help=".npz keyed by the model's input names")
    p.add_argument("--outputs", required=True, help=".npz to write, keyed by output names")
    p.set_defaults(run=cmd_run_ir)

    p = sub.add_parser("prune", help="pattern + connectivity pruning of an ONNX model's weights")
    p.add_argument("model", help="ONNX model file")
    p.add_argument("-o", "--output", required=True, help="pruned ONNX model to write")
    _add_prune_options(p)
    p.add_argument("--report", action="store_true", help="print the per-layer table")
    p.add_argument("--plot", metavar="PNG", help="write the pattern set and histogram figure")
    _add_input_shape(p)
    p.set_defaults(run=cmd_prune)

    p = sub.add_parser("pipeline", help="print a named pass pipeline as an xdsl-opt -p string")
    p.add_argument("name", choices=["patdnn"], help="the pipeline")
    _add_prune_options(p)
    p.add_argument(
        "--group-size",
        type=int,
        help="FKR filter-group size (default: the block when --block > 1, else 4)",
    )
    p.add_argument(
        "--to", choices=["loops", "fkw"], default="loops", help="stop at loop level or at FKW"
    )
    p.add_argument("--vector-length", type=int, default=8, help="SIMD width (default 8)")
    p.add_argument("--tile-oc", type=int, default=0, help="filters per tile (0: the group size)")
    p.add_argument(
        "--tile-oh",
        type=int,
        default=0,
        help="output rows per tile (default 0: 8 at 16 lanes, else 4)",
    )
    p.add_argument("--tile-ow", type=int, default=2, help="output vectors per tile (default 2)")
    p.add_argument(
        "--tile-min-items",
        type=int,
        default=0,
        help="with --tile-oh 0: 4 or 2 rows leaving this many work items (a GPU's; 0: off)",
    )
    p.add_argument("--no-tile", action="store_true", help="leave the conv loops untiled")
    p.add_argument("--no-lre", action="store_true", help="no eliminate-load-redundancy")
    p.add_argument(
        "--input-stationary",
        type=int,
        default=0,
        metavar="N",
        help="pattern convs with N+ kernels per (channel, pattern) pair run input-stationary "
        "(default 0: none; the x86 target uses 2)",
    )
    p.add_argument(
        "--input-stationary-bytes",
        type=int,
        default=0,
        metavar="B",
        help="... in tiles of as many rows (2-8) as keep one input channel's filter tiles "
        "within B bytes (default 0: any; no x86 host's rule sets it)",
    )
    p.add_argument(
        "--input-stationary-filter-bytes",
        type=int,
        default=0,
        metavar="B",
        help="... sweeping the channels once per block of filters whose tiles fit B bytes "
        "(default 0: one sweep; the x86 target uses 32768 on Intel hosts)",
    )
    p.set_defaults(run=cmd_pipeline)

    p = sub.add_parser("compile", help="ONNX model -> build folder (sources, weights, library)")
    p.add_argument("model", help="ONNX model file")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="build folder")
    p.add_argument("--target", default="x86", help="x86 (default), neon or opencl")
    p.add_argument("--patterns", type=int, metavar="K", help="pattern-set size (default 8)")
    p.add_argument(
        "--connectivity", type=float, metavar="RATE", help="kernel removal rate (default 3.6)"
    )
    p.add_argument(
        "--no-prune",
        action="store_true",
        help="keep the weights (dense, or the patterns they already have)",
    )
    _add_block(p, default=None)
    p.add_argument("--threads", type=int, metavar="N", help="default thread count of the build")
    p.add_argument("--vector-length", type=int, metavar="N", help="SIMD width in floats")
    _add_input_shape(p)
    add_compile_options(p)
    p.set_defaults(run=cmd_compile)

    p = sub.add_parser("run", help="run a build folder on .npz inputs")
    p.add_argument("build_dir", metavar="OUT_DIR", help="folder written by patcc compile")
    p.add_argument("--inputs", required=True, help=".npz keyed by the model's input names")
    p.add_argument("--outputs", required=True, help=".npz to write, keyed by output names")
    p.add_argument("--simde", action="store_true", help="neon: run through SIMDe, not qemu")
    p.add_argument("--device", help="OpenCL device (default: the first)")
    p.add_argument("--threads", type=int, metavar="N", help="threads (default: the build's)")
    p.set_defaults(run=cmd_run)

    p = sub.add_parser("demo", help="the main job on the built-in VGG-16")
    p.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    p.set_defaults(run=cmd_demo)
    add_bench_parser(sub)
    add_profile_parser(sub)
    add_tune_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except PatccError as err:
        print(f"patcc {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"patcc {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
