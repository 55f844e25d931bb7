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
)
from xdsl.ir import SSAValue

from patcc.dialects.nn.base import tensor_f32
from patcc.errors import PatccError


def dense_f32(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A dense f32 tensor attribute holding `array` (bytes copied once, little-endian)."""
    arr = np.ascontiguousarray(array, dtype="<f4")
    return DenseIntOrFPElementsAttr(tensor_f32(arr.shape), BytesAttr(arr.tobytes()))


def constant_op(array: np.ndarray) -> arith.ConstantOp:
    return arith.ConstantOp(dense_f32(array))


def dense_to_numpy(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """Read-only view of a dense attribute's bytes (xDSL stores them little-endian)."""
    el = attr.type.element_type
    if isinstance(el, AnyFloat):
        dtype = np.dtype(f"<f{el.bitwidth // 8}")
    elif isinstance(el, IntegerType):
        dtype = np.dtype(f"<i{max(el.width.data, 8) // 8}")
    else:
        raise PatccError(f"dense constant: unsupported element type {el}")
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
