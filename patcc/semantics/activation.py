"""Interpreter functions of the `nn` activations, on float32 numpy arrays."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import activation as act
from patcc.dialects.nn.base import get_float

from .common import f32_result

F32 = np.float32


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, F32(0))


def leaky_relu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x >= 0, x, x * F32(alpha))


def prelu(x: np.ndarray, slope: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, x, x * slope).astype(F32, copy=False)


def clip(x: np.ndarray, lo: float = -math.inf, hi: float = math.inf) -> np.ndarray:
    # np.minimum(np.maximum(...)) rather than np.clip: ONNX Clip with min > max yields max.
    return np.minimum(np.maximum(x, F32(lo)), F32(hi))


def sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x << 0: 1/inf = 0
        return F32(1) / (F32(1) + np.exp(-x))


def tanh(x: np.ndarray) -> np.ndarray:
    return np.tanh(x)


def hard_sigmoid(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    return np.clip(x * F32(alpha) + F32(beta), F32(0), F32(1))


def hard_swish(x: np.ndarray) -> np.ndarray:
    return x * hard_sigmoid(x, 1.0 / 6.0, 0.5)


def silu(x: np.ndarray) -> np.ndarray:
    return x * sigmoid(x)


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, F32(alpha) * np.expm1(np.minimum(x, F32(0))))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(F32(0), x)


@register_impls
class ActivationFunctions(InterpreterFunctions):
    @impl(act.ReluOp)
    def run_relu(self, interpreter: Interpreter, op: act.ReluOp, args: tuple[Any, ...]):
        return f32_result(relu(args[0]))

    @impl(act.LeakyReluOp)
    def run_leaky_relu(self, interpreter: Interpreter, op: act.LeakyReluOp, args: tuple[Any, ...]):
        return f32_result(leaky_relu(args[0], get_float(op.properties, "alpha")))

    @impl(act.PReluOp)
    def run_prelu(self, interpreter: Interpreter, op: act.PReluOp, args: tuple[Any, ...]):
        return f32_result(prelu(args[0], args[1]))

    @impl(act.ClipOp)
    def run_clip(self, interpreter: Interpreter, op: act.ClipOp, args: tuple[Any, ...]):
        p = op.properties
        return f32_result(
            clip(args[0], get_float(p, "min", -math.inf), get_float(p, "max", math.inf))
        )

    @impl(act.SigmoidOp)
    def run_sigmoid(self, interpreter: Interpreter, op: act.SigmoidOp, args: tuple[Any, ...]):
        return f32_result(sigmoid(args[0]))

    @impl(act.TanhOp)
    def run_tanh(self, interpreter: Interpreter, op: act.TanhOp, args: tuple[Any, ...]):
        return f32_result(tanh(args[0]))

    @impl(act.HardSigmoidOp)
    def run_hard_sigmoid(
        self, interpreter: Interpreter, op: act.HardSigmoidOp, args: tuple[Any, ...]
    ):
        p = op.properties
        return f32_result(hard_sigmoid(args[0], get_float(p, "alpha"), get_float(p, "beta")))

    @impl(act.HardSwishOp)
    def run_hard_swish(self, interpreter: Interpreter, op: act.HardSwishOp, args: tuple[Any, ...]):
        return f32_result(hard_swish(args[0]))

    @impl(act.SiluOp)
    def run_silu(self, interpreter: Interpreter, op: act.SiluOp, args: tuple[Any, ...]):
        return f32_result(silu(args[0]))

    @impl(act.EluOp)
    def run_elu(self, interpreter: Interpreter, op: act.EluOp, args: tuple[Any, ...]):
        return f32_result(elu(args[0], get_float(op.properties, "alpha")))

    @impl(act.SoftplusOp)
    def run_softplus(self, interpreter: Interpreter, op: act.SoftplusOp, args: tuple[Any, ...]):
        return f32_result(softplus(args[0]))
