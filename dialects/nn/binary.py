"""Elementwise binary ops with numpy (ONNX multidirectional) broadcasting.

The result shape is the numpy broadcast of the two operand shapes: shapes are aligned on
their trailing dimensions and each pair of dimensions must be equal or contain a 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import TensorType
from xdsl.irdl import irdl_op_definition, operand_def, result_def

from .base import NNOperation, Props, Shape, ShapeError, fmt_shape, require


def broadcast_shapes(a: Shape, b: Shape, what: str = "operand shapes") -> Shape:
    """The numpy broadcast of two shapes; ShapeError names the first clashing dimension."""
    rank = max(len(a), len(b))
    pa = (1,) * (rank - len(a)) + tuple(a)
    pb = (1,) * (rank - len(b)) + tuple(b)
    out: list[int] = []
    for axis, (da, db) in enumerate(zip(pa, pb, strict=True)):
        if da != db and 1 not in (da, db):
            raise ShapeError(
                f"{what} {fmt_shape(a)} and {fmt_shape(b)} are not broadcastable (numpy rule: "
                f"dimensions must be equal or 1, got {da} and {db} at axis {axis - rank})"
            )
        out.append(max(da, db) if 0 not in (da, db) else 0)
    return tuple(out)


def check_unidirectional(target: Shape, other: Shape, what: str) -> None:
    """`other` must broadcast to `target` without changing it (ONNX unidirectional)."""
    require(
        len(other) <= len(target)
        and all(d in (1, t) for d, t in zip(reversed(other), reversed(target), strict=False)),
        f"{what} shape {fmt_shape(other)} must broadcast to {fmt_shape(target)} (numpy rule, "
        "unidirectional: trailing dimensions equal or 1, rank not larger)",
    )


class BinaryElementwiseOp(NNOperation):
    """Shared definition: two operands, one result of their broadcast shape."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        a, b = in_shapes
        assert a is not None and b is not None
        return [broadcast_shapes(a, b)]


@irdl_op_definition
class AddOp(BinaryElementwiseOp):
    """lhs + rhs, numpy broadcasting (ONNX Add; Sum is a chain of these)."""

    name = "nn.add"


@irdl_op_definition
class SubOp(BinaryElementwiseOp):
    """lhs - rhs, numpy broadcasting (ONNX Sub)."""

    name = "nn.sub"


@irdl_op_definition
class MulOp(BinaryElementwiseOp):
    """lhs * rhs, numpy broadcasting (ONNX Mul)."""

    name = "nn.mul"


@irdl_op_definition
class DivOp(BinaryElementwiseOp):
    """lhs / rhs (IEEE float division), numpy broadcasting (ONNX Div on floats)."""

    name = "nn.div"


@irdl_op_definition
class MaxOp(BinaryElementwiseOp):
    """Elementwise maximum, NaN propagating, numpy broadcasting (ONNX Max of two inputs)."""

    name = "nn.max"


@irdl_op_definition
class MinOp(BinaryElementwiseOp):
    """Elementwise minimum, NaN propagating, numpy broadcasting (ONNX Min of two inputs)."""

    name = "nn.min"


OPS: list[type[NNOperation]] = [AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp]
