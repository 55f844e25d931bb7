"""Elementwise activations: one tensor in, one tensor of the same shape out.

Scalar parameters (alpha, clip bounds, ...) are f32 properties; prelu's slope is an operand
because it is a learned tensor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import FloatAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from .base import NNOperation, Props, Shape, check_finite, get_float, one_shape, require
from .binary import check_unidirectional


class UnaryElementwiseOp(NNOperation):
    """Shared definition: the result has the input's shape."""

    input = operand_def(TensorType)
    result = result_def(TensorType)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        cls.check_props(props)
        return [x]

    @classmethod
    def check_props(cls, props: Props) -> None:
        """Rules on the properties; none by default."""


@irdl_op_definition
class ReluOp(UnaryElementwiseOp):
    """max(x, 0) (ONNX Relu)."""

    name = "nn.relu"


@irdl_op_definition
class LeakyReluOp(UnaryElementwiseOp):
    """x if x >= 0 else alpha * x (ONNX LeakyRelu)."""

    name = "nn.leaky_relu"
    alpha = prop_def(FloatAttr)

    @classmethod
    def check_props(cls, props: Props) -> None:
        check_finite(props, "alpha")


@irdl_op_definition
class PReluOp(NNOperation):
    """x if x >= 0 else slope * x, slope broadcast to x (ONNX PRelu, unidirectional)."""

    name = "nn.prelu"
    input = operand_def(TensorType)
    slope = operand_def(TensorType)
    result = result_def(TensorType)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, slope = in_shapes
        assert x is not None and slope is not None
        check_unidirectional(x, slope, "slope")
        return [x]


@irdl_op_definition
class ClipOp(UnaryElementwiseOp):
    """min(max(x, min), max) (ONNX Clip); an absent bound is -inf / +inf."""

    name = "nn.clip"
    min = opt_prop_def(FloatAttr)
    max = opt_prop_def(FloatAttr)

    @classmethod
    def check_props(cls, props: Props) -> None:
        lo = get_float(props, "min", -math.inf)
        hi = get_float(props, "max", math.inf)
        require(not (math.isnan(lo) or math.isnan(hi)), "min and max must not be NaN")


@irdl_op_definition
class SigmoidOp(UnaryElementwiseOp):
    """1 / (1 + exp(-x)) (ONNX Sigmoid)."""

    name = "nn.sigmoid"


@irdl_op_definition
class TanhOp(UnaryElementwiseOp):
    """tanh(x) (ONNX Tanh)."""

    name = "nn.tanh"


@irdl_op_definition
class HardSigmoidOp(UnaryElementwiseOp):
    """max(0, min(1, alpha * x + beta)) (ONNX HardSigmoid)."""

    name = "nn.hard_sigmoid"
    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)

    @classmethod
    def check_props(cls, props: Props) -> None:
        check_finite(props, "alpha", "beta")


@irdl_op_definition
class HardSwishOp(UnaryElementwiseOp):
    """x * max(0, min(1, x / 6 + 1/2)) (ONNX HardSwish)."""

    name = "nn.hard_swish"


@irdl_op_definition
class SiluOp(UnaryElementwiseOp):
    """x * sigmoid(x) (swish; ONNX spells it Sigmoid + Mul, a pass fuses them)."""

    name = "nn.silu"


@irdl_op_definition
class EluOp(UnaryElementwiseOp):
    """x if x > 0 else alpha * (exp(x) - 1) (ONNX Elu)."""

    name = "nn.elu"
    alpha = prop_def(FloatAttr)

    @classmethod
    def check_props(cls, props: Props) -> None:
        check_finite(props, "alpha")


@irdl_op_definition
class SoftplusOp(UnaryElementwiseOp):
    """log(1 + exp(x)) (ONNX Softplus)."""

    name = "nn.softplus"


OPS: list[type[NNOperation]] = [
    ReluOp,
    LeakyReluOp,
    PReluOp,
    ClipOp,
    SigmoidOp,
    TanhOp,
    HardSigmoidOp,
    HardSwishOp,
    SiluOp,
    EluOp,
    SoftplusOp,
]
