"""The `patcc bench` sub-command (kept here so patcc/cli.py only registers it)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _ints(text: str) -> list[int]:
    return [int(t) for t in text.split(",") if t]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench", help="time patcc against ONNX Runtime, MNN, DeepSparse, TVM on one pruned model"
    )
    p.add_argument("model", nargs="?", help="ONNX model (default: built-in VGG-16 224x224)")
    p.add_argument("--builtin", help="a built-in model instead: vgg16 or resnet50")
    p.add_argument("--size", type=int, default=224, help="built-in model input size (224)")
    p.add_argument("--patterns", type=int, default=8, help="pattern-set size (default 8)")
    p.add_argument("--connectivity", type=float, default=3.6, help="kernel removal rate (3.6)")
    p.add_argument("--block", type=int, default=1, help="block pruning: filters per block (1)")
    p.add_argument("--peers", default="ort,mnn,deepsparse,tvm", help="comma-separated peers")
    p.add_argument(
        "--peer-python",
        action="append",
        default=[],
        metavar="PEER=PY",
        help="run PEER in that Python interpreter's environment, e.g. "
        "deepsparse=.venv-deepsparse/bin/python (make deepsparse); repeatable",
    )
    p.add_argument("--threads", type=_ints, default=[1], help="thread counts, e.g. 1,2")
    p.add_argument("--repeat", type=int, default=10, help="interleaved rounds (default 10)")
    p.add_argument("--budget", type=float, help="seconds of rounds per thread count (>= 3 rounds)")
    p.add_argument("--layers", action="store_true", help="also per conv layer, patcc vs the peers")
    p.add_argument("--target", default="x86", help="patcc target (x86)")
    p.add_argument("--tuning-log", type=Path, help="compile patcc with these tuned schedules")
    p.add_argument("--json", type=Path, help="write the results as JSON")
    p.add_argument("--png", type=Path, help="write a bar chart")
    p.set_defaults(run=cmd_bench)


def _peer_pythons(items: list[str]) -> dict[str, str]:
    from patcc.errors import PatccError

    pythons: dict[str, str] = {}
    for item in items:
        peer, sep, python = item.partition("=")
        if not sep or not peer or not python:
            raise PatccError(f"peer-python {item!r}: expected PEER=PYTHON")
        pythons[peer] = python
    return pythons


def cmd_bench(args: argparse.Namespace) -> int:
    from patcc.bench.report import table, write_json, write_png
    from patcc.bench.run import BenchOptions, bench
    from patcc.errors import PatccError, require
    from patcc.fileio import check_folder
    from patcc.frontend.onnx_import import load_model

    require("threadpoolctl", "patcc bench (its sgemm peak)", "bench")
    if args.png:
        require("matplotlib", "--png", "bench")
    if args.model and args.builtin:
        raise PatccError("give a model file or --builtin, not both")
    if args.model:
        model, name = load_model(args.model), Path(args.model).stem
    else:
        from patcc import models

        name = args.builtin or "vgg16"
        if name not in ("vgg16", "resnet50"):
            raise PatccError(f"unknown built-in model '{name}' (vgg16, resnet50)")
        try:
            model = getattr(models, name)(size=args.size)
        except ValueError as err:  # the builders' check of the size
            raise PatccError(f"--size {args.size}: {err}") from None
        name = f"{name}-{args.size}"
    for out in (args.json, args.png):  # before the run, not after minutes of it
        if out is not None:
            check_folder(out)
    options = BenchOptions(
        patterns=args.patterns,
        connectivity=args.connectivity,
        block=args.block,
        peers=[p for p in args.peers.split(",") if p],
        threads=args.threads,
        repeat=args.repeat,
        layers=args.layers,
        target=args.target,
        budget_s=args.budget,
        tuning_log=args.tuning_log,
        peer_python=_peer_pythons(args.peer_python),
    )
    result = bench(model, name, options)
    print(table(result))
    if args.json:
        write_json(result, args.json)
    if args.png:
        write_png(result, args.png)
    return 0
