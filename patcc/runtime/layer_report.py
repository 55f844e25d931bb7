"""report.json of a build folder: per layer what was compiled and what it costs.

Read from the IR just before it is lowered to loops (the last level where a layer is still
one op), through `patcc.report.layer_table` for shapes and MACs; pattern convs add the
kernels kept, the non-zero MACs and their schedule (FKR filter groups, and any tiling
properties later passes attach). Storage is the bytes of the op's constant operands, i.e.
the compact FKW arrays for a packed conv.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, StringAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue

from patcc.constants import constant_value
from patcc.dialects.pat.conv import PatConv2dOp, get_ids
from patcc.dialects.pat.fkw import FkwConv2dOp
from patcc.lowering.pattern_conv import pat_conv_structure
from patcc.lowering.shared_groups import layer_group_size
from patcc.report import LayerStats, layer_table
from patcc.semantics import main_function

# op properties that describe how a layer is computed rather than what it computes
SCHEDULE_KEYS = ("filter_groups", "tile", "unroll", "vector", "lre", "schedule", "activation")


T = TypeVar("T")


def _layer_ops(module: ModuleOp) -> list[Operation]:
    """The ops `layer_table` has one row for, in the same order."""
    return [
        op
        for op in main_function(module).body.walk()
        if not isinstance(op, arith.ConstantOp | func.ReturnOp | func.FuncOp)
    ]


def _json_value(attr: Attribute) -> Any:
    if isinstance(attr, DenseArrayBase):
        return [int(v) for v in attr.get_values()]
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    if isinstance(attr, StringAttr):
        return attr.data
    return str(attr)


def _schedule(op: Operation) -> dict[str, Any]:
    items = {**op.attributes, **op.properties}
    out = {k: _json_value(v) for k, v in items.items() if any(s in k for s in SCHEDULE_KEYS)}
    groups = out.get("filter_groups")
    if isinstance(groups, list):
        out["filter_groups"] = len(groups)  # the count; the starts are in the IR
    return out


def _storage_bytes(op: Operation) -> int:
    return sum(
        int(value.nbytes)
        for value in (constant_value(v) for v in op.operands[1:])
        if value is not None
    )


def _dims(value: SSAValue) -> tuple[int, ...]:
    typ = value.type
    return tuple(typ.get_shape()) if isinstance(typ, TensorType) else ()


def _pattern_conv(op: PatConv2dOp | FkwConv2dOp) -> dict[str, int]:
    """Kernels kept of all, MACs dense (9 taps a kernel) and non-zero (4 taps a kept
    kernel), from the pattern ids or the FKW index array, and the filters that share one
    kernel list (`shared_group`: block pruning's FKR groups, 1 when each filter has its own;
    a different loop nest, so the tuning log keys on it)."""
    out = _dims(op.result)
    in_channels = _dims(op.input)[1]
    if isinstance(op, PatConv2dOp):
        ids = get_ids(op.properties)
        kept, total = int((ids >= 0).sum()), int(ids.size)
        fkw = pat_conv_structure(op)
        offset, index, stride = fkw.offset, fkw.index, fkw.stride
    else:
        kept, total = _dims(op.index)[0], _dims(op.reorder)[0] * in_channels
        offset, index, stride = (constant_value(v) for v in (op.offset, op.index, op.stride))
    pixels = int(np.prod(out)) // out[1]  # batch x height x width
    return {
        "kernels_kept": kept,
        "kernels_total": total,
        "macs": pixels * total * 9,
        "nonzero_macs": pixels * kept * 4,
        "shared_group": layer_group_size(op, offset, index, stride),
    }


def _dense_conv(op: Operation, macs: int) -> dict[str, int]:
    """Kernels with a non-zero weight, and MACs scaled by the share of non-zero weights."""
    weight = constant_value(op.operands[1]) if len(op.operands) > 1 else None
    if "conv" not in op.name or weight is None or weight.ndim != 4:
        return {}
    kernels = weight.reshape(weight.shape[0] * weight.shape[1], -1)
    return {
        "kernels_kept": int(np.any(kernels != 0, axis=1).sum()),
        "kernels_total": int(kernels.shape[0]),
        "nonzero_macs": macs * int(np.count_nonzero(weight)) // max(1, weight.size),
    }


def _row(stats: LayerStats, op: Operation) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": stats.name,
        "op": stats.op,
        "shape": [list(s) for s in stats.shapes],
        "macs": stats.macs,
        "nonzero_macs": stats.macs,
        "storage_bytes": _storage_bytes(op),
    }
    if isinstance(op, PatConv2dOp | FkwConv2dOp):
        row.update(_pattern_conv(op))
    else:
        row.update(_dense_conv(op, stats.macs))
    schedule = _schedule(op)
    if schedule:
        row["schedule"] = schedule
    return row


def layer_report(module: ModuleOp) -> list[dict[str, Any]]:
    """One row per op of a tensor-level module (before lower-to-loops)."""
    rows = layer_table(module)
    ops = _layer_ops(module)
    return [_row(stats, op) for stats, op in zip(rows, ops, strict=True)]


def _loop_layers(module: ModuleOp) -> list[tuple[str, list[Operation]]]:
    """(label, top-level ops) of each layer of a loop-level module, in order."""
    from patcc.lowering.layers import LAYER_ATTR

    layers: dict[str, list[Operation]] = {}
    for top in main_function(module).body.block.ops:
        label = top.attributes.get(LAYER_ATTR)
        if isinstance(label, StringAttr):
            layers.setdefault(label.data, []).append(top)
    return list(layers.items())


STANDS_FOR = {"nn.gemv_skip_zeros": "nn.gemm"}
"""Ops a target's graph pass puts in place of a reported one (skip-zero-inputs), and the op
of the report's row they pair with."""


def _paired(
    rows: list[dict[str, Any]], items: Iterable[T], op_name: Callable[[T], str]
) -> Iterator[tuple[dict[str, Any], T]]:
    """Each item with the next row of its op name (rows without an item are skipped: the
    activations lower-to-loops fused, the ops a graph pass fused away). An item no row is
    left for is skipped and consumes no row: an op a graph pass added or made of another
    kind (the opencl target's `nn.concat` of the first layer's input, its dense first conv
    as `pat.conv2d`) has none, and the layers after it still pair with theirs."""
    start = 0
    for item in items:
        name = op_name(item)
        name = STANDS_FOR.get(name, name)
        found = next((i for i in range(start, len(rows)) if rows[i]["op"] == name), None)
        if found is None:
            continue
        start = found + 1
        yield rows[found], item


def paired_tensor_layers(
    rows: list[dict[str, Any]], module: ModuleOp
) -> Iterator[tuple[dict[str, Any], Operation]]:
    """(report row, op) of each layer of a tensor-level module. The rows may be older than
    the module (taken before the target's graph passes, which fuse ops away)."""
    return _paired(rows, _layer_ops(module), lambda op: op.name)


def paired_loop_layers(
    rows: list[dict[str, Any]], module: ModuleOp
) -> Iterator[tuple[dict[str, Any], str, list[Operation]]]:
    """(report row, label, top-level ops) of each layer of a loop-level module.

    lower-to-loops labels each layer's loops (`nn.layer`) with the op it came from, in the
    order of `rows` less the activations it fused, so rows and labels pair up in order."""
    from patcc.lowering.layers import layer_op

    for row, (label, tops) in _paired(rows, _loop_layers(module), lambda t: layer_op(t[0])):
        yield row, label, tops


def add_loop_schedules(rows: list[dict[str, Any]], module: ModuleOp) -> None:
    """Add what the loop-level passes chose for each layer: tile sizes per loop role
    (`pat.tile` on the `pat.loop` loops), parallel loops, and the activation fused into it."""
    from patcc.lowering.pattern_conv import LOOP_ATTR, TILE_ATTR
    from patcc.targets.attrs import PARALLEL_ATTR

    for row, label, tops in paired_loop_layers(rows, module):
        schedule: dict[str, Any] = {}
        if " + " in label:
            schedule["fused"] = label.rsplit(" + ", 1)[1]
        for op in (o for top in tops for o in top.walk()):
            role, tile = op.attributes.get(LOOP_ATTR), op.attributes.get(TILE_ATTR)
            if isinstance(role, StringAttr) and isinstance(tile, IntegerAttr):
                schedule.setdefault("tiles", {})[role.data] = tile.value.data
            if PARALLEL_ATTR in op.attributes:
                schedule["parallel"] = True
        if schedule:
            row["schedule"] = {**row.get("schedule", {}), **schedule}
