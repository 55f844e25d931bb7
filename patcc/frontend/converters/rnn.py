"""Converter of ONNX LSTM (one layer; layout 1 through transposes around a time-major lstm)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import rnn, tensor_ops
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr, str_attr

from ..context import Converter, ImportContext

DEFAULT_ACTIVATIONS = ["sigmoid", "tanh", "tanh"]


def _input(node: onnx.NodeProto, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""


def _transpose(ctx: ImportContext, value: SSAValue, perm: Sequence[int]) -> SSAValue:
    return ctx.emit1(lambda: tensor_ops.TransposeOp.inferred([value], perm=ints_attr(perm)))


def convert_lstm(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    direction = attrs.get("direction", "forward")
    if direction not in rnn.LSTM_DIRECTIONS:
        raise ctx.error(f"direction '{direction}' is not a valid value")
    dirs = 2 if direction == "bidirectional" else 1
    activations = [a.lower() for a in attrs.get("activations", DEFAULT_ACTIVATIONS * dirs)]
    if activations != DEFAULT_ACTIVATIONS * dirs:
        raise ctx.error(
            f"activations {attrs['activations']} are not supported: only the default "
            "Sigmoid, Tanh, Tanh"
        )
    layout = attrs.get("layout", 0)
    if layout not in (0, 1):
        raise ctx.error(f"layout must be 0 or 1, got {layout}")
    x_shape = ctx.shape(node.input[0])
    if len(x_shape) != 3:
        raise ctx.error(f"X must be 3-D, got rank {len(x_shape)}")
    seq = x_shape[1] if layout else x_shape[0]
    lens_name = _input(node, 4)
    if lens_name:
        lens = ctx.require_const(lens_name, "sequence_lens")
        if np.any(lens != seq):
            raise ctx.error(
                f"sequence_lens {lens.tolist()} differ from the sequence length {seq}: "
                "variable-length sequences are not supported"
            )
    w_shape = ctx.shape(node.input[1])
    hidden = attrs.get("hidden_size", w_shape[1] // 4 if len(w_shape) == 3 else 0)
    props = {"hidden_size": int_attr(hidden), "direction": str_attr(direction)}
    if "clip" in attrs:
        props["clip"] = float_attr(attrs["clip"])
    if attrs.get("input_forget", 0):
        props["input_forget"] = int_attr(1)

    x = ctx.value(node.input[0])
    h0 = ctx.opt_value(_input(node, 5))
    c0 = ctx.opt_value(_input(node, 6))
    if layout == 1:  # batch-major: [batch, seq, size] and [batch, dirs, H]
        x = _transpose(ctx, x, (1, 0, 2))
        h0 = None if h0 is None else _transpose(ctx, h0, (1, 0, 2))
        c0 = None if c0 is None else _transpose(ctx, c0, (1, 0, 2))
    operands = [
        x,
        ctx.value(node.input[1]),
        ctx.value(node.input[2]),
        ctx.opt_value(_input(node, 3)),
        h0,
        c0,
        ctx.opt_value(_input(node, 7)),
    ]
    y, y_h, y_c = ctx.emit(lambda: rnn.LstmOp.inferred(operands, **props))
    if layout == 1:  # back to batch-major, only for the outputs the model uses
        used = [bool(name) for name in node.output] + [False] * 3
        y = _transpose(ctx, y, (2, 0, 1, 3)) if used[0] else y
        y_h = _transpose(ctx, y_h, (1, 0, 2)) if used[1] else y_h
        y_c = _transpose(ctx, y_c, (1, 0, 2)) if used[2] else y_c
    return [y, y_h, y_c]


CONVERTERS: dict[str, Converter] = {"LSTM": convert_lstm}
