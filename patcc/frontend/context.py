"""The state of one ONNX import: values by ONNX name, the block being filled, errors.

An ONNX tensor name is bound either to a numpy array (a constant: initializer, Constant node
or folded shape sub-graph) or to an SSA value of the function being built. Converters ask for
whichever they need: `value()` materialises a constant as `arith.constant dense<...>` once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper
from xdsl.ir import Block, Operation, SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn.base import ShapeError, shape_of
from patcc.errors import PatccError

SUPPORTED_OPS_DOC = "docs/dialects.md#onnx-operators"

Bound = np.ndarray | SSAValue
# A converter turns one ONNX node into ops appended to the context; returns its outputs.
Converter = Callable[["ImportContext", onnx.NodeProto], Sequence[SSAValue]]


class ImportContext:
    def __init__(self, block: Block, opset: int = 13) -> None:
        self.block = block
        # The model's default-domain opset: some ops changed meaning, not form (Softmax axis).
        self.opset = opset
        self.bound: dict[str, Bound] = {}
        self._materialised: dict[int, SSAValue] = {}
        self.node: onnx.NodeProto | None = None

    # ---- naming errors ------------------------------------------------------------------
    def where(self) -> str:
        if self.node is None:
            return "model"
        return f"node '{self.node.name or self.node.output[0]}' ({self.node.op_type})"

    def error(self, message: str) -> PatccError:
        return PatccError(f"{self.where()}: {message}")

    # ---- reading inputs -----------------------------------------------------------------
    def has(self, name: str) -> bool:
        return bool(name) and name in self.bound

    def const(self, name: str) -> np.ndarray | None:
        """The constant bound to `name`, or None if it is absent ('') or computed at run time."""
        if not name:
            return None
        bound = self._lookup(name)
        return bound if isinstance(bound, np.ndarray) else None

    def require_const(self, name: str, what: str) -> np.ndarray:
        arr = self.const(name)
        if arr is None:
            raise self.error(f"{what} ('{name}') must be a constant, it is computed at run time")
        return arr

    def value(self, name: str) -> SSAValue:
        """The SSA value of `name`; constants become `arith.constant` (once per array)."""
        bound = self._lookup(name)
        if isinstance(bound, SSAValue):
            return bound
        key = id(bound)
        if key not in self._materialised:
            if bound.dtype.kind not in "fiub":
                raise self.error(f"constant '{name}' has unsupported dtype {bound.dtype}")
            const = constant_op(bound.astype(np.float32, copy=False))  # no copy of f32 weights
            self.block.add_op(const)
            self._materialised[key] = const.result
        return self._materialised[key]

    def opt_value(self, name: str) -> SSAValue | None:
        return self.value(name) if name else None

    def shape(self, name: str) -> tuple[int, ...]:
        bound = self._lookup(name)
        return tuple(bound.shape) if isinstance(bound, np.ndarray) else shape_of(bound)

    def _lookup(self, name: str) -> Bound:
        if name not in self.bound:
            raise self.error(f"input '{name}' is not produced by any earlier node or initializer")
        return self.bound[name]

    # ---- attributes ---------------------------------------------------------------------
    def attrs(self) -> dict[str, Any]:
        assert self.node is not None
        out: dict[str, Any] = {}
        for a in self.node.attribute:
            v = helper.get_attribute_value(a)
            if isinstance(v, bytes):
                v = v.decode()
            elif isinstance(v, list) and v and isinstance(v[0], bytes):
                v = [x.decode() for x in v]
            out[a.name] = v
        return out

    # ---- emitting ------------------------------------------------------------------------
    def emit(self, build: Callable[[], Operation]) -> Sequence[SSAValue]:
        """Build an op (usually `SomeOp.inferred(...)`), append it, return its results.

        A shape rule broken here is the model's fault, so it is reported against the node.
        """
        try:
            op = build()
        except ShapeError as err:
            raise self.error(str(err)) from None
        self.block.add_op(op)
        return op.results

    def emit1(self, build: Callable[[], Operation]) -> SSAValue:
        return self.emit(build)[0]
