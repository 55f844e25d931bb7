"""Interpreter functions of the loop level (what `lower-to-loops` emits), where xDSL 0.74
has none or only scalar ones.

Values: a memref is xDSL's `ShapedArray` (bytes in a bytearray, little-endian); `as_numpy`
gives a writable numpy view of one, so bulk operations (vector load/store, copy, constant
globals) are numpy slices instead of per-element Python. A scalar is a Python float/int as
in xDSL; a vector is a 1-D numpy array (float32, or bool for comparison masks), so vector
arithmetic is numpy f32 arithmetic. xDSL's memref load/store/alloc and scf are reused.

`VectorArithFunctions` re-implements the arith ops whose xDSL versions reject vectors
(maximumf/minimumf/cmpf/select); it must be registered with override=True, which
`make_interpreter` does, and behaves like xDSL's on scalars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import copysign, isnan
from typing import Any

import numpy as np
from xdsl.dialects import arith, memref, vector
from xdsl.dialects import math as mathd
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    IndexType,
    IntegerType,
    MemRefType,
    PackableType,
    StridedLayoutAttr,
    f32,
    f64,
    i8,
    i32,
    i64,
)
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters.memref import MemRefFunctions
from xdsl.interpreters.scf import ScfFunctions
from xdsl.interpreters.shaped_array import ShapedArray
from xdsl.interpreters.utils.ptr import RawPtr, TypedPtr
from xdsl.traits import SymbolTable

from patcc.constants import dense_to_numpy
from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.dialects.pat.store_fence import StoreFenceOp

# struct format of xDSL's packable types -> numpy dtype
_DTYPES: dict[str, np.dtype] = {
    "<f": np.dtype("<f4"),
    "<d": np.dtype("<f8"),
    "<i": np.dtype("<i4"),
    "<q": np.dtype("<i8"),
    "<b": np.dtype("<i1"),
}


def _dtype(xtype: PackableType[Any]) -> np.dtype:
    return _DTYPES[getattr(xtype, "format")]  # noqa: B009 (not in PackableType's stub)


@dataclass
class StridedArray(ShapedArray[Any]):
    """A `memref.subview` (a halo's interior, patcc/lowering/halo.py): element `index` at
    `start + sum(index * strides)` of the viewed data. xDSL's ShapedArray is row-major
    only, and its memref interpreter has no subview."""

    strides: list[int] = field(default_factory=list[int])
    start: int = 0

    def offset(self, index: Sequence[int]) -> int:
        return self.start + sum(i * s for i, s in zip(index, self.strides, strict=True))


def _flat(array: ShapedArray[Any]) -> np.ndarray:
    """All the data from the array's pointer on, flat and writable (a view's elements lie
    at `array.offset(index)` in it)."""
    ptr = array.data_ptr
    return np.frombuffer(ptr.raw.memory, dtype=_dtype(ptr.xtype), offset=ptr.raw.offset)


def as_numpy(array: ShapedArray[Any]) -> np.ndarray:
    """A writable numpy view of a ShapedArray's data (no copy)."""
    if isinstance(array, StridedArray):
        flat = _flat(array)
        steps = [s * flat.itemsize for s in array.strides]
        return np.lib.stride_tricks.as_strided(flat[array.start :], array.shape, steps)
    ptr = array.data_ptr
    return np.frombuffer(
        ptr.raw.memory, dtype=_dtype(ptr.xtype), count=array.size, offset=ptr.raw.offset
    ).reshape(array.shape)


def _xtype(dtype: np.dtype) -> PackableType[Any]:
    return {"f4": f32, "f8": f64, "i4": i32, "i8": i64, "i1": i8}[f"{dtype.kind}{dtype.itemsize}"]


def from_numpy(array: np.ndarray) -> ShapedArray[Any]:
    """A fresh ShapedArray holding a copy of `array` (f32, f64, i32 or i64)."""
    arr = np.array(array, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    dtype = arr.dtype.newbyteorder("<")
    data = bytearray(arr.astype(dtype, copy=False).tobytes())
    return ShapedArray(TypedPtr(RawPtr(data), xtype=_xtype(dtype)), list(arr.shape))


def _element_dtype(typ: Any) -> np.dtype:
    if isinstance(typ, AnyFloat):
        return np.dtype(f"<f{typ.bitwidth // 8}")
    if isinstance(typ, IntegerType):
        return np.dtype(f"<i{max(typ.width.data, 8) // 8}")
    if isinstance(typ, IndexType):
        return np.dtype("<i8")
    raise NotImplementedError(f"memref element type {typ}")


def _flat_offset(array: ShapedArray[Any], indices: tuple[int, ...]) -> int:
    return array.offset(indices) if indices else 0


def _is_vec(value: Any) -> bool:
    return isinstance(value, np.ndarray)


def _vector_length(op: Any) -> int:
    return int(op.results[0].type.get_shape()[0])


@register_impls
class LoopFunctions(MemRefFunctions, ScfFunctions):
    """memref (xDSL's, plus fast constant globals, copy and reshape views), scf (xDSL's),
    vector load/store/broadcast/fma, the math ops, and arith ops xDSL lacks."""

    def __init__(self) -> None:
        self._globals: dict[str, ShapedArray[Any]] = {}

    # ---- memref -------------------------------------------------------------------------

    @impl(memref.GetGlobalOp)
    def run_get_global(
        self, interpreter: Interpreter, op: memref.GetGlobalOp, args: PythonValues
    ) -> PythonValues:
        """Decoded once per run (numpy from the attribute's bytes, not a Python list)."""
        name = op.name_.string_value()
        if name not in self._globals:
            glob = SymbolTable.lookup_symbol(op, op.name_)
            assert isinstance(glob, memref.GlobalOp)
            value = glob.initial_value
            if not isinstance(value, DenseIntOrFPElementsAttr):
                raise NotImplementedError(f"memref.global @{name} without a dense value")
            typ = glob.type
            assert isinstance(typ, MemRefType)
            arr = dense_to_numpy(value).astype(_element_dtype(typ.element_type))
            self._globals[name] = from_numpy(arr.reshape(tuple(typ.get_shape())))
        return (self._globals[name],)

    @impl(memref.CopyOp)
    def run_copy(self, interpreter: Interpreter, op: memref.CopyOp, args: PythonValues):
        src, dst = args
        as_numpy(dst)[...] = as_numpy(src)
        return ()

    @impl(memref.CollapseShapeOp)
    def run_collapse_shape(
        self, interpreter: Interpreter, op: memref.CollapseShapeOp, args: PythonValues
    ):
        (src,) = args
        typ = op.result.type
        assert isinstance(typ, MemRefType)
        return (ShapedArray(src.data_ptr, list(typ.get_shape())),)

    @impl(memref.ExpandShapeOp)
    def run_expand_shape(
        self, interpreter: Interpreter, op: memref.ExpandShapeOp, args: PythonValues
    ):
        src = args[0]
        typ = op.result.type
        assert isinstance(typ, MemRefType)
        return (ShapedArray(src.data_ptr, list(typ.get_shape())),)

    @impl(memref.SubviewOp)
    def run_subview(self, interpreter: Interpreter, op: memref.SubviewOp, args: PythonValues):
        """Static subviews of row-major buffers (the result type's layout has it all)."""
        src = args[0]
        interpreter.interpreter_assert(
            not isinstance(src, StridedArray) and len(args) == 1,
            "memref.subview: only static subviews of row-major buffers",
        )
        typ = op.result.type
        assert isinstance(typ, MemRefType)
        layout = typ.layout
        assert isinstance(layout, StridedLayoutAttr)
        strides = [int(s) for s in layout.get_strides() if s is not None]
        start = layout.get_offset()
        assert start is not None and len(strides) == typ.get_num_dims()
        return (StridedArray(src.data_ptr, list(typ.get_shape()), strides, int(start)),)

    @impl(memref.ViewOp)
    def run_view(self, interpreter: Interpreter, op: memref.ViewOp, args: PythonValues):
        """plan-buffers' views: typed data at a byte shift into the i8 workspace."""
        src, shift, *_ = args
        typ = op.result.type
        assert isinstance(typ, MemRefType)
        xtype = _xtype(_element_dtype(typ.element_type))
        ptr = TypedPtr(src.data_ptr.raw + int(shift), xtype=xtype)
        return (ShapedArray(ptr, list(typ.get_shape())),)

    @impl(PrefetchOp)
    def run_prefetch(self, interpreter: Interpreter, op: PrefetchOp, args: PythonValues):
        """A hint for the cache: no effect on any value."""
        return ()

    @impl(StoreFenceOp)
    def run_store_fence(self, interpreter: Interpreter, op: StoreFenceOp, args: PythonValues):
        """The interpreter stores in program order: nothing to fence."""
        return ()

    # ---- vector -------------------------------------------------------------------------

    @impl(vector.LoadOp)
    def run_vector_load(self, interpreter: Interpreter, op: vector.LoadOp, args: PythonValues):
        mem, *indices = args
        n = _vector_length(op)
        start = _flat_offset(mem, tuple(indices))
        flat = _flat(mem)
        interpreter.interpreter_assert(
            indices[-1] + n <= mem.shape[-1] if indices else n <= mem.size,
            f"vector.load of {n} elements at {indices} out of bounds of {mem.shape}",
        )
        return (flat[start : start + n].copy(),)

    @impl(vector.StoreOp)
    def run_vector_store(self, interpreter: Interpreter, op: vector.StoreOp, args: PythonValues):
        value, mem, *indices = args
        n = len(value)
        start = _flat_offset(mem, tuple(indices))
        interpreter.interpreter_assert(
            indices[-1] + n <= mem.shape[-1] if indices else n <= mem.size,
            f"vector.store of {n} elements at {indices} out of bounds of {mem.shape}",
        )
        _flat(mem)[start : start + n] = value
        return ()

    @impl(vector.BroadcastOp)
    def run_broadcast(self, interpreter: Interpreter, op: vector.BroadcastOp, args: PythonValues):
        (value,) = args
        n = _vector_length(op)
        if _is_vec(value):
            return (np.broadcast_to(value, (n,)).astype(value.dtype),)
        return (np.full(n, value, dtype=np.float32),)

    @impl(vector.FMAOp)
    def run_fma(self, interpreter: Interpreter, op: vector.FMAOp, args: PythonValues):
        a, b, acc = args
        return ((a * b + acc).astype(np.float32, copy=False),)

    # ---- arith ops xDSL 0.74 does not interpret -------------------------------------------

    @impl(arith.DivfOp)
    def run_divf(self, interpreter: Interpreter, op: arith.DivfOp, args: PythonValues):
        return (_unary_or_binary(np.divide, *args),)

    @impl(arith.NegfOp)
    def run_negf(self, interpreter: Interpreter, op: arith.NegfOp, args: PythonValues):
        return (_unary_or_binary(np.negative, *args),)

    @impl(arith.MaxSIOp)
    def run_maxsi(self, interpreter: Interpreter, op: arith.MaxSIOp, args: PythonValues):
        return (max(args[0], args[1]),)

    @impl(arith.MinSIOp)
    def run_minsi(self, interpreter: Interpreter, op: arith.MinSIOp, args: PythonValues):
        return (min(args[0], args[1]),)

    @impl(arith.CeilDivSIOp)
    def run_ceildivsi(self, interpreter: Interpreter, op: arith.CeilDivSIOp, args: PythonValues):
        return (-(-args[0] // args[1]),)

    # ---- math (scalars and vectors; numpy, so overflow gives inf, not an exception) ------

    @impl(mathd.ExpOp)
    def run_exp(self, interpreter: Interpreter, op: mathd.ExpOp, args: PythonValues):
        return (_unary_or_binary(np.exp, *args),)

    @impl(mathd.ExpM1Op)
    def run_expm1(self, interpreter: Interpreter, op: mathd.ExpM1Op, args: PythonValues):
        return (_unary_or_binary(np.expm1, *args),)

    @impl(mathd.LogOp)
    def run_log(self, interpreter: Interpreter, op: mathd.LogOp, args: PythonValues):
        return (_unary_or_binary(np.log, *args),)

    @impl(mathd.Log1pOp)
    def run_log1p(self, interpreter: Interpreter, op: mathd.Log1pOp, args: PythonValues):
        return (_unary_or_binary(np.log1p, *args),)

    @impl(mathd.TanhOp)
    def run_tanh(self, interpreter: Interpreter, op: mathd.TanhOp, args: PythonValues):
        return (_unary_or_binary(np.tanh, *args),)

    @impl(mathd.SqrtOp)
    def run_sqrt(self, interpreter: Interpreter, op: mathd.SqrtOp, args: PythonValues):
        return (_unary_or_binary(np.sqrt, *args),)

    @impl(mathd.AbsFOp)
    def run_absf(self, interpreter: Interpreter, op: mathd.AbsFOp, args: PythonValues):
        return (_unary_or_binary(np.abs, *args),)

    @impl(mathd.PowFOp)
    def run_powf(self, interpreter: Interpreter, op: mathd.PowFOp, args: PythonValues):
        return (_unary_or_binary(np.power, *args),)


def _unary_or_binary(fn: Any, *args: Any) -> Any:
    """numpy `fn` on Python floats (-> float, f64 like xDSL's scalar arith) or on f32
    vectors (-> f32 vector), without floating-point warnings."""
    with np.errstate(all="ignore"):
        if any(_is_vec(a) for a in args):
            return np.asarray(fn(*args), dtype=np.float32)
        return float(fn(*(np.float64(a) for a in args)))


_CMPF = {
    0: lambda x, y, o, u: np.zeros_like(o),
    1: lambda x, y, o, u: (x == y) & o,
    2: lambda x, y, o, u: (x > y) & o,
    3: lambda x, y, o, u: (x >= y) & o,
    4: lambda x, y, o, u: (x < y) & o,
    5: lambda x, y, o, u: (x <= y) & o,
    6: lambda x, y, o, u: (x != y) & o,
    7: lambda x, y, o, u: o,
    8: lambda x, y, o, u: (x == y) | u,
    9: lambda x, y, o, u: (x > y) | u,
    10: lambda x, y, o, u: (x >= y) | u,
    11: lambda x, y, o, u: (x < y) | u,
    12: lambda x, y, o, u: (x <= y) | u,
    13: lambda x, y, o, u: (x != y) | u,
    14: lambda x, y, o, u: u,
    15: lambda x, y, o, u: np.ones_like(o),
}


@register_impls
class VectorArithFunctions(InterpreterFunctions):
    """arith float ops elementwise on vectors (numpy arrays); xDSL's behaviour on scalars.
    Register with override=True (xDSL's ArithFunctions already claims these ops)."""

    @impl(arith.MaximumfOp)
    def run_maximumf(self, interpreter: Interpreter, op: arith.MaximumfOp, args: PythonValues):
        a, b = args
        if _is_vec(a) or _is_vec(b):
            return (np.maximum(a, b).astype(np.float32, copy=False),)
        if isnan(a) or isnan(b):
            return (float("nan"),)
        if a == 0 and b == 0:
            return (0.0 if copysign(1.0, a) > 0 or copysign(1.0, b) > 0 else -0.0,)
        return (max(a, b),)

    @impl(arith.MinimumfOp)
    def run_minimumf(self, interpreter: Interpreter, op: arith.MinimumfOp, args: PythonValues):
        a, b = args
        if _is_vec(a) or _is_vec(b):
            return (np.minimum(a, b).astype(np.float32, copy=False),)
        if isnan(a) or isnan(b):
            return (float("nan"),)
        if a == 0 and b == 0:
            return (-0.0 if copysign(1.0, a) < 0 or copysign(1.0, b) < 0 else 0.0,)
        return (min(a, b),)

    @impl(arith.CmpfOp)
    def run_cmpf(self, interpreter: Interpreter, op: arith.CmpfOp, args: PythonValues):
        x, y = args
        vec = _is_vec(x) or _is_vec(y)
        xa, ya = np.asarray(x), np.asarray(y)
        o = ~np.isnan(xa) & ~np.isnan(ya)
        result = _CMPF[op.predicate.value.data](xa, ya, o, ~o)
        return (np.asarray(result, dtype=bool) if vec else bool(result),)

    @impl(arith.SelectOp)
    def run_select(self, interpreter: Interpreter, op: arith.SelectOp, args: PythonValues):
        cond, a, b = args
        if _is_vec(cond):
            return (np.where(cond, a, b).astype(np.float32, copy=False),)
        return (a if cond else b,)
