"""Executable semantics: xDSL interpreter functions, numpy inside, for every patcc op.

`run_function` is the one entry point (used by `patcc run-ir`, tests and property checks):
inputs and outputs are keyed by the names the ONNX model gave them (`nn.name` arg/result
attributes of the function). The interpreter lives in `interpret` and is imported on first
use: importing it pulls in xDSL's interpreter package (all of its dialects' interpreters,
~0.3 s), which a compile never needs, while the importer, the lowerings and the reports use
the names and the per-op numpy helpers here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr

from patcc.errors import PatccError

if TYPE_CHECKING:
    from .interpret import FUNCTION_SETS, make_interpreter, run_function

NAME_ATTR = "nn.name"
OUTPUT_ATTR = "nn.output"
WORKSPACE_ATTR = "nn.workspace"

_INTERPRETER = ("FUNCTION_SETS", "make_interpreter", "run_function")


def __getattr__(name: str) -> Any:
    """The interpreter's names, imported on first use (see the module docstring)."""
    if name in _INTERPRETER:
        from . import interpret

        return getattr(interpret, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


__all__ = [
    "FUNCTION_SETS",
    "NAME_ATTR",
    "OUTPUT_ATTR",
    "WORKSPACE_ATTR",
    "input_names",
    "main_function",
    "make_interpreter",
    "output_names",
    "run_function",
]
