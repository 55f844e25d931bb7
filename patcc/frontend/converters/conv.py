"""Converters of ONNX Conv and ConvTranspose."""

from __future__ import annotations

from collections.abc import Sequence

import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import int_attr

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


CONVERTERS: dict[str, Converter] = {"Conv": convert_conv}
