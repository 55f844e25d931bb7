"""Converters of ONNX elementwise arithmetic: Add/Sub/Mul/Div, variadic Sum/Max/Min/Mean."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from xdsl.ir import SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn import binary

from ..context import Converter, ImportContext


def _legacy_rhs(ctx: ImportContext, node: onnx.NodeProto) -> SSAValue:
    """B of a binary node. Before opset 7, `broadcast = 1` with `axis` aligned B's dims to A's
    starting at `axis` (not at the end, as numpy does): B gets trailing 1s to say the same."""
    rhs = node.input[1]
    attrs = ctx.attrs()
    if ctx.opset >= 7 or not attrs.get("broadcast", 0) or "axis" not in attrs:
        return ctx.value(rhs)
    rank_a, b_shape = len(ctx.shape(node.input[0])), ctx.shape(rhs)
    axis = attrs["axis"] + (rank_a if attrs["axis"] < 0 else 0)
    trailing = rank_a - axis - len(b_shape)
    if trailing < 0:
        raise ctx.error(f"B of shape {list(b_shape)} does not fit A's rank {rank_a} at axis {axis}")
    if trailing == 0:
        return ctx.value(rhs)
    b = ctx.require_const(rhs, "B broadcast from an axis (opset < 7)")
    const = constant_op(b.reshape(*b_shape, *[1] * trailing))
    ctx.block.add_op(const)
    return const.result


def _binary(op: type[binary.BinaryElementwiseOp]) -> Converter:
    def convert(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
        lhs, rhs = ctx.value(node.input[0]), _legacy_rhs(ctx, node)
        return ctx.emit(lambda: op.inferred([lhs, rhs]))

    return convert


def _chain(
    ctx: ImportContext, node: onnx.NodeProto, op: type[binary.BinaryElementwiseOp]
) -> SSAValue:
    """Left fold of a variadic node's inputs with a broadcasting binary op."""
    names = [n for n in node.input if n]
    if not names:
        raise ctx.error("needs at least one input")
    acc = ctx.value(names[0])
    for name in names[1:]:
        rhs = ctx.value(name)
        lhs = acc
        acc = ctx.emit1(lambda lhs=lhs, rhs=rhs: op.inferred([lhs, rhs]))
    return acc


def _variadic(op: type[binary.BinaryElementwiseOp]) -> Converter:
    def convert(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
        return [_chain(ctx, node, op)]

    return convert


def convert_mean(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    total = _chain(ctx, node, binary.AddOp)
    count = len([n for n in node.input if n])
    if count == 1:
        return [total]
    const = constant_op(np.array(count, dtype=np.float32))
    ctx.block.add_op(const)
    return ctx.emit(lambda: binary.DivOp.inferred([total, const.result]))


CONVERTERS: dict[str, Converter] = {
    "Add": _binary(binary.AddOp),
    "Sub": _binary(binary.SubOp),
    "Mul": _binary(binary.MulOp),
    "Div": _binary(binary.DivOp),
    "Sum": _variadic(binary.AddOp),
    "Max": _variadic(binary.MaxOp),
    "Min": _variadic(binary.MinOp),
    "Mean": convert_mean,
}
