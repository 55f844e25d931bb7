"""Pooling over NCHW: windowed max/average pools and global pools.

Windows follow conv2d (kernel, strides, dilations, pads = [top, left, bottom, right]) and the
floor output-size formula. ONNX ceil_mode is resolved at import into extra end padding, so
the IR has one output-size rule. Average pooling must still know which end padding ceil_mode
added, because ONNX never counts it in the divisor: that is `ceil_pads`.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, opt_prop_def, prop_def, result_def

from .base import (
    NNOperation,
    Props,
    Shape,
    check_nchw,
    check_spatial,
    get_flag,
    get_ints,
    one_shape,
    require,
)
from .conv import check_window, window_output


def _pool_shape(x: Shape, props: Props) -> Shape:
    check_nchw(x)
    kernel = get_ints(props, "kernel")
    check_window(props, kernel=kernel)
    oh, ow = window_output(x[2:], kernel, props)
    return (x[0], x[1], oh, ow)


class WindowPoolOp(NNOperation):
    """Shared definition: a kernel window sliding over N x C x H x W, as conv2d's."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        return [_pool_shape(one_shape(in_shapes), props)]


@irdl_op_definition
class MaxPoolOp(WindowPoolOp):
    """Max over each window (ONNX MaxPool, output 0); padding is the lowest finite f32, so
    it never wins and a window wholly in padding gives -3.4e38 (as ONNX Runtime does)."""

    name = "nn.max_pool"


@irdl_op_definition
class AvgPoolOp(WindowPoolOp):
    """Mean over each window (ONNX AveragePool): the sum of the input values in the window
    divided by the number of its taps inside the input, or, with count_include_pad = 1,
    inside the input extended by pads less ceil_pads ([bottom, right], default 0: the end
    padding that ceil_mode added)."""

    name = "nn.avg_pool"
    count_include_pad = prop_def(IntegerAttr)
    ceil_pads = opt_prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        out = _pool_shape(one_shape(in_shapes), props)
        get_flag(props, "count_include_pad")
        pads = get_ints(props, "pads")
        ceil_pads = get_ints(props, "ceil_pads", (0, 0))
        require(
            len(ceil_pads) == 2 and 0 <= ceil_pads[0] <= pads[2] and 0 <= ceil_pads[1] <= pads[3],
            "ceil_pads must be 2 integers [bottom, right] between 0 and the end pads "
            f"{[pads[2], pads[3]]}, got {list(ceil_pads)}",
        )
        return [out]


class GlobalPoolOp(NNOperation):
    """Shared definition: N x C x D1 x ... -> N x C x 1 x ..."""

    input = operand_def(TensorType)
    result = result_def(TensorType)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        check_spatial(x)
        return [(x[0], x[1]) + (1,) * (len(x) - 2)]


@irdl_op_definition
class GlobalAvgPoolOp(GlobalPoolOp):
    """Mean over all spatial positions per (n, c) (ONNX GlobalAveragePool)."""

    name = "nn.global_avg_pool"


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp):
    """Max over all spatial positions per (n, c) (ONNX GlobalMaxPool)."""

    name = "nn.global_max_pool"


OPS: list[type[NNOperation]] = [MaxPoolOp, AvgPoolOp, GlobalAvgPoolOp, GlobalMaxPoolOp]
