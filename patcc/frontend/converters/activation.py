"""Converters of ONNX activations, plus Identity and Dropout (pass-throughs at inference)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from xdsl.ir import SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn import activation as act
from patcc.dialects.nn.base import float_attr

from ..context import Converter, ImportContext


def _unary(op: type[act.UnaryElementwiseOp], **defaults: float) -> Converter:
    """A converter for an op whose ONNX attributes are float parameters with defaults."""

    def convert(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
        attrs = ctx.attrs()
        props = {name: float_attr(attrs.get(name, value)) for name, value in defaults.items()}
        return ctx.emit(lambda: op.inferred([ctx.value(node.input[0])], **props))

    return convert


def convert_prelu(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    x_shape = ctx.shape(node.input[0])
    slope_shape = ctx.shape(node.input[1])
    # Before opset 7 a 1-D slope of C values was per channel (axis 1), not numpy-aligned.
    if (
        ctx.opset < 7
        and len(x_shape) > 2
        and len(slope_shape) == 1
        and slope_shape[0] == x_shape[1] != x_shape[-1]
    ):
        slope = ctx.require_const(node.input[1], "a per-channel PRelu slope (opset < 7)")
        const = constant_op(slope.reshape(-1, *[1] * (len(x_shape) - 2)))
        ctx.block.add_op(const)
        slope_value: SSAValue = const.result
    else:
        slope_value = ctx.value(node.input[1])
    return ctx.emit(lambda: act.PReluOp.inferred([ctx.value(node.input[0]), slope_value]))


def _bound(ctx: ImportContext, node: onnx.NodeProto, index: int, what: str) -> float | None:
    """Clip's min/max input (opset >= 11): absent, or a constant scalar."""
    name = node.input[index] if len(node.input) > index else ""
    if not name:
        return None
    value = ctx.require_const(name, f"Clip's {what}")
    if value.size != 1:
        raise ctx.error(f"Clip's {what} must be a scalar, got shape {list(value.shape)}")
    return float(value.reshape(()))


def convert_clip(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    if ctx.opset < 11:  # bounds are attributes; absent means the f32 range (as good as inf)
        lo, hi = attrs.get("min"), attrs.get("max")
    else:
        lo, hi = _bound(ctx, node, 1, "min"), _bound(ctx, node, 2, "max")
    props = {}
    if lo is not None:
        props["min"] = float_attr(lo)
    if hi is not None:
        props["max"] = float_attr(hi)
    return ctx.emit(lambda: act.ClipOp.inferred([ctx.value(node.input[0])], **props))


def convert_pass_through(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    """Identity, and Dropout at inference: output 0 is the input. Dropout's mask output is
    not bound, so a node that reads it fails with 'not produced by any earlier node'."""
    if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
        mode = ctx.require_const(node.input[2], "Dropout's training_mode")
        if bool(np.asarray(mode).reshape(-1)[0]):
            raise ctx.error("training_mode = true is not supported (patcc compiles inference)")
    return [ctx.value(node.input[0])]


CONVERTERS: dict[str, Converter] = {
    "Relu": _unary(act.ReluOp),
    "LeakyRelu": _unary(act.LeakyReluOp, alpha=0.01),
    "PRelu": convert_prelu,
    "Clip": convert_clip,
    "Sigmoid": _unary(act.SigmoidOp),
    "Tanh": _unary(act.TanhOp),
    "HardSigmoid": _unary(act.HardSigmoidOp, alpha=0.2, beta=0.5),
    "HardSwish": _unary(act.HardSwishOp),
    "Elu": _unary(act.EluOp, alpha=1.0),
    "Softplus": _unary(act.SoftplusOp),
    "Identity": convert_pass_through,
    "Dropout": convert_pass_through,
}
