"""Compile time per pass: where do the seconds from ONNX import to emitted C source go?

    .venv/bin/python scripts/compile_profile.py MODEL.onnx [--out DIR] [--cprofile OUT.prof]
    .venv/bin/python scripts/compile_profile.py --builtin resnet50 [--patterns 8]

Runs what `patcc.compile` runs before the C compiler (import, the compression passes with
the target's schedule, the driver's own pass loop, `emit`), with a clock around each pass
(lower-to-loops' row includes the layer report taken before it), and prints the table:
wall and CPU seconds (on a shared machine the CPU time of the process is the steadier one).
`--patterns` prunes (the default, as `patcc.compile(..., patterns=None)`, keeps the weights
and detects an existing pattern set). `--out` writes the emitted files, so two versions
of patcc can be compared byte for byte (`cmp`); `--cprofile` profiles the whole run.
The garbage collector is off, as in `patcc.compile`, unless `--with-gc`.
"""

from __future__ import annotations

import argparse
import cProfile
import time
from pathlib import Path

import onnx


def load(args: argparse.Namespace) -> onnx.ModelProto:
    if args.builtin:
        from patcc import models

        return getattr(models, args.builtin)(size=args.size)
    return onnx.load(args.model)


Times = list[tuple[str, float, float]]  # pass, wall seconds, CPU seconds of this process


def run(model: onnx.ModelProto, args: argparse.Namespace) -> Times:
    from patcc.driver import _apply, compression_passes
    from patcc.frontend import import_model
    from patcc.targets import emit_for

    times: Times = []
    emitter = emit_for(args.target, threads=args.threads, vector_length=args.vector_length)
    clock = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter(), time.process_time()
        times.append((name, now[0] - clock[0], now[1] - clock[1]))
        clock = now

    module = import_model(model, {})
    lap("import")
    vl = emitter.vector_length
    passes = compression_passes(module, args.patterns, args.connectivity, vl, emitter.schedule)
    # the driver's own pass loop: the same schedule, graph passes and layer report
    _apply(module, [*passes, *emitter.passes], None, emitter.graph_passes, after_each=lap)
    emitted = emitter.emit(module)
    lap("emit")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in emitted.items():
            (out / name).write_bytes(data)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", nargs="?", help="an ONNX model")
    p.add_argument("--builtin", help="a built-in model of patcc.models instead (vgg16, resnet50)")
    p.add_argument("--size", type=int, default=224, help="image size of --builtin")
    p.add_argument("--patterns", type=int, default=None)
    p.add_argument("--connectivity", type=float, default=3.6)
    p.add_argument("--target", default="x86")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--vector-length", type=int, help="default: the target's (the host's widest)")
    p.add_argument("--out", help="write the emitted files here")
    p.add_argument("--cprofile", help="write a cProfile of the run here")
    p.add_argument("--with-gc", action="store_true", help="keep the garbage collector on")
    args = p.parse_args()
    if bool(args.model) == bool(args.builtin):
        p.error("give a model file or --builtin")
    model = load(args)
    profile = cProfile.Profile() if args.cprofile else None
    if profile:
        profile.enable()
    from patcc.driver import gc_paused

    if args.with_gc:
        times = run(model, args)
    else:
        with gc_paused():  # as patcc.compile runs them
            times = run(model, args)
    if profile:
        profile.disable()
        profile.dump_stats(args.cprofile)
    print(f"{'pass':32s} {'wall s':>7s} {'CPU s':>7s}")
    for name, wall, cpu in times:
        print(f"{name:32s} {wall:7.2f} {cpu:7.2f}")
    print(f"{'total':32s} {sum(t[1] for t in times):7.2f} {sum(t[2] for t in times):7.2f}")


if __name__ == "__main__":
    main()
