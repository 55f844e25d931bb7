"""Executable semantics: xDSL interpreter functions, numpy inside, for every patcc op.

`run_function` is the one entry point (used by `patcc run-ir`, tests and property checks):
inputs and outputs are keyed by the names the ONNX model gave them (`nn.name` arg/result
attributes of the function).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp, StringAttr, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.func import FuncFunctions

from patcc.constants import dense_to_numpy
from patcc.errors import PatccError

from .activation import ActivationFunctions
from .binary import BinaryFunctions
from .conv import ConvFunctions
from .fkw import FkwFunctions
from .linear import LinearFunctions
from .pattern import PatternFunctions
from .pool import PoolFunctions
from .rnn import RnnFunctions
from .tensor_ops import TensorOpsFunctions

NAME_ATTR = "nn.name"


@register_impls
class TensorConstantFunctions(ArithFunctions):
    """arith.constant with a dense tensor value (xDSL's own handles scalars only)."""

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: Any):
        if isinstance(op.value, DenseIntOrFPElementsAttr) and isinstance(op.value.type, TensorType):
            return (dense_to_numpy(op.value),)
        return super().run_constant(interpreter, op, args)


# Every group of interpreter functions; later levels append theirs here.
FUNCTION_SETS: list[type[InterpreterFunctions]] = [
    ConvFunctions,
    ActivationFunctions,
    BinaryFunctions,
    PoolFunctions,
    TensorOpsFunctions,
    LinearFunctions,
    RnnFunctions,
    PatternFunctions,
    FkwFunctions,
]


def make_interpreter(module: ModuleOp) -> Interpreter:
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(TensorConstantFunctions())
    for functions in FUNCTION_SETS:
        interpreter.register_implementations(functions())
    return interpreter


def main_function(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    if len(funcs) != 1:
        raise PatccError(f"module: expected exactly one function with a body, found {len(funcs)}")
    return funcs[0]


def _names(attrs: Any, count: int, prefix: str) -> list[str]:
    names = []
    for i in range(count):
        name = None
        if attrs is not None and i < len(attrs.data):
            entry = attrs.data[i].data.get(NAME_ATTR)
            if isinstance(entry, StringAttr):
                name = entry.data
        names.append(name or f"{prefix}{i}")
    return names


def input_names(fn: func.FuncOp) -> list[str]:
    return _names(fn.arg_attrs, len(fn.function_type.inputs.data), "arg")


def output_names(fn: func.FuncOp) -> list[str]:
    return _names(fn.res_attrs, len(fn.function_type.outputs.data), "result")


def run_function(module: ModuleOp, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Interpret the module's function on named inputs; returns named outputs."""
    fn = main_function(module)
    names = input_names(fn)
    missing = [n for n in names if n not in inputs]
    if missing:
        raise PatccError(
            f"inputs: missing {', '.join(missing)} (the model takes {', '.join(names)})"
        )
    args = []
    for name, typ in zip(names, fn.function_type.inputs.data, strict=True):
        value = np.asarray(inputs[name])
        if isinstance(typ, TensorType):
            expected = tuple(typ.get_shape())
            if value.shape != expected:
                raise PatccError(
                    f"input '{name}': shape {value.shape} does not match the model's {expected}"
                )
            value = value.astype(np.float32, copy=False)
        args.append(value)
    results = make_interpreter(module).call_op(fn, tuple(args))
    return {n: np.asarray(r) for n, r in zip(output_names(fn), results, strict=True)}
