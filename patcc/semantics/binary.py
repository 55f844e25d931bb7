"""Interpreter functions of the `nn` elementwise binary ops (numpy broadcasting)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import binary

from .common import f32_result


def divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IEEE division: x / 0 is +-inf or NaN, as in ONNX Runtime, without numpy warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.divide(a, b)


# The numpy function of each op; reused by passes that fold or check these ops.
BINARY_FUNCTIONS: dict[type[binary.BinaryElementwiseOp], Callable[..., np.ndarray]] = {
    binary.AddOp: np.add,
    binary.SubOp: np.subtract,
    binary.MulOp: np.multiply,
    binary.DivOp: divide,
    binary.MaxOp: np.maximum,
    binary.MinOp: np.minimum,
}


def _run(op: binary.BinaryElementwiseOp, args: tuple[Any, ...]) -> tuple[np.ndarray]:
    a, b = args
    return f32_result(BINARY_FUNCTIONS[type(op)](a, b))


@register_impls
class BinaryFunctions(InterpreterFunctions):
    @impl(binary.AddOp)
    def run_add(self, interpreter: Interpreter, op: binary.AddOp, args: tuple[Any, ...]):
        return _run(op, args)

    @impl(binary.SubOp)
    def run_sub(self, interpreter: Interpreter, op: binary.SubOp, args: tuple[Any, ...]):
        return _run(op, args)

    @impl(binary.MulOp)
    def run_mul(self, interpreter: Interpreter, op: binary.MulOp, args: tuple[Any, ...]):
        return _run(op, args)

    @impl(binary.DivOp)
    def run_div(self, interpreter: Interpreter, op: binary.DivOp, args: tuple[Any, ...]):
        return _run(op, args)

    @impl(binary.MaxOp)
    def run_max(self, interpreter: Interpreter, op: binary.MaxOp, args: tuple[Any, ...]):
        return _run(op, args)

    @impl(binary.MinOp)
    def run_min(self, interpreter: Interpreter, op: binary.MinOp, args: tuple[Any, ...]):
        return _run(op, args)
