"""Compile time per pass: where do the seconds from ONNX import to emitted C source go?

    .venv/bin/python scripts/compile_profile.py MODEL.onnx [--out DIR] [--cprofile OUT.prof]
    .venv/bin/python scripts/compile_profile.py --builtin resnet50 [--patterns 8]

Runs what `patcc.compile` runs before the C compiler (import, the compression passes, the
target passes, `emit`), one pass at a time with a clock around each, and prints the table.
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


def run(model: onnx.ModelProto, args: argparse.Namespace) -> list[tuple[str, float]]:
    from patcc.driver import compression_passes
    from patcc.frontend import import_model, make_context
    from patcc.targets import emit_for

    times: list[tuple[str, float]] = []
    emitter = emit_for(args.target, threads=args.threads)
    start = time.perf_counter()
    module = import_model(model, {})
    times.append(("import", time.perf_counter() - start))
    passes = compression_passes(module, args.patterns, args.connectivity, emitter.vector_length)
    ctx = make_context()
    for p in [*passes, *emitter.passes]:
        t = time.perf_counter()
        p.apply(ctx, module)
        times.append((p.name, time.perf_counter() - t))
    t = time.perf_counter()
    emitted = emitter.emit(module)
    times.append(("emit", time.perf_counter() - t))
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
    for name, seconds in times:
        print(f"{name:32s} {seconds:7.2f}")
    print(f"{'total':32s} {sum(s for _, s in times):7.2f}")


if __name__ == "__main__":
    main()
