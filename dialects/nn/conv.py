"""Convolutions: conv2d (grouped and depthwise included) and conv_transpose."""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType
from xdsl.irdl import irdl_op_definition, operand_def, opt_operand_def, prop_def, result_def

from .base import (
    NNOperation,
    Props,
    Shape,
    check_nchw,
    fmt_shape,
    get_ints,
    get_positive,
    require,
)


def conv_output_size(
    size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dilation: int
) -> int:
    return (size + pad_begin + pad_end - dilation * (kernel - 1) - 1) // stride + 1


def check_window(props: Props, *, kernel: Sequence[int] | None = None) -> None:
    """The rules shared by convs and pools: 2 positive strides/dilations, 4 pads >= 0."""
    strides = get_ints(props, "strides")
    pads = get_ints(props, "pads")
    dilations = get_ints(props, "dilations", (1, 1))
    require(
        len(strides) == 2 and min(strides) >= 1,
        f"strides must be 2 positive integers, got {list(strides)}",
    )
    require(
        len(dilations) == 2 and min(dilations) >= 1,
        f"dilations must be 2 positive integers, got {list(dilations)}",
    )
    require(
        len(pads) == 4 and min(pads) >= 0,
        f"pads must be 4 non-negative integers [top, left, bottom, right], got {list(pads)}",
    )
    if kernel is not None:
        require(
            len(kernel) == 2 and min(kernel) >= 1,
            f"kernel must be 2 positive integers, got {list(kernel)}",
        )


def check_bias(bias: Shape | None, filters: int) -> None:
    """An optional bias operand holds one value per output channel."""
    if bias is not None:
        require(bias == (filters,), f"bias must have shape {filters}, got {fmt_shape(bias)}")


def window_output(in_hw: Sequence[int], kernel: Sequence[int], props: Props) -> tuple[int, int]:
    strides = get_ints(props, "strides")
    pads = get_ints(props, "pads")
    dilations = get_ints(props, "dilations", (1, 1))
    out = tuple(
        conv_output_size(in_hw[i], kernel[i], strides[i], pads[i], pads[i + 2], dilations[i])
        for i in range(2)
    )
    require(
        min(out) >= 1, f"the window does not fit: output size {list(out)} from input {list(in_hw)}"
    )
    return out[0], out[1]


class ConvOpBase(NNOperation):
    """Shared definition of conv2d and conv_transpose: input, 4-D weight, optional bias; the
    window (strides, pads, dilations) and group."""

    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    group = prop_def(IntegerAttr)


@irdl_op_definition
class Conv2dOp(ConvOpBase):
    """2-D convolution, NCHW input, OIHW weight (I = C / group); ONNX Conv semantics.

    pads are [top, left, bottom, right]; depthwise is group = C = O.
    """

    name = "nn.conv2d"

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, w, b = in_shapes
        assert x is not None and w is not None
        check_nchw(x)
        require(len(w) == 4, f"weight must be 4-D OIHW, got rank {len(w)}")
        check_window(props, kernel=w[2:])
        group = get_positive(props, "group")
        n, c, h, wd = x
        o, i = w[0], w[1]
        require(
            c % group == 0 and o % group == 0,
            f"input channels {c} and output channels {o} must be divisible by group {group}",
        )
        require(
            i * group == c,
            f"weight has {i} input channels per group, expected {c} / {group} = {c // group}",
        )
        check_bias(b, o)
        oh, ow = window_output((h, wd), w[2:], props)
        return [(n, o, oh, ow)]


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int,
    pad_begin: int,
    pad_end: int,
    dilation: int,
    output_padding: int,
) -> int:
    return (size - 1) * stride + dilation * (kernel - 1) + 1 + output_padding - pad_begin - pad_end


@irdl_op_definition
class ConvTransposeOp(ConvOpBase):
    """2-D transposed convolution (ONNX ConvTranspose), NCHW input, weight C x (O / group) x KH
    x KW.

    Every input pixel scatters its kernel-weighted copy at stride; pads [top, left, bottom,
    right] crop the full result and output_padding adds rows/columns at the bottom/right.
    """

    name = "nn.conv_transpose"
    output_padding = prop_def(DenseArrayBase)

    @classmethod
    def infer_shapes(cls, in_shapes: Sequence[Shape | None], props: Props) -> list[Shape]:
        x, w, b = in_shapes
        assert x is not None and w is not None
        check_nchw(x)
        require(len(w) == 4, f"weight must be 4-D (C, O / group, KH, KW), got rank {len(w)}")
        check_window(props, kernel=w[2:])
        output_padding = get_ints(props, "output_padding")
        require(
            len(output_padding) == 2 and min(output_padding) >= 0,
            f"output_padding must be 2 non-negative integers, got {list(output_padding)}",
        )
        group = get_positive(props, "group")
        n, c, h, wd = x
        require(
            w[0] == c, f"weight has {w[0]} input channels, the input has {c} (weight is C x O/g)"
        )
        require(c % group == 0, f"input channels {c} must be divisible by group {group}")
        o = w[1] * group
        check_bias(b, o)
        strides, pads = get_ints(props, "strides"), get_ints(props, "pads")
        dilations = get_ints(props, "dilations")
        out = [
            conv_transpose_output_size(
                (h, wd)[i],
                w[2 + i],
                strides[i],
                pads[i],
                pads[i + 2],
                dilations[i],
                output_padding[i],
            )
            for i in range(2)
        ]
        require(
            min(out) >= 1,
            f"pads crop everything: output size {out} from input {[h, wd]}",
        )
        return [(n, o, out[0], out[1])]


OPS = [Conv2dOp, ConvTransposeOp]
