"""Block-shared groups on VGG-16's trunk: per-layer GFLOP/s, shared nest vs per filter.

    .venv/bin/python scripts/shared_groups_bench.py OUT_DIR [--connectivity 3.6]
        [--group 4] [--vector-length 16] [--tiles 2x2,4x1,1x2,2x1] [--runs 5] [--rounds 3]

VGG-16 (224x224, cut after its last conv) is pruned with 8 patterns at `--connectivity`, then
made block-pruned by hand until pruning does it: in every block of `--group` consecutive
filters, each filter keeps the kernels (channels and patterns) of the block's first filter,
with its own dense weights at those positions. That model is compiled for x86 (1 thread)
several ways: `per-filter` (lower-to-loops{shared-groups=false}, the default tiles),
`shared` (the default tiles: auto rows // G x 2 vectors) and `shared RxV` per `--tiles`
entry (every pattern conv R rows x V vectors, LRE on). The layer timers of
scripts/layer_profile.py run the builds in interleaved rounds; printed: per conv the median
GFLOP/s (non-zero MACs) of each variant, and the trunk's total ms.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from patcc.bench.layer_profile import profile


def block_pruned(pruned: onnx.ModelProto, dense: onnx.ModelProto, g: int) -> onnx.ModelProto:
    """`pruned` with every pruned conv's kernel masks copied from each block's first filter,
    the weights at the kept positions taken from `dense`."""
    weights = {t.name: numpy_helper.to_array(t) for t in dense.graph.initializer}
    out = onnx.ModelProto()
    out.CopyFrom(pruned)
    convs = {n.input[1] for n in out.graph.node if n.op_type == "Conv"}
    for i, t in enumerate(out.graph.initializer):
        w = numpy_helper.to_array(t)
        if t.name not in convs or w.shape[2:] != (3, 3) or np.count_nonzero(w) == w.size:
            continue  # the dense first layer
        heads = np.repeat((w != 0)[::g], g, axis=0)[: w.shape[0]]
        out.graph.initializer[i].CopyFrom(numpy_helper.from_array(weights[t.name] * heads, t.name))
    return out


def compile_variant(model: onnx.ModelProto, folder: Path, shared: bool, tiles, vl: int) -> None:
    import patcc
    import patcc.lowering.pattern_conv as pattern_conv
    from patcc.tune.apply import fixed
    from patcc.tune.space import Schedule

    group = pattern_conv._group
    if not shared:  # what lower-to-loops{shared-groups=false} does, without a driver option
        pattern_conv._group = lambda *args: 1  # type: ignore[assignment]
    try:
        schedules = fixed(Schedule(1, *tiles, True)) if tiles else None
        patcc.compile(
            model, patterns=None, threads=1, out_dir=folder, vector_length=vl, schedules=schedules
        )
    finally:
        pattern_conv._group = group


def main(argv: list[str] | None = None) -> int:
    import json

    from patcc.lowering.lre_report import vgg16_trunk
    from patcc.models import vgg16

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--connectivity", type=float, default=3.6)
    parser.add_argument("--group", type=int, default=4)
    parser.add_argument("--vector-length", type=int, default=16)
    parser.add_argument("--tiles", default="2x2,4x1,1x2,2x1")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="profile existing builds")
    args = parser.parse_args(argv)
    variants: dict[str, tuple[bool, tuple[int, int] | None]] = {
        "per-filter": (False, None),
        "shared": (True, None),
    }
    for spec in filter(None, args.tiles.split(",")):
        r, v = (int(x) for x in spec.split("x"))
        variants[f"shared {args.group}x{r}x{v}"] = (True, (r, v))
    if not args.reuse:
        args.out.mkdir(parents=True, exist_ok=True)
        model = block_pruned(vgg16_trunk(connectivity=args.connectivity), vgg16(), args.group)
        for name, (shared, tiles) in variants.items():
            folder = args.out / name.replace(" ", "_")
            compile_variant(model, folder, shared, tiles, args.vector_length)
    folders = [args.out / name.replace(" ", "_") for name in variants]
    # the builds in turns, `--runs` runs each per round, the median of the rounds' medians
    rounds = [profile(folders, args.runs, threads=1).times for _ in range(args.rounds)]
    medians = {
        name: {layer: statistics.median(r[k][layer] for r in rounds) for layer in rounds[0][k]}
        for k, name in enumerate(variants)
    }
    report = json.loads((folders[0] / "report.json").read_text())["layers"]
    macs = iter([r["nonzero_macs"] for r in report if "conv" in r["op"]])
    print("| layer | " + " | ".join(variants) + " |")
    print("| --- |" + " ---: |" * len(variants))
    for layer in medians["per-filter"]:
        if "conv" in layer:
            m = next(macs)
            row = [f"{2 * m / medians[name][layer] / 1e6:.1f}" for name in variants]
            print(f"| {layer} | " + " | ".join(row) + " |")
    totals = [f"{sum(medians[name].values()):.1f}" for name in variants]
    print("| trunk ms | " + " | ".join(totals) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
