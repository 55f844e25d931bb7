"""Converters of ONNX Gemm, MatMul, Softmax/LogSoftmax, LRN and BatchNormalization."""

from __future__ import annotations

from collections.abc import Sequence

import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import linear
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr

from ..context import Converter, ImportContext


def convert_gemm(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    # Opset < 7 had a `broadcast` flag; numpy broadcasting of C covers both of its values.
    attrs = ctx.attrs()
    props = {
        "alpha": float_attr(attrs.get("alpha", 1.0)),
        "beta": float_attr(attrs.get("beta", 1.0)),
        "trans_a": int_attr(1 if attrs.get("transA", 0) else 0),
        "trans_b": int_attr(1 if attrs.get("transB", 0) else 0),
    }
    c = node.input[2] if len(node.input) > 2 else ""
    return ctx.emit(
        lambda: linear.GemmOp.inferred(
            [ctx.value(node.input[0]), ctx.value(node.input[1]), ctx.opt_value(c)], **props
        )
    )


def convert_matmul(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    return ctx.emit(
        lambda: linear.MatMulOp.inferred([ctx.value(node.input[0]), ctx.value(node.input[1])])
    )


def _softmax(op: type[linear.SoftmaxBase]) -> Converter:
    """Opset >= 13 normalises over one axis (default -1); before, the input was coerced to
    2-D at `axis` (default 1), i.e. normalised jointly over axis..rank-1."""

    def convert(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
        rank = len(ctx.shape(node.input[0]))
        new = ctx.opset >= 13
        axis = ctx.attrs().get("axis", -1 if new else 1)
        if not -rank <= axis < max(rank, 1):
            raise ctx.error(f"axis {axis} is out of range for rank {rank}")
        axis %= max(rank, 1)
        axes = [axis] if new else list(range(axis, rank))
        return ctx.emit(lambda: op.inferred([ctx.value(node.input[0])], axes=ints_attr(axes)))

    return convert


def convert_lrn(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    if "size" not in attrs:
        raise ctx.error("attribute size is required")
    props = {
        "size": int_attr(attrs["size"]),
        "alpha": float_attr(attrs.get("alpha", 1e-4)),
        "beta": float_attr(attrs.get("beta", 0.75)),
        "bias": float_attr(attrs.get("bias", 1.0)),
    }
    return ctx.emit(lambda: linear.LrnOp.inferred([ctx.value(node.input[0])], **props))


def convert_batch_norm(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    if attrs.get("training_mode", 0):
        raise ctx.error("training_mode = 1 is not supported (patcc compiles inference)")
    if any(node.output[1:]):
        raise ctx.error(
            "only the inference form with one output is supported, the node asks for "
            f"{len([o for o in node.output if o])} outputs (running or saved statistics)"
        )
    if not attrs.get("spatial", 1):
        raise ctx.error("spatial = 0 (per-activation statistics, opset < 9) is not supported")
    if len(node.input) != 5:
        raise ctx.error(f"expected 5 inputs (X, scale, B, mean, var), got {len(node.input)}")
    operands = [ctx.value(name) for name in node.input]
    return ctx.emit(
        lambda: linear.BatchNormOp.inferred(
            operands, epsilon=float_attr(attrs.get("epsilon", 1e-5))
        )
    )


CONVERTERS: dict[str, Converter] = {
    "Gemm": convert_gemm,
    "MatMul": convert_matmul,
    "Softmax": _softmax(linear.SoftmaxOp),
    "LogSoftmax": _softmax(linear.LogSoftmaxOp),
    "LRN": convert_lrn,
    "BatchNormalization": convert_batch_norm,
}
