"""Converters of ONNX MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import pool
from patcc.dialects.nn.base import get_ints, int_attr, ints_attr

from ..context import Converter, ImportContext
from .common import window_props


def _window(ctx: ImportContext, node: onnx.NodeProto) -> tuple[dict[str, Any], dict[str, Any]]:
    """(attributes, properties with ceil_mode resolved into end padding) of a 2-D pool."""
    attrs = ctx.attrs()
    x_shape = ctx.shape(node.input[0])
    if len(x_shape) != 4:
        raise ctx.error(f"only 2-D pools (4-D NCHW input) are supported, got rank {len(x_shape)}")
    if "kernel_shape" not in attrs:
        raise ctx.error("attribute kernel_shape is required")
    kernel = list(attrs["kernel_shape"])
    props = {
        "kernel": ints_attr(kernel),
        **window_props(ctx, attrs, x_shape[2:], kernel, ceil_mode=bool(attrs.get("ceil_mode"))),
    }
    return attrs, props


def convert_max_pool(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    if len(node.output) > 1 and node.output[1]:
        raise ctx.error("the Indices output is not supported (only the pooled values)")
    _, props = _window(ctx, node)
    return ctx.emit(lambda: pool.MaxPoolOp.inferred([ctx.value(node.input[0])], **props))


def convert_avg_pool(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs, props = _window(ctx, node)
    props["count_include_pad"] = int_attr(1 if attrs.get("count_include_pad", 0) else 0)
    if attrs.get("ceil_mode"):
        # ONNX never counts the end padding ceil_mode adds, even with count_include_pad.
        plain = window_props(ctx, attrs, ctx.shape(node.input[0])[2:], attrs["kernel_shape"])
        total, real = get_ints(props, "pads"), get_ints(plain, "pads")
        extra = [total[2] - real[2], total[3] - real[3]]
        if any(extra):
            props["ceil_pads"] = ints_attr(extra)
    return ctx.emit(lambda: pool.AvgPoolOp.inferred([ctx.value(node.input[0])], **props))


def _global(op: type[pool.GlobalPoolOp]) -> Converter:
    def convert(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
        return ctx.emit(lambda: op.inferred([ctx.value(node.input[0])]))

    return convert


CONVERTERS: dict[str, Converter] = {
    "MaxPool": convert_max_pool,
    "AveragePool": convert_avg_pool,
    "GlobalAveragePool": _global(pool.GlobalAvgPoolOp),
    "GlobalMaxPool": _global(pool.GlobalMaxPoolOp),
}
