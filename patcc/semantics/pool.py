"""Interpreter functions of the `nn` pools: reductions over stride-trick window views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import pool
from patcc.dialects.nn.base import get_int, get_ints

from .numpy_conv import pad_nchw, window_out_hw, windows


def max_pool(
    x: np.ndarray,
    *,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
) -> np.ndarray:
    """Padding is the lowest finite f32, as in ONNX Runtime: it never wins against an input
    value, and a window wholly in padding gives -3.4e38 rather than -inf."""
    xp = pad_nchw(x, pads, value=float(np.finfo(np.float32).min))
    out_hw = window_out_hw(xp.shape[2:], kernel, strides, dilations)
    return windows(xp, kernel, strides, dilations, out_hw).max(axis=(4, 5))


def _tap_counts(
    out: int, kernel: int, stride: int, dilation: int, pad_begin: int, lo: int, hi: int
) -> np.ndarray:
    """Per output index along one axis: how many window taps fall in [lo, hi) (input coords)."""
    pos = np.arange(out)[:, None] * stride - pad_begin + np.arange(kernel)[None, :] * dilation
    return ((pos >= lo) & (pos < hi)).sum(axis=1)


def avg_pool(
    x: np.ndarray,
    *,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    count_include_pad: bool,
    ceil_pads: Sequence[int] = (0, 0),
) -> np.ndarray:
    """Window sums over zero padding, divided by the counted taps (separable per axis).

    A window with no counted tap gives 0, as in ONNX Runtime.
    """
    xp = pad_nchw(x, pads)
    out_hw = window_out_hw(xp.shape[2:], kernel, strides, dilations)
    sums = windows(xp, kernel, strides, dilations, out_hw).sum(axis=(4, 5), dtype=np.float32)
    counts = []
    for i in range(2):
        size = x.shape[2 + i]
        if count_include_pad:
            lo, hi = -pads[i], size + pads[i + 2] - ceil_pads[i]
        else:
            lo, hi = 0, size
        counts.append(_tap_counts(out_hw[i], kernel[i], strides[i], dilations[i], pads[i], lo, hi))
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(np.float32)
    return np.divide(sums, divisor, out=np.zeros_like(sums), where=divisor > 0)


def global_avg_pool(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=tuple(range(2, x.ndim)), keepdims=True, dtype=np.float32)


def global_max_pool(x: np.ndarray) -> np.ndarray:
    return x.max(axis=tuple(range(2, x.ndim)), keepdims=True)


def _window(op: pool.MaxPoolOp | pool.AvgPoolOp) -> dict[str, tuple[int, ...]]:
    p = op.properties
    return {
        "kernel": get_ints(p, "kernel"),
        "strides": get_ints(p, "strides"),
        "pads": get_ints(p, "pads"),
        "dilations": get_ints(p, "dilations"),
    }


@register_impls
class PoolFunctions(InterpreterFunctions):
    @impl(pool.MaxPoolOp)
    def run_max_pool(self, interpreter: Interpreter, op: pool.MaxPoolOp, args: tuple[Any, ...]):
        return (max_pool(args[0], **_window(op)).astype(np.float32, copy=False),)

    @impl(pool.AvgPoolOp)
    def run_avg_pool(self, interpreter: Interpreter, op: pool.AvgPoolOp, args: tuple[Any, ...]):
        p = op.properties
        y = avg_pool(
            args[0],
            **_window(op),
            count_include_pad=bool(get_int(p, "count_include_pad")),
            ceil_pads=get_ints(p, "ceil_pads", (0, 0)),
        )
        return (y.astype(np.float32, copy=False),)

    @impl(pool.GlobalAvgPoolOp)
    def run_global_avg_pool(
        self, interpreter: Interpreter, op: pool.GlobalAvgPoolOp, args: tuple[Any, ...]
    ):
        return (global_avg_pool(args[0]).astype(np.float32, copy=False),)

    @impl(pool.GlobalMaxPoolOp)
    def run_global_max_pool(
        self, interpreter: Interpreter, op: pool.GlobalMaxPoolOp, args: tuple[Any, ...]
    ):
        return (global_max_pool(args[0]).astype(np.float32, copy=False),)
