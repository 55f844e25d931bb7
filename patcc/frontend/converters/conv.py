"""Converters of ONNX Conv and ConvTranspose."""

from __future__ import annotations

from collections.abc import Sequence

import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import int_attr, ints_attr

from ..context import Converter, ImportContext
from .common import window_props


def convert_conv(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    x_shape = ctx.shape(node.input[0])
    w_shape = ctx.shape(node.input[1])
    if len(x_shape) != 4:
        raise ctx.error(
            f"only 2-D convolutions (4-D NCHW input) are supported, got rank {len(x_shape)}"
        )
    kernel = attrs.get("kernel_shape", list(w_shape[2:]))
    props = window_props(ctx, attrs, x_shape[2:], kernel)
    props["group"] = int_attr(attrs.get("group", 1))
    bias = node.input[2] if len(node.input) > 2 else ""
    return ctx.emit(
        lambda: conv.Conv2dOp.inferred(
            [ctx.value(node.input[0]), ctx.value(node.input[1]), ctx.opt_value(bias)], **props
        )
    )


def convert_conv_transpose(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    """ONNX ConvTranspose, with output_shape / auto_pad resolved into explicit pads.

    An odd total padding is split as the ONNX spec says (ONNX Runtime agrees): SAME_UPPER
    crops the extra row at the end, every other mode at the start.
    """
    attrs = ctx.attrs()
    x_shape = ctx.shape(node.input[0])
    w_shape = ctx.shape(node.input[1])
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ctx.error(
            f"only 2-D transposed convolutions (4-D NCHW input) are supported, got rank "
            f"{len(x_shape)}"
        )
    kernel = list(attrs.get("kernel_shape", w_shape[2:]))
    if kernel != list(w_shape[2:]):
        raise ctx.error(f"kernel_shape {kernel} differs from the weight's {list(w_shape[2:])}")
    strides = list(attrs.get("strides", [1, 1]))
    dilations = list(attrs.get("dilations", [1, 1]))
    output_padding = list(attrs.get("output_padding", [0, 0]))
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    auto_pad = attrs.get("auto_pad", "NOTSET")
    if auto_pad not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise ctx.error(f"auto_pad '{auto_pad}' is not a valid value")
    if len(strides) != 2 or len(dilations) != 2 or len(output_padding) != 2 or len(pads) != 4:
        raise ctx.error("strides, dilations and output_padding need 2 entries, pads 4")
    out_shape: list[int] | None = None
    if "output_shape" in attrs:
        out_shape = list(attrs["output_shape"])[-2:]
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out_shape = [x_shape[2 + i] * strides[i] for i in range(2)]
    elif auto_pad == "VALID":
        pads = [0, 0, 0, 0]
    if out_shape is not None:
        for i in range(2):
            full = conv.conv_transpose_output_size(
                x_shape[2 + i], kernel[i], strides[i], 0, 0, dilations[i], output_padding[i]
            )
            total = full - out_shape[i]
            if total < 0:  # a larger output than the full result: zeros at the end
                output_padding[i] -= total
                pads[i], pads[i + 2] = 0, 0
                continue
            small, big = total // 2, total - total // 2
            pads[i], pads[i + 2] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    props = {
        "strides": ints_attr(strides),
        "pads": ints_attr(pads),
        "dilations": ints_attr(dilations),
        "output_padding": ints_attr(output_padding),
        "group": int_attr(attrs.get("group", 1)),
    }
    bias = node.input[2] if len(node.input) > 2 else ""
    return ctx.emit(
        lambda: conv.ConvTransposeOp.inferred(
            [ctx.value(node.input[0]), ctx.value(node.input[1]), ctx.opt_value(bias)], **props
        )
    )


CONVERTERS: dict[str, Converter] = {
    "Conv": convert_conv,
    "ConvTranspose": convert_conv_transpose,
}
