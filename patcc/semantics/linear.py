"""Interpreter functions of the `nn` linear-algebra and normalisation ops."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import linear
from patcc.dialects.nn.base import get_float, get_int, get_ints

from .common import f32_result

F32 = np.float32


def gemm(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray | None,
    *,
    alpha: float,
    beta: float,
    trans_a: bool,
    trans_b: bool,
) -> np.ndarray:
    y = (a.T if trans_a else a) @ (b.T if trans_b else b)
    if alpha != 1.0:
        y = y * F32(alpha)
    if c is not None and beta != 0.0:
        y = y + (c if beta == 1.0 else c * F32(beta))
    return y


def gemv_skip_zeros(
    x: np.ndarray, w: np.ndarray, c: np.ndarray | None, *, n: int, beta: float
) -> np.ndarray:
    """The terms of zero inputs are left out, not multiplied: with a non-finite weight
    (0 * inf = nan) this differs from the gemm it came from, as the generated code does."""
    blocks, k, width = w.shape
    rows = w.transpose(1, 0, 2).reshape(k, blocks * width)[:, :n]
    kept = x[0] != 0
    return gemm(x[:, kept], rows[kept], c, alpha=1.0, beta=beta, trans_a=False, trans_b=False)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a, b)


def _joint(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """View x as (before, joint extent of axes, after) so one axis carries the reduction."""
    first, last = axes[0], axes[-1] + 1
    return x.reshape(math.prod(x.shape[:first]), -1, math.prod(x.shape[last:]))


def softmax(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    v = _joint(x, axes)
    e = np.exp(v - v.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def log_softmax(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    v = _joint(x, axes)
    shifted = v - v.max(axis=1, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))).reshape(x.shape)


def lrn(x: np.ndarray, *, size: int, alpha: float, beta: float, bias: float) -> np.ndarray:
    """Channel window c - floor((size-1)/2) .. c + ceil((size-1)/2): one shifted add per tap."""
    before, after = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = np.square(x)
    padding = [(0, 0)] * x.ndim
    padding[1] = (before, after)
    sqp = np.pad(sq, padding)
    channels = x.shape[1]
    total = np.zeros_like(sq)
    for tap in range(size):
        total += sqp[:, tap : tap + channels]
    return x / (F32(bias) + F32(alpha / size) * total) ** F32(beta)


def batch_norm(
    x: np.ndarray,
    scale: np.ndarray,
    bias: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    *,
    epsilon: float,
) -> np.ndarray:
    shape = (1, -1) + (1,) * (x.ndim - 2)
    factor = (scale / np.sqrt(var + F32(epsilon))).reshape(shape)
    return (x - mean.reshape(shape)) * factor + bias.reshape(shape)


@register_impls
class LinearFunctions(InterpreterFunctions):
    @impl(linear.GemmOp)
    def run_gemm(self, interpreter: Interpreter, op: linear.GemmOp, args: tuple[Any, ...]):
        a, b, *rest = args
        p = op.properties
        y = gemm(
            a,
            b,
            rest[0] if rest else None,
            alpha=get_float(p, "alpha"),
            beta=get_float(p, "beta"),
            trans_a=bool(get_int(p, "trans_a")),
            trans_b=bool(get_int(p, "trans_b")),
        )
        return f32_result(y)

    @impl(linear.GemvSkipZerosOp)
    def run_gemv_skip_zeros(
        self, interpreter: Interpreter, op: linear.GemvSkipZerosOp, args: tuple[Any, ...]
    ):
        x, w, *rest = args
        p = op.properties
        y = gemv_skip_zeros(
            x, w, rest[0] if rest else None, n=get_int(p, "n"), beta=get_float(p, "beta")
        )
        return f32_result(y)

    @impl(linear.MatMulOp)
    def run_matmul(self, interpreter: Interpreter, op: linear.MatMulOp, args: tuple[Any, ...]):
        return f32_result(matmul(args[0], args[1]))

    @impl(linear.SoftmaxOp)
    def run_softmax(self, interpreter: Interpreter, op: linear.SoftmaxOp, args: tuple[Any, ...]):
        return f32_result(softmax(args[0], get_ints(op.properties, "axes")))

    @impl(linear.LogSoftmaxOp)
    def run_log_softmax(
        self, interpreter: Interpreter, op: linear.LogSoftmaxOp, args: tuple[Any, ...]
    ):
        return f32_result(log_softmax(args[0], get_ints(op.properties, "axes")))

    @impl(linear.LrnOp)
    def run_lrn(self, interpreter: Interpreter, op: linear.LrnOp, args: tuple[Any, ...]):
        p = op.properties
        y = lrn(
            args[0],
            size=get_int(p, "size"),
            alpha=get_float(p, "alpha"),
            beta=get_float(p, "beta"),
            bias=get_float(p, "bias"),
        )
        return f32_result(y)

    @impl(linear.BatchNormOp)
    def run_batch_norm(
        self, interpreter: Interpreter, op: linear.BatchNormOp, args: tuple[Any, ...]
    ):
        x, scale, bias, mean, var = args
        return f32_result(
            batch_norm(x, scale, bias, mean, var, epsilon=get_float(op.properties, "epsilon"))
        )
