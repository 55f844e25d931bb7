"""How the C targets (and plan-buffers) cut a loop-level function into layers.

A layer is a run of consecutive top-level ops with one `nn.layer` label (see
patcc/lowering/layers.py); unlabelled side-effect-free ops (constants, splats, weight
pointers, views) belong to no layer: every layer that uses them re-declares them.
"""

from __future__ import annotations

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


def layer_steps(block: Block) -> dict[Operation, int]:
    """Top-level op -> index of its layer (ops in no layer are absent)."""
    return {op: k for k, layer in enumerate(split_layers(block)) for op in layer.ops}


def root_buffer(v: SSAValue) -> SSAValue:
    """The allocation a memref value views (through collapse/expand/cast/subview)."""
    while isinstance(v.owner, ALIASES):
        v = v.owner.operands[0]
    return v
