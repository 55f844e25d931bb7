"""Interpreter functions of the `nn` convolutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import get_int, get_ints

from .numpy_conv import conv2d


def conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    *,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    output_padding: Sequence[int],
    group: int,
) -> np.ndarray:
    """ONNX ConvTranspose: one matmul per group gives every tap's contribution of every input
    pixel; each of the KH x KW taps is then added into a strided window of the full output
    (col2im), which pads crop."""
    n, c, h, wd = x.shape
    _, opg, kh, kw = w.shape
    cpg = c // group
    sh, sw = strides
    dh, dw = dilations
    full_h = conv.conv_transpose_output_size(h, kh, sh, 0, 0, dh, output_padding[0])
    full_w = conv.conv_transpose_output_size(wd, kw, sw, 0, 0, dw, output_padding[1])
    full = np.zeros((n, opg * group, full_h, full_w), dtype=np.float32)
    for g in range(group):
        xg = x[:, g * cpg : (g + 1) * cpg].transpose(0, 2, 3, 1).reshape(n * h * wd, cpg)
        wg = w[g * cpg : (g + 1) * cpg].reshape(cpg, opg * kh * kw)
        taps = (xg @ wg).reshape(n, h, wd, opg, kh, kw).transpose(4, 5, 0, 3, 1, 2)
        out_g = full[:, g * opg : (g + 1) * opg]
        for i in range(kh):
            for j in range(kw):
                out_g[
                    :,
                    :,
                    i * dh : i * dh + (h - 1) * sh + 1 : sh,
                    j * dw : j * dw + (wd - 1) * sw + 1 : sw,
                ] += taps[i, j]
    top, left, bottom, right = pads
    out = full[:, :, top : full_h - bottom, left : full_w - right]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1).astype(np.float32)
    return np.ascontiguousarray(out, dtype=np.float32)


@register_impls
class ConvFunctions(InterpreterFunctions):
    @impl(conv.Conv2dOp)
    def run_conv2d(self, interpreter: Interpreter, op: conv.Conv2dOp, args: tuple[Any, ...]):
        x, w, *rest = args
        b = rest[0] if rest else None
        p = op.properties
        return (
            conv2d(
                x,
                w,
                b,
                strides=get_ints(p, "strides"),
                pads=get_ints(p, "pads"),
                dilations=get_ints(p, "dilations"),
                group=get_int(p, "group"),
            ),
        )

    @impl(conv.ConvTransposeOp)
    def run_conv_transpose(
        self, interpreter: Interpreter, op: conv.ConvTransposeOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        x, w, *rest = args
        p = op.properties
        return (
            conv_transpose2d(
                x,
                w,
                rest[0] if rest else None,
                strides=get_ints(p, "strides"),
                pads=get_ints(p, "pads"),
                dilations=get_ints(p, "dilations"),
                output_padding=get_ints(p, "output_padding"),
                group=get_int(p, "group"),
            ),
        )
