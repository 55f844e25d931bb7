"""How the C targets (and plan-buffers) cut a loop-level function into layers.

A layer is a run of consecutive top-level ops with one `nn.layer` label (see
patcc/lowering/layers.py); unlabelled side-effect-free ops (constants, splats, weight
pointers, views) belong to no layer: every layer that uses them re-declares them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from xdsl.dialects import arith, func, memref, vector
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block, Operation, SSAValue

from patcc.targets.attrs import LAYER_ATTR

# views of another buffer: the same allocation under another shape
ALIASES = (memref.CollapseShapeOp, memref.ExpandShapeOp, memref.CastOp, memref.SubviewOp)
# unlabelled top-level ops that any layer may re-declare (no side effects, cheap)
SHARED = (
    arith.ConstantOp,
    vector.BroadcastOp,
    memref.GetGlobalOp,
    memref.ViewOp,
    memref.AllocOp,
    *ALIASES,
)


@dataclass
class Layer:
    label: str | None
    ops: list[Operation] = field(default_factory=list)


def label_of(op: Operation) -> str | None:
    attr = op.attributes.get(LAYER_ATTR)
    return attr.data if isinstance(attr, StringAttr) else None


def split_layers(block: Block) -> list[Layer]:
    layers: list[Layer] = []
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            continue
        label = label_of(op)
        if label is None and isinstance(op, SHARED):
            continue
        if not layers or layers[-1].label != label:
            layers.append(Layer(label))
        layers[-1].ops.append(op)
    return layers


def label_orphans(block: Block) -> int:
    """Give each unlabelled top-level op that is not SHARED (or is SHARED but built from a
    layer's values) the layer of the ops it works with; returns how many were labelled.

    Passes that know nothing of `nn.layer` can leave such ops at the top level: xDSL's
    canonicalize inlines a single-iteration loop (a conv with one filter) into the function
    body, its ops unlabelled; a load of one layer would then sit in a "glue" layer and feed
    the next one. An orphan between two ops of one layer is that layer's (layers are runs
    of consecutive ops: any other label would cut the layer in two). Otherwise it takes the
    label of the last labelled top-level op whose values it (or an op nested in it) uses,
    else of the first labelled top-level op that uses its values, else of the labelled op
    before it. Why the first rule comes first: CSE merges equal pure ops of two layers (a
    one-filter group's inlined `arith.minsi` of two constants, the same in the next conv),
    so an orphan's first labelled user can be in the next layer."""
    top: dict[Operation, None] = {op: None for op in block.ops}
    # the label of the next top-level op labelled before this pass, for each top-level op
    next_label: dict[Operation, str | None] = {}
    following: str | None = None
    for op in reversed(top):
        next_label[op] = following
        following = label_of(op) or following

    def top_of(op: Operation | None) -> Operation | None:
        while op is not None and op not in top:
            op = op.parent_op()
        return op

    count = 0
    previous: str | None = None
    order = {op: i for i, op in enumerate(top)}
    for op in top:
        label = label_of(op)
        if label is None and isinstance(op, SHARED):
            # re-declarable only when built from shared values: a broadcast of a layer's
            # load (a bias inlined with its loop) belongs to that layer
            producers = [
                p
                for v in op.operands
                if isinstance(p := v.owner, Operation) and p in top and label_of(p) is not None
            ]
            if producers and (label := label_of(max(producers, key=order.__getitem__))):
                op.attributes[LAYER_ATTR] = StringAttr(label)
                count += 1
        elif label is None and not isinstance(op, func.ReturnOp):
            if previous is not None and previous == next_label[op]:
                label = previous
            else:
                label = _label_by_uses(op, top_of, order) or previous
            if label is not None:
                op.attributes[LAYER_ATTR] = StringAttr(label)
                count += 1
        if label is not None:
            previous = label
    return count


def _label_by_uses(
    op: Operation,
    top_of: Callable[[Operation | None], Operation | None],
    order: Mapping[Operation, int],
) -> str | None:
    """The label of the last labelled top-level op whose values `op` (or an op nested in
    it) uses, else of the first labelled top-level op that uses its values, else None."""
    producers = [
        p
        for inner in op.walk()
        for v in inner.operands
        if isinstance(v.owner, Operation)
        and (p := top_of(v.owner)) is not None
        and p is not op
        and label_of(p) is not None
    ]
    if producers:
        return label_of(max(producers, key=order.__getitem__))
    users = [
        u
        for r in op.results
        for use in r.uses
        if (u := top_of(use.operation)) is not None and u is not op and label_of(u) is not None
    ]
    return label_of(min(users, key=order.__getitem__)) if users else None


def layer_steps(block: Block) -> dict[Operation, int]:
    """Top-level op -> index of its layer (ops in no layer are absent)."""
    return {op: k for k, layer in enumerate(split_layers(block)) for op in layer.ops}


def root_buffer(v: SSAValue) -> SSAValue:
    """The allocation a memref value views (through collapse/expand/cast/subview)."""
    while isinstance(v.owner, ALIASES):
        v = v.owner.operands[0]
    return v
