"""Dense linear algebra and normalisations: gemm, matmul, softmax, lrn, batch_norm."""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, TensorType
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)

from .base import (
    NNOperation,
    Props,
    Shape,
    check_finite,
    check_spatial,
    fmt_shape,
    get_flag,
    get_float,
    get_ints,
    get_positive,
    one_shape,
    require,
)
from .binary import broadcast_shapes, check_unidirectional


@irdl_op_definition
class GemmOp(NNOperation):
    """alpha * op(a) @ op(b) + beta * c, op = transpose if trans_a / trans_b (ONNX Gemm);
    a and b are 2-D, c (optional) broadcasts to the M x N result."""

    name = "nn.gemm"
    a = operand_def(TensorType)
    b = operand_def(TensorType)
    c = opt_operand_def(TensorType)
    result = result_def(TensorType)
    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)
    trans_a = prop_def(IntegerAttr)
    trans_b = prop_def(IntegerAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        a, b, c = in_shapes
        assert a is not None and b is not None
        require(len(a) == 2, f"a must be 2-D, got rank {len(a)}")
        require(len(b) == 2, f"b must be 2-D, got rank {len(b)}")
        m, ka = a[::-1] if get_flag(props, "trans_a") else a
        kb, n = b[::-1] if get_flag(props, "trans_b") else b
        require(
            ka == kb,
            f"inner dimensions must agree: op(a) is {m}x{ka}, op(b) is {kb}x{n}",
        )
        get_float(props, "alpha")
        get_float(props, "beta")
        if c is not None:
            check_unidirectional((m, n), c, "c")
        return [(m, n)]


@irdl_op_definition
class GemvSkipZerosOp(NNOperation):
    """A one-row gemm whose weights are stored K-major in blocks of outputs, and whose
    terms with a zero input are skipped (what `skip-zero-inputs` makes of `nn.gemm`):

        y[0, n] = sum over k with x[0, k] != 0 of x[0, k] * w[n // B, k, n % B] + beta * c

    w is blocks x K x B (B outputs per block, n < blocks * B; the columns past n are
    padding). Skipping equals the plain sum when the weights are finite (0 * w = 0), and
    saves reading a run of w per zero input: a classifier behind a ReLU streams only the
    runs of its non-zero inputs. The code tests `group` consecutive inputs at once and
    skips them when all are zero (it multiplies the zeros of a group it does not skip,
    which for finite weights changes nothing, as in the sum above), and reads `streams`
    blocks in lockstep (absent: 1; it divides the blocks), which changes only the order
    of the reads."""

    name = "nn.gemv_skip_zeros"
    x = operand_def(TensorType)
    w = operand_def(TensorType)
    c = opt_operand_def(TensorType)
    result = result_def(TensorType)
    beta = prop_def(FloatAttr)
    n = prop_def(IntegerAttr)
    group = prop_def(IntegerAttr)
    streams = opt_prop_def(IntegerAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, w, c = in_shapes
        assert x is not None and w is not None
        require(len(x) == 2 and x[0] == 1, f"x must be one row (1 x K), got {fmt_shape(x)}")
        require(len(w) == 3, f"w must be 3-D (blocks x K x B), got rank {len(w)}")
        blocks, k, width = w
        require(k == x[1], f"w's K ({k}) must equal x's length ({x[1]})")
        n = get_positive(props, "n")
        require(
            (blocks - 1) * width < n <= blocks * width,
            f"n ({n}) must need all {blocks} blocks of {width} outputs",
        )
        get_float(props, "beta")
        get_positive(props, "group")
        if "streams" in props:
            streams = get_positive(props, "streams")
            require(blocks % streams == 0, f"streams ({streams}) must divide the {blocks} blocks")
        if c is not None:
            check_unidirectional((1, n), c, "c")
        return [(1, n)]


@irdl_op_definition
class MatMulOp(NNOperation):
    """numpy matmul (ONNX MatMul): batch dims broadcast; a 1-D operand is a vector whose
    axis is dropped from the result. `skip_zero_lhs = 1` asks the lowering to skip the
    terms whose lhs value is zero, reading no rhs value for them: the same sum where the
    rhs is finite (0 * w = 0), which whoever sets it checks (split-k-gemm sets it on a
    classifier's partial products, whose inputs a ReLU fills with zeros)."""

    name = "nn.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    skip_zero_lhs = opt_prop_def(IntegerAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        a, b = in_shapes
        assert a is not None and b is not None
        get_flag(props, "skip_zero_lhs", 0)
        require(len(a) >= 1 and len(b) >= 1, "operands must have rank >= 1 (no scalars)")
        a2: Shape = (1, *a) if len(a) == 1 else tuple(a)
        b2: Shape = (*b, 1) if len(b) == 1 else tuple(b)
        require(
            a2[-1] == b2[-2],
            f"inner dimensions must agree: lhs {fmt_shape(a)} has {a2[-1]} columns, "
            f"rhs {fmt_shape(b)} has {b2[-2]} rows",
        )
        batch = broadcast_shapes(a2[:-2], b2[:-2], "batch dimensions")
        out = (*batch, *(a2[-2:-1] if len(a) > 1 else ()), *(b2[-1:] if len(b) > 1 else ()))
        return [out]


def _axes_in_range(axes: Sequence[int], rank: int) -> None:
    require(
        len(axes) >= 1
        and all(0 <= ax < rank for ax in axes)
        and all(axes[i + 1] == axes[i] + 1 for i in range(len(axes) - 1)),
        f"axes must be consecutive ascending axes in [0, {rank}), got {list(axes)}",
    )


class SoftmaxBase(NNOperation):
    """Shared definition: normalisation over the joint extent of `axes`."""

    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        _axes_in_range(get_ints(props, "axes"), len(x))
        return [x]


@irdl_op_definition
class SoftmaxOp(SoftmaxBase):
    """exp(x) / sum(exp(x)) over the joint extent of `axes` (consecutive): ONNX Softmax is
    axes = [axis] from opset 13, [axis, ..., rank-1] (coerced to 2-D) before."""

    name = "nn.softmax"


@irdl_op_definition
class LogSoftmaxOp(SoftmaxBase):
    """log(softmax(x)) over the joint extent of `axes`, like nn.softmax (ONNX LogSoftmax)."""

    name = "nn.log_softmax"


@irdl_op_definition
class LrnOp(NNOperation):
    """x / (bias + alpha / size * sum of x^2 over `size` neighbouring channels)^beta
    (ONNX LRN: channels c - floor((size-1)/2) .. c + ceil((size-1)/2), axis 1)."""

    name = "nn.lrn"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    size = prop_def(IntegerAttr)
    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)
    bias = prop_def(FloatAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x = one_shape(in_shapes)
        check_spatial(x)
        get_positive(props, "size")
        check_finite(props, "alpha", "beta", "bias")
        return [x]


@irdl_op_definition
class BatchNormOp(NNOperation):
    """Inference batch norm over axis 1: (x - mean) / sqrt(var + epsilon) * scale + bias
    (ONNX BatchNormalization, one output); scale, bias, mean, var have shape C."""

    name = "nn.batch_norm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    result = result_def(TensorType)
    epsilon = prop_def(FloatAttr)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, *params = in_shapes
        assert x is not None
        require(len(x) >= 2, f"input must be N x C x ... (rank >= 2), got rank {len(x)}")
        for name, shape in zip(("scale", "bias", "mean", "var"), params, strict=True):
            assert shape is not None
            require(
                shape == (x[1],),
                f"{name} must have shape C = {x[1]} (the input's axis 1), got {fmt_shape(shape)}",
            )
        eps = get_float(props, "epsilon")
        require(eps >= 0 and math.isfinite(eps), f"epsilon must be finite and >= 0, got {eps}")
        return [x]


OPS: list[type[NNOperation]] = [
    GemmOp,
    GemvSkipZerosOp,
    MatMulOp,
    SoftmaxOp,
    LogSoftmaxOp,
    LrnOp,
    BatchNormOp,
]
