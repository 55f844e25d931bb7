"""Interpreter functions of the `pat` dialect.

`pat.conv2d` is defined as the dense conv of its unpacked weight (`dense_from_pattern`), so
its semantics is exactly ONNX Conv on that weight, followed by the fused activation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.ir import Operation

from patcc.compression.patterns import dense_from_pattern
from patcc.dialects.nn.base import get_ints, get_str
from patcc.dialects.pat import PatConv2dOp, ids_array

from .numpy_conv import conv2d


def apply_activation(y: np.ndarray, activation: str) -> np.ndarray:
    """The fused activations of `pat.conv2d`, in place on a fresh conv result."""
    if activation == "relu":
        np.maximum(y, 0.0, out=y)
    elif activation == "relu6":
        np.clip(y, 0.0, 6.0, out=y)
    elif activation != "none":
        raise ValueError(f"pat.conv2d: unknown activation '{activation}'")
    return y


def pattern_conv(
    op: Operation, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    """A pattern conv (`pat.conv2d`, `pat.fkw_conv2d`) on its unpacked dense weight: ONNX
    Conv with the op's window properties, then its fused activation."""
    p = op.properties
    y = conv2d(
        x,
        weight,
        bias,
        strides=get_ints(p, "strides"),
        pads=get_ints(p, "pads"),
        dilations=get_ints(p, "dilations"),
        group=1,
    )
    return apply_activation(y, get_str(p, "activation", "none"))


def pat_conv2d(
    op: PatConv2dOp, x: np.ndarray, values: np.ndarray, bias: np.ndarray | None
) -> np.ndarray:
    """Numpy value of `op` on the given operand values."""
    weight = dense_from_pattern(ids_array(op.ids), values, op.patterns.patterns)
    return pattern_conv(op, x, weight, bias)


@register_impls
class PatternFunctions(InterpreterFunctions):
    @impl(PatConv2dOp)
    def run_pat_conv2d(self, interpreter: Interpreter, op: PatConv2dOp, args: tuple[Any, ...]):
        x, values, *rest = args
        return (pat_conv2d(op, x, values, rest[0] if rest else None),)
