"""Input-vector loads per output tile before and after LRE, per conv layer of VGG-16 at 8x.

    .venv/bin/python -m patcc.lowering.lre_report [--size 224] [--vector-length 8]
                                                  [--oc 4] [--oh 4] [--ow 2]

VGG-16 (deterministic weights, `patcc.models.vgg16`) is pruned as the demo does (8 patterns,
connectivity 3.6), cut after its last conv (the classifier has no pattern convs and 100 M
weights), imported, taken to FKW by the `patdnn` pipeline, lowered and tiled; the counts are
read from the IR (`inner_body_stats`) before and after `eliminate-load-redundancy`, nothing
is interpreted. Per layer: the register tile (rows x vectors of one filter), the vector
input loads and FMAs per kept kernel for the whole tile (the per-pattern bodies weighted by
how many kernels use the pattern), and the share of kernels whose (channel, pattern) another
filter of the same FKR group also has: the filter-level reuse the data offers.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import onnx
from xdsl.dialects.builtin import ModuleOp

from patcc.constants import constant_value
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.pat.conv import PatConv2dOp
from patcc.dialects.pat.fkw import FkwConv2dOp

from .stats import BodyStats, ConvStats, inner_body_stats


@dataclass(frozen=True)
class LayerRow:
    conv: str
    shape: str  # C_in -> C_out, H x W (output)
    tile: tuple[int, int]  # output rows x output vectors of the main register tile
    loads_before: float  # vector input loads per kernel per tile
    loads_after: float
    fmas: float  # FMAs per kernel per tile
    group_shared: float  # fraction of kernels whose (channel, pattern) a group mate shares

    @property
    def ratio_before(self) -> float:
        return self.loads_before / self.fmas

    @property
    def ratio_after(self) -> float:
        return self.loads_after / self.fmas


def vgg16_trunk(size: int = 224, connectivity: float = 3.6) -> onnx.ModelProto:
    """VGG-16 pruned (8 patterns, connectivity 3.6: 8x), cut after its last conv + ReLU."""
    from patcc.compression.onnx_prune import prune
    from patcc.models import vgg16

    pruned = prune(vgg16(size=size), patterns=8, connectivity=connectivity)
    graph = pruned.graph
    nodes = list(graph.node)
    last_conv = max(i for i, n in enumerate(nodes) if n.op_type == "Conv")
    keep = nodes[: last_conv + 2]  # the last conv and its ReLU
    assert keep[-1].op_type == "Relu"
    used = {name for n in keep for name in n.input}
    del graph.node[:]
    graph.node.extend(keep)
    initializers = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    del graph.output[:]
    out_shape = [1, 512, size // 16, size // 16]
    graph.output.append(
        onnx.helper.make_tensor_value_info(keep[-1].output[0], onnx.TensorProto.FLOAT, out_shape)
    )
    return pruned


def kernel_counts(module: ModuleOp) -> dict[str, tuple[dict[tuple[int, ...], int], float]]:
    """conv name -> (kernels per pattern, group-shared fraction), from the FKW arrays."""
    out: dict[str, tuple[dict[tuple[int, ...], int], float]] = {}
    convs = [c for c in module.walk() if isinstance(c, Conv2dOp | PatConv2dOp | FkwConv2dOp)]
    for i, conv in enumerate(convs):
        if not isinstance(conv, FkwConv2dOp):
            continue
        offset, index, stride = (constant_value(v) for v in (conv.offset, conv.index, conv.stride))
        group = conv.properties.get("filter_groups")
        assert offset is not None and index is not None and stride is not None
        runs = np.diff(stride.astype(np.int64), axis=1)  # filters x patterns
        patterns = conv.patterns.patterns
        counts = {patterns[p]: int(runs[:, p].sum()) for p in range(len(patterns))}
        out[f"conv{i}"] = (counts, _group_shared(offset, index, stride, group_size(group)))
    return out


def group_size(groups: object) -> int:
    """The FKR group size from `filter_groups` (the groups' start positions)."""
    values = getattr(groups, "get_values", None)
    starts = [int(v) for v in values()] if values is not None else []
    return int(np.diff(starts).max()) if len(starts) > 1 else 1


def _group_shared(offset: np.ndarray, index: np.ndarray, stride: np.ndarray, size: int) -> float:
    """Fraction of kernels whose (channel, pattern) another filter of the group has."""
    keys: list[tuple[int, int, int]] = []  # (group, channel, pattern) per kernel
    for j in range(len(offset) - 1):
        for p in range(stride.shape[1] - 1):
            lo, hi = offset[j] + stride[j, p], offset[j] + stride[j, p + 1]
            keys += [(j // size, int(c), p) for c in index[lo:hi]]
    if not keys:
        return 0.0
    _, counts = np.unique(np.array(keys), axis=0, return_counts=True)
    return float(counts[counts > 1].sum()) / len(keys)


def _main_bodies(stats: ConvStats) -> dict[tuple[int, ...], BodyStats]:
    """Per pattern, the vector body of the fullest register tile."""
    vector = [b for b in stats.bodies if b.vector]
    if not vector:
        return {}
    most = max(b.accumulators for b in vector)
    out: dict[tuple[int, ...], BodyStats] = {}
    for b in vector:
        if b.accumulators == most:
            out.setdefault(b.pattern, b)
    return out


def _weighted(bodies: dict[tuple[int, ...], BodyStats], counts: dict, per_output: bool) -> float:
    total = sum(counts.get(p, 0) for p in bodies) or 1
    value = sum(
        counts.get(p, 0) * b.input_loads / b.kernels / (b.accumulators if per_output else 1)
        for p, b in bodies.items()
    )
    return value / total


def layer_rows(
    size: int = 224, vector_length: int = 8, oc: int = 4, oh: int = 4, ow: int = 2
) -> list[LayerRow]:
    from patcc.frontend import import_model, make_context
    from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
    from patcc.passes.lower_to_loops import LowerToLoopsPass
    from patcc.passes.tile_conv import TileConvPass
    from patcc.pipelines import patdnn

    ctx = make_context()
    module = import_model(vgg16_trunk(size))
    patdnn(8, 3.6, group_size=oc, to_loops=False).apply(ctx, module)
    counts = kernel_counts(module)
    shapes = {
        f"conv{i}": (c.input.type, c.result.type)
        for i, c in enumerate(op for op in module.walk() if isinstance(op, Conv2dOp | FkwConv2dOp))
    }
    LowerToLoopsPass(vector_length=vector_length).apply(ctx, module)
    TileConvPass(oc=oc, oh=oh, ow=ow).apply(ctx, module)
    before = inner_body_stats(module)
    EliminateLoadRedundancyPass().apply(ctx, module)
    after = inner_body_stats(module)
    rows: list[LayerRow] = []
    for name, (per_pattern, shared) in counts.items():
        b_main, a_main = _main_bodies(before[name]), _main_bodies(after[name])
        if not a_main:
            continue
        tile_vectors = next(iter(a_main.values())).accumulators
        in_t, out_t = shapes[name]
        c_in, (c_out, h, w) = in_t.get_shape()[1], out_t.get_shape()[1:]  # type: ignore[attr-defined]
        r = oh if h >= oh else 1
        rows.append(
            LayerRow(
                conv=name,
                shape=f"{c_in}->{c_out}, {h}x{w}",
                tile=(r, tile_vectors // r),
                loads_before=_weighted(b_main, per_pattern, True) * tile_vectors,
                loads_after=_weighted(a_main, per_pattern, False),
                fmas=4.0 * tile_vectors,
                group_shared=shared,
            )
        )
    return rows


def format_rows(rows: list[LayerRow]) -> str:
    lines = [
        "| layer | in->out, output HxW | tile rows x vectors | loads/kernel/tile before | "
        "after | FMAs/kernel/tile | loads/FMA before | after | kernels sharing (c, p) "
        "in group |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.conv} | {r.shape} | {r.tile[0]}x{r.tile[1]} | {r.loads_before:.1f} | "
            f"{r.loads_after:.2f} | {r.fmas:.0f} | {r.ratio_before:.2f} | {r.ratio_after:.2f} | "
            f"{100 * r.group_shared:.1f}% |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patcc.lowering.lre_report")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--vector-length", type=int, default=8)
    parser.add_argument("--oc", type=int, default=4)
    parser.add_argument("--oh", type=int, default=4)
    parser.add_argument("--ow", type=int, default=2)
    args = parser.parse_args(argv)
    rows = layer_rows(args.size, args.vector_length, args.oc, args.oh, args.ow)
    print(format_rows(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
