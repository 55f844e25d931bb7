"""`pat.conv2d`: a 3x3 convolution whose kernels are pruned to patterns.

    %y = pat.conv2d %x, %values, %bias {patterns = #pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>,
           ids = dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>, strides = array<i64: 1, 1>,
           pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "relu"}
           : (tensor<1x2x8x8xf32>, tensor<2x2x4xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32>

- `values` (O x C x 4) holds only the kept weights of kernel (o, c), in the ascending
  position order of its pattern `patterns[ids[o, c]]`; the other 5 weights are zero.
- `ids[o, c] = -1` marks a kernel removed by connectivity pruning: it contributes nothing and
  its 4 values must be 0 (checked when `values` is a constant), so the dense weight a conv
  stands for is a function of (patterns, ids, values) alone.
- Only ungrouped convs (group = 1): patterns target the dense 3x3 layers that carry the MACs.
- `activation` fuses the following activation: "none" (default), "relu" or "relu6".
- `filter_order` / `filter_groups` (optional, written by `reorder-filters`, FKR) are a
  schedule, not a change of meaning: `filter_order[j]` is the original filter computed at
  position j (a permutation of 0..O-1), `filter_groups` the ascending start positions of the
  filter groups (from 0, within [0, O)). Results are still stored to their original output
  channels, so the op's value does not depend on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from xdsl.dialects.builtin import (
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerType,
    StringAttr,
    TensorType,
    i8,
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

from patcc.constants import constant_value, dense_attr, dense_to_numpy
from patcc.dialects.nn.base import (
    NNOperation,
    Props,
    Shape,
    ShapeError,
    check_nchw,
    fmt_shape,
    get_attr,
    get_choice,
    get_ints,
    get_str,
    require,
)
from patcc.dialects.nn.conv import check_bias, check_window, window_output

from .attributes import PATTERN_SIZE, PatternsAttr

ACTIVATIONS = ("none", "relu", "relu6")
KERNEL = (3, 3)


def ids_attr(ids: np.ndarray) -> DenseIntOrFPElementsAttr:
    """The `ids` property from an (O, C) integer array (stored as tensor<OxCxi8>)."""
    arr = np.ascontiguousarray(ids, dtype="<i1")
    require(arr.ndim == 2, f"ids must be 2-D (O x C), got rank {arr.ndim}")
    return dense_attr(arr, i8)


def ids_array(attr: Attribute) -> np.ndarray:
    """(O, C) int8 view of an `ids` property (a splat is expanded)."""
    if not isinstance(attr, DenseIntOrFPElementsAttr) or not isinstance(attr.type, TensorType):
        raise ShapeError(f"ids must be a dense tensor<OxCxi8>, got {attr}")
    el = attr.get_element_type()
    if not isinstance(el, IntegerType) or el.width.data != 8:
        raise ShapeError(f"ids must have element type i8, got {el}")
    return dense_to_numpy(attr)


def get_patterns(props: Props) -> PatternsAttr:
    attr = props.get("patterns")
    if not isinstance(attr, PatternsAttr):
        raise ShapeError(f"property 'patterns' must be a #pat.patterns, got {attr}")
    return attr


def get_ids(props: Props) -> np.ndarray:
    return ids_array(get_attr(props, "ids"))


def pattern_conv_shape(x: Shape, filters: int, bias: Shape | None, props: Props) -> Shape:
    """The rules `pat.conv2d` and `pat.fkw_conv2d` share once their O is known (fused
    activation, bias, FKR schedule), and their result shape: a 3x3 window over NCHW `x`."""
    get_choice(props, "activation", ACTIVATIONS, "none")
    check_bias(bias, filters)
    check_filter_schedule(props, filters)
    oh, ow = window_output(x[2:], KERNEL, props)
    return (x[0], filters, oh, ow)


def _show(values: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


def check_filter_schedule(props: Props, filters: int) -> None:
    """FKR's optional schedule properties: `filter_order` a permutation of the filters,
    `filter_groups` strictly ascending group starts, the first 0, all within [0, O)."""
    if "filter_order" in props:
        order = get_ints(props, "filter_order")
        require(
            sorted(order) == list(range(filters)),
            f"filter_order must be a permutation of 0..{filters - 1}, got {_show(order)}",
        )
    if "filter_groups" in props:
        groups = list(get_ints(props, "filter_groups"))
        require(
            len(groups) >= 1 and groups[0] == 0,
            f"filter_groups must start with 0, got {_show(groups)}",
        )
        require(
            all(a < b for a, b in pairwise(groups)),
            f"filter_groups must be strictly ascending, got {_show(groups)}",
        )
        require(
            groups[-1] < filters,
            f"filter_groups must be within [0, {filters}) (O = {filters}), got {groups[-1]}",
        )


@irdl_op_definition
class PatConv2dOp(NNOperation):
    """Pattern-sparse 3x3 conv, NCHW; ONNX Conv semantics (group 1) on the unpacked weight.

    pads are [top, left, bottom, right].
    """

    name = "pat.conv2d"
    input = operand_def(TensorType)
    values = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    patterns = prop_def(PatternsAttr)
    ids = prop_def(DenseIntOrFPElementsAttr)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    activation = opt_prop_def(StringAttr)
    filter_order = opt_prop_def(DenseArrayBase)
    filter_groups = opt_prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, v, b = in_shapes
        assert x is not None and v is not None
        check_nchw(x)
        c = x[1]
        require(
            len(v) == 3 and v[2] == PATTERN_SIZE,
            f"values must be O x C x {PATTERN_SIZE}, got {fmt_shape(v)}",
        )
        o = v[0]
        require(v[1] == c, f"values have {v[1]} input channels, the input has {c}")
        check_window(props)
        k = len(get_patterns(props))
        ids = get_ids(props)
        require(
            ids.shape == (o, c),
            f"ids must have shape {o}x{c} (O x C), got {fmt_shape(ids.shape)}",
        )
        bad = np.flatnonzero((ids < -1) | (ids >= k))
        if bad.size:
            at = [int(i) for i in np.unravel_index(bad[0], ids.shape)]
            raise ShapeError(
                f"ids must be in [-1, {k}) for {k} patterns, got {int(ids.flat[bad[0]])} at {at}"
            )
        return [pattern_conv_shape(x, o, b, props)]

    def verify_(self) -> None:
        super().verify_()
        values = constant_value(self.values)  # f32: the element types were checked above
        if values is not None:
            removed = (ids_array(self.ids) == -1) & values.any(axis=-1)
            if removed.any():
                at = [int(i) for i in np.argwhere(removed)[0]]
                raise VerifyException(
                    f"'{self.name}': values of a removed kernel (id -1) must be 0, "
                    f"kernel {at} has non-zero values"
                )

    def activation_name(self) -> str:
        return get_str(self.properties, "activation", "none")


OPS = [PatConv2dOp]
