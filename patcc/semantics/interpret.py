"""The interpreter of `patcc.semantics`: every family's functions registered on xDSL's
`Interpreter`, and `run_function`, which runs a module's one function on named inputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, MemRefType, ModuleOp, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.arith import ArithFunctions
from xdsl.interpreters.func import FuncFunctions

from patcc.constants import dense_to_numpy
from patcc.errors import PatccError

from . import OUTPUT_ATTR, WORKSPACE_ATTR, input_names, main_function, output_names
from .activation import ActivationFunctions
from .binary import BinaryFunctions
from .conv import ConvFunctions
from .fkw import FkwFunctions
from .linear import LinearFunctions
from .loops import LoopFunctions, VectorArithFunctions, as_numpy, from_numpy
from .pattern import PatternFunctions
from .pool import PoolFunctions
from .rnn import RnnFunctions
from .tensor_ops import TensorOpsFunctions


@register_impls
class TensorConstantFunctions(ArithFunctions):
    """arith.constant with a dense tensor value (xDSL's own handles scalars only)."""

    @impl(arith.ConstantOp)
    def run_constant(self, interpreter: Interpreter, op: arith.ConstantOp, args: Any):
        if isinstance(op.value, DenseIntOrFPElementsAttr) and isinstance(op.value.type, TensorType):
            return (dense_to_numpy(op.value),)
        # super()'s is the @impl wrapper: it returns an OpImplResult, not the values
        return super().run_constant(interpreter, op, args).values


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
    LoopFunctions,
]


def make_interpreter(module: ModuleOp) -> Interpreter:
    interpreter = Interpreter(module)
    interpreter.register_implementations(FuncFunctions())
    interpreter.register_implementations(TensorConstantFunctions())
    for functions in FUNCTION_SETS:
        interpreter.register_implementations(functions())
    # arith float ops on vectors too (xDSL's reject them); same results on scalars
    interpreter.register_implementations(VectorArithFunctions(), override=True)
    return interpreter


def run_function(module: ModuleOp, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Interpret the module's function on named inputs; returns named outputs."""
    fn = main_function(module)
    if any(isinstance(t, MemRefType) for t in fn.function_type.inputs.data):
        return _run_loop_function(module, fn, inputs)
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


def _run_loop_function(
    module: ModuleOp, fn: func.FuncOp, inputs: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """A loop-level function (lower-to-loops): memref inputs, then out-parameters marked
    `nn.output`, which are allocated here, filled by the call and returned by name."""
    types = list(fn.function_type.inputs.data)
    names = input_names(fn)
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else ()
    is_out = [i < len(attrs) and OUTPUT_ATTR in attrs[i].data for i in range(len(types))]
    is_scratch = [i < len(attrs) and WORKSPACE_ATTR in attrs[i].data for i in range(len(types))]
    wanted = [n for n, out, ws in zip(names, is_out, is_scratch, strict=True) if not (out or ws)]
    missing = [n for n in wanted if n not in inputs]
    if missing:
        raise PatccError(
            f"inputs: missing {', '.join(missing)} (the model takes {', '.join(wanted)})"
        )
    args = []
    for name, typ, out, ws in zip(names, types, is_out, is_scratch, strict=True):
        assert isinstance(typ, MemRefType)
        shape = tuple(typ.get_shape())
        if ws:  # plan-buffers' workspace: the caller allocates it
            args.append(from_numpy(np.zeros(shape, dtype=np.int8)))
            continue
        if out:
            args.append(from_numpy(np.zeros(shape, dtype=np.float32)))
            continue
        value = np.asarray(inputs[name])
        if value.shape != shape:
            raise PatccError(
                f"input '{name}': shape {value.shape} does not match the model's {shape}"
            )
        args.append(from_numpy(value.astype(np.float32, copy=False)))
    make_interpreter(module).call_op(fn, tuple(args))
    return {
        name: as_numpy(arg).copy()
        for name, arg, out in zip(names, args, is_out, strict=True)
        if out
    }
