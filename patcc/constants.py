"""Dense tensor constants: numpy <-> `arith.constant dense<...>` (weights live in the IR)."""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    AnyFloat,
    BytesAttr,
    DenseIntOrFPElementsAttr,
    IntegerType,
    TensorType,
    f32,
)
from xdsl.ir import Attribute, SSAValue

from patcc.errors import PatccError


def numpy_dtype(element: Attribute) -> np.dtype:
    """The little-endian numpy dtype of a float or integer element type."""
    if isinstance(element, AnyFloat):
        return np.dtype(f"<f{element.bitwidth // 8}")
    if isinstance(element, IntegerType):
        return np.dtype(f"<i{max(element.width.data, 8) // 8}")
    raise PatccError(f"dense constant: unsupported element type {element}")


def dense_attr(array: np.ndarray, element: AnyFloat | IntegerType) -> DenseIntOrFPElementsAttr:
    """A dense tensor attribute of `element` type holding `array` (bytes copied once,
    little-endian; not at all when `array` is a whole view of a bytes object, as an
    imported initializer is: bytes are immutable)."""
    arr = np.ascontiguousarray(array, dtype=numpy_dtype(element))
    return DenseIntOrFPElementsAttr(TensorType(element, list(arr.shape)), BytesAttr(_bytes(arr)))


def _bytes(arr: np.ndarray) -> bytes:
    """arr's bytes: the bytes object it views when it is all of it, in order (a contiguous
    view as large as its buffer starts at its start), else a copy."""
    base = arr.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, bytes) and len(base) == arr.nbytes and arr.flags.c_contiguous:
        return base
    return arr.tobytes()


def dense_f32(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A dense f32 tensor attribute holding `array`."""
    return dense_attr(array, f32)


def constant_op(array: np.ndarray) -> arith.ConstantOp:
    return arith.ConstantOp(dense_f32(array))


def dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """Read-only view of a dense attribute's bytes (xDSL stores them little-endian)."""
    dtype = numpy_dtype(attr.type.element_type)
    arr = np.frombuffer(attr.data.data, dtype=dtype)
    shape = tuple(attr.type.get_shape())
    if arr.size == 1 and int(np.prod(shape)) != 1:  # splat
        return np.full(shape, arr[0], dtype=dtype)
    return arr.reshape(shape)


def constant_value(value: SSAValue | None) -> np.ndarray | None:
    """The numpy value of `value` if an `arith.constant dense<...>` tensor defines it."""
    if value is None:
        return None
    op = value.owner
    if (
        isinstance(op, arith.ConstantOp)
        and isinstance(op.value, DenseIntOrFPElementsAttr)
        and isinstance(op.value.type, TensorType)
    ):
        return dense_to_numpy(op.value)
    return None


def all_finite(weights: np.ndarray) -> bool:
    """No inf or nan among the weights: their float64 sum is finite (it would be inf or nan
    with one; no f32 values overflow it), without a boolean temporary of the weights' size
    (VGG-16's 102 M weights: 100 MB of fresh pages, slow to fault in on this VM)."""
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf: nan, as wanted
        return bool(np.isfinite(weights.sum(dtype=np.float64)))
