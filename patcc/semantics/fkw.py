"""Interpreter function of `pat.fkw_conv2d`.

Defined by unpacking: the FKW arrays go back to (ids, values) in the original filter order
(`unpack_fkw`, which also checks them), then to the dense OIHW weight, then ONNX Conv and the
fused activation. So the op means exactly what the `pat.conv2d` it was packed from means, and
any disagreement is a packing bug, never a semantic choice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.compression.fkw import FKW, unpack_fkw
from patcc.compression.patterns import dense_from_pattern
from patcc.dialects.pat.fkw import FkwConv2dOp

from .pattern import pattern_conv


def fkw_dense_weight(op: FkwConv2dOp, fkw: FKW, in_channels: int) -> np.ndarray:
    """The OIHW weight the FKW arrays of `op` stand for."""
    ids, values = unpack_fkw(fkw, in_channels)
    return dense_from_pattern(ids, values, op.patterns.patterns)


def fkw_conv2d(op: FkwConv2dOp, x: np.ndarray, fkw: FKW, bias: np.ndarray | None) -> np.ndarray:
    """Numpy value of `op` on the given operand values."""
    return pattern_conv(op, x, fkw_dense_weight(op, fkw, x.shape[1]), bias)


@register_impls
class FkwFunctions(InterpreterFunctions):
    @impl(FkwConv2dOp)
    def run_fkw_conv2d(self, interpreter: Interpreter, op: FkwConv2dOp, args: tuple[Any, ...]):
        x, offset, reorder, index, stride, weight, *rest = args
        fkw = FKW(
            offset=np.asarray(offset),
            reorder=np.asarray(reorder),
            index=np.asarray(index),
            stride=np.asarray(stride),
            weight=np.asarray(weight, dtype=np.float32),
        )
        return (fkw_conv2d(op, x, fkw, rest[0] if rest else None),)
