"""Interpreter functions of the `nn` convolutions."""

from __future__ import annotations

from typing import Any

from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import get_int, get_ints

from .numpy_conv import conv2d


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
