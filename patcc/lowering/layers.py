"""Which layer each top-level loop nest serves: the `nn.layer` attribute.

lower-to-loops writes one flat function body; the C targets print one function per layer
and the parallelize pass picks conv/gemm/pool nests, so every top-level op a lowering emits is
marked with a label such as `conv3: pat fkw_conv2d 1x64x56x56 -> 1x128x56x56, 8 patterns,
4 groups + relu`. The label is the text the C printer puts in the layer's comment; `layer_op`
reads the op name back out of it.

A layer's own schedule (`pat.schedule`, a dictionary of integers a tuning log gave it) sits
on its tensor-level op; lower-to-loops reads the knobs that shape the nest it builds (vector
length, rows per row block) and copies the dictionary onto the layer's top-level ops, where
tile-conv reads the tile sizes and prefetch-next-kernel the hints (`layer_schedule`).
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    ShapedType,
    StringAttr,
)
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriterListener, PatternRewriteWalker
from xdsl.transforms.convert_linalg_to_loops import LowerLinalgStructuredOpPattern

LAYER_ATTR = "nn.layer"
SCHEDULE_ATTR = "pat.schedule"
"""A layer's own schedule: {oc, oh, ow, lre, vl, rb, pf, st, sr} (patcc.tune.space.Schedule)."""


def own_schedule(op: Operation) -> dict[str, int]:
    """The integers of `op`'s `pat.schedule` ({} without one)."""
    attr = op.attributes.get(SCHEDULE_ATTR)
    if not isinstance(attr, DictionaryAttr):
        return {}
    return {k: v.value.data for k, v in attr.data.items() if isinstance(v, IntegerAttr)}


def layer_schedule(op: Operation) -> dict[str, int]:
    """The `pat.schedule` of the layer `op` belongs to: its top-level op's, the op right
    inside the function ({} if none). Loop-level passes (tile-conv, prefetch-next-kernel)
    read a tuned layer's knobs there."""
    top: Operation | None = op
    while top is not None and not isinstance(top.parent_op(), func.FuncOp):
        top = top.parent_op()
    return own_schedule(top) if top is not None else {}


def _shape(typ: object) -> str:
    if isinstance(typ, ShapedType):
        return "x".join(str(d) for d in typ.get_shape()) or "scalar"
    return str(typ)


def layer_label(op: Operation, index: int) -> str:
    """`<name>: <dialect> <op> <input shape> -> <output shapes>[, K patterns, G groups]`."""
    result = op.results[0] if op.results else None
    short = op.name.split(".")[-1]
    name = (result.name_hint if result is not None else None) or f"{short}{index}"
    ins = _shape(op.operands[0].type) if op.operands else "()"
    outs = ", ".join(_shape(r.type) for r in op.results) or "()"
    dialect, _, kind = op.name.partition(".")
    # "pat fkw_conv2d", not "pat.fkw_conv2d": the lowered module names no tensor-level op
    label = f"{name}: {dialect} {kind} {ins} -> {outs}"
    patterns = op.properties.get("patterns")
    if patterns is not None and hasattr(patterns, "__len__"):
        label += f", {len(patterns)} patterns"  # pyright: ignore[reportArgumentType]
    groups = op.properties.get("filter_groups")
    if isinstance(groups, DenseArrayBase):
        label += f", {len(groups.get_values())} groups"
    return label


def layer_op(label: str) -> str:
    """The op name inside a label written by `layer_label` ('' if there is none)."""
    _, _, rest = label.partition(": ")
    return ".".join(rest.split(" ")[:2])


def mark_layer(ops: Iterable[Operation], label: str, source: Operation | None = None) -> None:
    """Label the ops (buffers belong to no layer: plan-buffers decides where they live);
    they take the `pat.schedule` of the `source` op they lower, if it has one."""
    schedule = source.attributes.get(SCHEDULE_ATTR) if source is not None else None
    for op in ops:
        if not isinstance(op, memref.AllocOp):
            op.attributes[LAYER_ATTR] = StringAttr(label)
            if schedule is not None:
                op.attributes[SCHEDULE_ATTR] = schedule


def convert_linalg_keeping_layers(module: ModuleOp) -> None:
    """xDSL's convert-linalg-to-loops, with each new top-level op taking the layer label of
    the linalg op it replaces (they are inserted right before it)."""

    def inherit(op: Operation) -> None:
        nxt = op.next_op
        if nxt is not None and LAYER_ATTR in nxt.attributes and LAYER_ATTR not in op.attributes:
            op.attributes[LAYER_ATTR] = nxt.attributes[LAYER_ATTR]

    PatternRewriteWalker(
        LowerLinalgStructuredOpPattern(),
        apply_recursively=False,
        listener=PatternRewriterListener(operation_insertion_handler=[inherit]),
    ).rewrite_module(module)
