"""`pat.fkw_conv2d`: a pattern conv whose weights are stored in FKW, as explicit IR values.

    %y = pat.fkw_conv2d %x, %offset, %reorder, %index, %stride, %weight, %bias {
           patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>, strides = array<i64: 1, 1>,
           pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu",
           filter_groups = array<i64: 0, 2>}
           : (tensor<1x2x8x8xf32>, tensor<5xi32>, tensor<4xi32>, tensor<5xi32>, tensor<4x3xi32>,
              tensor<5x4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>

The FKW arrays (see `patcc.compression.fkw`) are operands, normally `arith.constant`s, so the
loop-level lowering reads the storage layout from the IR and later passes (or a user) can
inspect or rewrite it: offset (O+1) i32, reorder (O) i32, index (N) i32, stride (O x (K+1))
i32, weight (N x 4) f32, bias (O) f32 optional. O = len(reorder), K = len(patterns), the
input channels come from the input. Output channel reorder[j] receives reordered filter j's
result: the layout that later layers see is the original one.

The verifier checks the shapes always and, where the integer arrays are constants, their
content (`fkw_error`: monotone offset and stride, index in range, reorder a permutation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    StringAttr,
    TensorType,
    f32,
    i32,
)
from xdsl.ir import Attribute
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

# A module import, not a name import: patcc.compression.fkw imports this package's
# attributes, so either side may be imported first.
import patcc.compression.fkw as fkw_format
from patcc.constants import constant_value, dense_attr
from patcc.dialects.nn.base import (
    NNOperation,
    Props,
    Shape,
    ShapeError,
    check_nchw,
    fmt_shape,
    get_str,
    require,
    shape_of,
)
from patcc.dialects.nn.conv import check_window

from .attributes import PATTERN_SIZE, PatternsAttr
from .conv import get_patterns, pattern_conv_shape

INT_OPERANDS = ("offset", "reorder", "index", "stride")


def dense_i32(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A dense i32 tensor attribute holding `array`."""
    return dense_attr(array, i32)


def int32_constant_op(array: np.ndarray) -> arith.ConstantOp:
    """`arith.constant dense<...> : tensor<...xi32>` (patcc.constants builds f32 only)."""
    return arith.ConstantOp(dense_i32(array))


@irdl_op_definition
class FkwConv2dOp(NNOperation):
    """Pattern-sparse 3x3 conv, NCHW, weights in FKW; ONNX Conv semantics (group 1) on the
    dense weight the arrays stand for, then the fused activation. pads: [t, l, b, r]."""

    name = "pat.fkw_conv2d"
    input = operand_def(TensorType)
    offset = operand_def(TensorType)
    reorder = operand_def(TensorType)
    index = operand_def(TensorType)
    stride = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    patterns = prop_def(PatternsAttr)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    activation = opt_prop_def(StringAttr)
    filter_groups = opt_prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, offset, reorder, index, stride, weight, b = in_shapes
        assert x is not None and offset is not None and reorder is not None
        assert index is not None and stride is not None and weight is not None
        check_nchw(x)
        require(len(reorder) == 1, f"reorder must be 1-D (O), got {fmt_shape(reorder)}")
        o = reorder[0]
        require(
            offset == (o + 1,), f"offset must have O+1 = {o + 1} entries, got {fmt_shape(offset)}"
        )
        require(len(index) == 1, f"index must be 1-D (kept kernels), got {fmt_shape(index)}")
        kept = index[0]
        require(
            weight == (kept, PATTERN_SIZE),
            f"weight must be {kept}x{PATTERN_SIZE} (kept kernels x {PATTERN_SIZE}), "
            f"got {fmt_shape(weight)}",
        )
        k = len(get_patterns(props))
        require(
            stride == (o, k + 1),
            f"stride must be {o}x{k + 1} (O x (K+1) for {k} patterns), got {fmt_shape(stride)}",
        )
        check_window(props)
        return [pattern_conv_shape(x, o, b, props)]

    def check_element_types(self) -> None:
        for name, value in [
            ("input", self.input),
            ("weight", self.weight),
            ("bias", self.bias),
            ("result", self.result),
        ]:
            if value is not None and not _has_element(value.type, f32):
                raise ShapeError(f"{name} must be an f32 tensor, got {value.type}")
        for name in INT_OPERANDS:
            value = getattr(self, name)
            if not _has_element(value.type, i32):
                raise ShapeError(f"{name} must be an i32 tensor, got {value.type}")

    def verify_(self) -> None:
        super().verify_()  # element types, shapes and properties
        arrays = [constant_value(getattr(self, name)) for name in INT_OPERANDS]
        if any(a is None for a in arrays):
            return  # content rules need the values; shapes were checked above
        offset, reorder, index, stride = arrays
        assert offset is not None and reorder is not None
        assert index is not None and stride is not None
        weight = np.zeros((index.shape[0], PATTERN_SIZE), dtype=np.float32)  # shape checked
        arrays_ = fkw_format.FKW(offset, reorder, index, stride, weight)
        error = fkw_format.fkw_error(arrays_, shape_of(self.input)[1])
        if error is not None:
            raise VerifyException(f"'{self.name}': {error}")

    def activation_name(self) -> str:
        return get_str(self.properties, "activation", "none")


def _has_element(typ: Attribute, element: Attribute) -> bool:
    return isinstance(typ, TensorType) and typ.element_type == element


OPS = [FkwConv2dOp]
