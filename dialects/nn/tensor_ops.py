"""Data movement: concat, slice, split, pad, resize, reshape, transpose, gather.

All index arguments are static properties (the importer folds every integer computation),
so each op's result shape follows from its properties alone. Axes are non-negative: the
importer normalises ONNX's negative axes, so the IR has one spelling per meaning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    f32,
)
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    prop_def,
    result_def,
    var_operand_def,
    var_result_def,
)

from .base import (
    NNOperation,
    Props,
    Shape,
    ShapeError,
    check_finite,
    check_nchw,
    fmt_shape,
    get_attr,
    get_choice,
    get_int,
    get_ints,
    one_shape,
    require,
)


def floats_attr(values: Sequence[float]) -> DenseArrayBase:
    """An `array<f32: ...>` property (resize scales)."""
    return DenseArrayBase.from_list(f32, [float(v) for v in values])


def get_floats(props: Props, name: str) -> tuple[float, ...]:
    attr = get_attr(props, name)
    if not isinstance(attr, DenseArrayBase):
        raise ShapeError(f"property '{name}' must be an array<f32: ...>, got {attr}")
    return tuple(float(v) for v in attr.get_values())


def check_axis(axis: int, rank: int, what: str = "axis") -> None:
    require(0 <= axis < rank, f"{what} must be in [0, {rank}) for rank {rank}, got {axis}")


# ---- concat -------------------------------------------------------------------------------


@irdl_op_definition
class ConcatOp(NNOperation):
    """Concatenation of one or more tensors along `axis` (ONNX Concat)."""

    name = "nn.concat"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        shapes = [s for s in in_shapes if s is not None]
        require(len(shapes) >= 1, "needs at least one input")
        first = shapes[0]
        axis = get_int(props, "axis")
        check_axis(axis, len(first))
        for i, s in enumerate(shapes[1:], start=1):
            same = len(s) == len(first) and all(
                a == b for d, (a, b) in enumerate(zip(s, first, strict=True)) if d != axis
            )
            require(
                same,
                f"input {i} has shape {fmt_shape(s)}, which differs from input 0 ({fmt_shape(first)}) "
                f"outside axis {axis}",
            )
        total = sum(s[axis] for s in shapes)
        return [(*first[:axis], total, *first[axis + 1 :])]


# ---- slice --------------------------------------------------------------------------------


def slice_bounds(dim: int, start: int, end: int, step: int) -> tuple[int, int, int]:
    """ONNX Slice clamping of one axis: (first index, numpy stop or -1 for 'none', length).

    Negative start/end count from the end; then they are clamped to [0, dim] for a positive
    step and to [0, dim - 1] / [-1, dim - 1] for a negative one (-1 = before the first).
    """
    if start < 0:
        start += dim
    if end < 0:
        end += dim
    if step > 0:
        start = min(max(start, 0), dim)
        end = min(max(end, 0), dim)
        length = max(0, -(-(end - start) // step))
    else:
        start = min(max(start, 0), dim - 1)
        end = min(max(end, -1), dim - 1)
        length = max(0, -(-(start - end) // -step))
    return start, end, length


@irdl_op_definition
class SliceOp(NNOperation):
    """ONNX Slice with static starts/ends/axes/steps (clamped as ONNX does; steps may be < 0)."""

    name = "nn.slice"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    starts = prop_def(DenseArrayBase)
    ends = prop_def(DenseArrayBase)
    axes = prop_def(DenseArrayBase)
    steps = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        starts, ends = get_ints(props, "starts"), get_ints(props, "ends")
        axes, steps = get_ints(props, "axes"), get_ints(props, "steps")
        n = len(starts)
        require(
            len(ends) == n and len(axes) == n and len(steps) == n,
            f"starts, ends, axes and steps must have one entry per sliced axis, got "
            f"{len(starts)}, {len(ends)}, {len(axes)} and {len(steps)}",
        )
        require(len(set(axes)) == n, f"axes must be distinct, got {list(axes)}")
        out = list(x)
        for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
            check_axis(axis, len(x), "each axis")
            require(step != 0, f"steps must be non-zero, got {list(steps)}")
            out[axis] = slice_bounds(x[axis], start, end, step)[2]
        require(min(out, default=1) >= 1, f"the slice is empty: result shape {fmt_shape(out)}")
        return [tuple(out)]


# ---- split --------------------------------------------------------------------------------


@irdl_op_definition
class SplitOp(NNOperation):
    """Split along `axis` into consecutive parts of the given `sizes` (ONNX Split)."""

    name = "nn.split"
    input = operand_def(TensorType)
    outputs = var_result_def(TensorType)
    axis = prop_def(IntegerAttr)
    sizes = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        axis = get_int(props, "axis")
        check_axis(axis, len(x))
        sizes = get_ints(props, "sizes")
        require(
            len(sizes) >= 1 and min(sizes) >= 1,
            f"sizes must be one or more positive integers, got {list(sizes)}",
        )
        require(
            sum(sizes) == x[axis],
            f"sizes {list(sizes)} add up to {sum(sizes)}, but axis {axis} has size {x[axis]}",
        )
        return [(*x[:axis], s, *x[axis + 1 :]) for s in sizes]


# ---- pad ----------------------------------------------------------------------------------

PAD_MODES = ("constant", "reflect", "edge")


@irdl_op_definition
class PadOp(NNOperation):
    """ONNX Pad: `pads` = [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}] over all axes.

    Negative pads crop (constant mode only); reflect mirrors without repeating the border.
    """

    name = "nn.pad"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    mode = prop_def(StringAttr)
    pads = prop_def(DenseArrayBase)
    value = prop_def(FloatAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        mode = get_choice(props, "mode", PAD_MODES)
        pads = get_ints(props, "pads")
        r = len(x)
        require(
            len(pads) == 2 * r,
            f"pads must have 2 x rank = {2 * r} entries [begins..., ends...], got {len(pads)}",
        )
        check_finite(props, "value")
        if mode != "constant":
            require(min(pads, default=0) >= 0, f"{mode} pads must be >= 0, got {list(pads)}")
        if mode == "reflect":
            for d in range(r):
                require(
                    max(pads[d], pads[d + r]) <= x[d] - 1,
                    f"reflect pads of axis {d} must be < its size {x[d]}, "
                    f"got {pads[d]} and {pads[d + r]}",
                )
        out = tuple(x[d] + pads[d] + pads[d + r] for d in range(r))
        require(min(out, default=1) >= 1, f"the padded tensor is empty: {fmt_shape(out)}")
        return [out]


# ---- resize -------------------------------------------------------------------------------

RESIZE_MODES = ("nearest", "linear")
COORDINATE_MODES = (
    "asymmetric",
    "half_pixel",
    "align_corners",
    "pytorch_half_pixel",
    "half_pixel_symmetric",
    "tf_half_pixel_for_nn",
)
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


@irdl_op_definition
class ResizeOp(NNOperation):
    """ONNX Resize over H and W of NCHW: nearest or (bi)linear.

    `sizes` is the output H, W; `scales` the scale factors the coordinate transformation
    uses (ONNX takes them as given, not as sizes / input, when the model states scales).
    """

    name = "nn.resize"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    mode = prop_def(StringAttr)
    coordinate_transformation_mode = prop_def(StringAttr)
    nearest_mode = prop_def(StringAttr)
    scales = prop_def(DenseArrayBase)
    sizes = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        check_nchw(x)
        get_choice(props, "mode", RESIZE_MODES)
        get_choice(props, "coordinate_transformation_mode", COORDINATE_MODES)
        get_choice(props, "nearest_mode", NEAREST_MODES)
        scales = get_floats(props, "scales")
        require(
            len(scales) == 2 and all(math.isfinite(s) and s > 0 for s in scales),
            f"scales must be 2 positive floats (H, W), got {list(scales)}",
        )
        sizes = get_ints(props, "sizes")
        require(
            len(sizes) == 2 and min(sizes) >= 1,
            f"sizes must be 2 positive integers (H, W), got {list(sizes)}",
        )
        return [(x[0], x[1], sizes[0], sizes[1])]


# ---- reshape / transpose / gather ----------------------------------------------------------


@irdl_op_definition
class ReshapeOp(NNOperation):
    """Reinterpret the row-major data under a new static `shape` (ONNX Reshape, Flatten,
    Squeeze, Unsqueeze)."""

    name = "nn.reshape"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    shape = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        shape = get_ints(props, "shape")
        require(min(shape, default=1) >= 1, f"shape must be positive sizes, got {list(shape)}")
        require(
            math.prod(shape) == math.prod(x),
            f"shape {fmt_shape(shape)} has {math.prod(shape)} elements, the input {fmt_shape(x)} "
            f"has {math.prod(x)}",
        )
        return [tuple(shape)]


@irdl_op_definition
class TransposeOp(NNOperation):
    """Permute the axes: result axis i is input axis perm[i] (ONNX Transpose)."""

    name = "nn.transpose"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    perm = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        perm = get_ints(props, "perm")
        require(
            sorted(perm) == list(range(len(x))),
            f"perm must be a permutation of 0..{len(x) - 1}, got {list(perm)}",
        )
        return [tuple(x[p] for p in perm)]


@irdl_op_definition
class GatherOp(NNOperation):
    """Take constant `indices` (of shape `indices_shape`, [] for a scalar) along `axis`
    (ONNX Gather with constant indices): result shape is
    input[:axis] + indices_shape + input[axis+1:]."""

    name = "nn.gather"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr)
    indices = prop_def(DenseArrayBase)
    indices_shape = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        axis = get_int(props, "axis")
        check_axis(axis, len(x))
        indices = get_ints(props, "indices")
        ishape = get_ints(props, "indices_shape")
        require(
            min(ishape, default=1) >= 1 and math.prod(ishape) == len(indices),
            f"indices_shape {list(ishape)} must be positive sizes holding the "
            f"{len(indices)} indices",
        )
        bad = [i for i in indices if not 0 <= i < x[axis]]
        require(not bad, f"indices must be in [0, {x[axis]}) for axis {axis}, got {bad}")
        return [(*x[:axis], *ishape, *x[axis + 1 :])]


OPS: list[type[NNOperation]] = [
    ConcatOp,
    SliceOp,
    SplitOp,
    PadOp,
    ResizeOp,
    ReshapeOp,
    TransposeOp,
    GatherOp,
]
