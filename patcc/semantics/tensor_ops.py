"""Interpreter functions of the `nn` data-movement ops, and their numpy references.

Resize follows ONNX Runtime's arithmetic (float32 coordinates, clamped neighbours), which is
the oracle the tests compare with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import tensor_ops as ops
from patcc.dialects.nn.base import get_float, get_int, get_ints, get_str


def slice_array(
    x: np.ndarray,
    starts: Sequence[int],
    ends: Sequence[int],
    axes: Sequence[int],
    steps: Sequence[int],
) -> np.ndarray:
    """ONNX Slice (clamping included) as one numpy basic-indexing view."""
    index: list[slice] = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        first, stop, _ = ops.slice_bounds(x.shape[axis], start, end, step)
        # a negative step's stop of -1 means "past the first element", i.e. no stop
        index[axis] = slice(first, None if stop < 0 else stop, step)
    return x[tuple(index)]


def pad_array(x: np.ndarray, pads: Sequence[int], mode: str, value: float) -> np.ndarray:
    """ONNX Pad: negative pads crop first, then np.pad adds the positive ones."""
    r = x.ndim
    begins, ends = pads[:r], pads[r:]
    crop = tuple(
        slice(max(-b, 0), x.shape[d] - max(-e, 0))
        for d, (b, e) in enumerate(zip(begins, ends, strict=True))
    )
    x = x[crop]
    widths = [(max(b, 0), max(e, 0)) for b, e in zip(begins, ends, strict=True)]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=np.float32(value))
    return np.pad(x, widths, mode="reflect" if mode == "reflect" else "edge")


def source_coordinates(
    out_size: int, in_size: int, scale: float, coordinate_mode: str
) -> np.ndarray:
    """Input coordinate of each output index (ONNX coordinate_transformation_mode), float32."""
    x = np.arange(out_size, dtype=np.float32)
    s = np.float32(scale)
    half = np.float32(0.5)
    if coordinate_mode == "asymmetric":
        return x / s
    if coordinate_mode == "half_pixel":
        return (x + half) / s - half
    if coordinate_mode == "pytorch_half_pixel":
        if out_size == 1:
            return np.zeros(1, dtype=np.float32)
        return (x + half) / s - half
    if coordinate_mode == "align_corners":
        if out_size == 1:
            return np.zeros(1, dtype=np.float32)
        return x * np.float32(in_size - 1) / np.float32(out_size - 1)
    if coordinate_mode == "tf_half_pixel_for_nn":
        return (x + half) / s
    if coordinate_mode == "half_pixel_symmetric":
        adjustment = np.float32(out_size) / (s * np.float32(in_size))
        center = np.float32(in_size) / np.float32(2)
        offset = center * (np.float32(1) - adjustment)
        return offset + (x + half) / s - half
    raise ValueError(f"unknown coordinate_transformation_mode '{coordinate_mode}'")


def nearest_indices(coords: np.ndarray, in_size: int, nearest_mode: str) -> np.ndarray:
    if nearest_mode == "round_prefer_floor":
        idx = np.ceil(coords - np.float32(0.5))
    elif nearest_mode == "round_prefer_ceil":
        idx = np.floor(coords + np.float32(0.5))
    elif nearest_mode == "floor":
        idx = np.floor(coords)
    elif nearest_mode == "ceil":
        idx = np.ceil(coords)
    else:
        raise ValueError(f"unknown nearest_mode '{nearest_mode}'")
    return np.clip(idx.astype(np.int64), 0, in_size - 1)


def _linear_axis(x: np.ndarray, axis: int, coords: np.ndarray) -> np.ndarray:
    """Linear interpolation along one axis at clamped float coordinates."""
    n = x.shape[axis]
    c = np.clip(coords, np.float32(0), np.float32(n - 1))
    lo = np.minimum(c.astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    w_hi = (c - lo.astype(np.float32)).astype(np.float32)
    w_lo = np.float32(1) - w_hi
    shape = [1] * x.ndim
    shape[axis] = len(coords)
    return np.take(x, lo, axis=axis) * w_lo.reshape(shape) + np.take(
        x, hi, axis=axis
    ) * w_hi.reshape(shape)


def resize(
    x: np.ndarray,
    *,
    mode: str,
    coordinate_mode: str,
    nearest_mode: str,
    scales: Sequence[float],
    sizes: Sequence[int],
) -> np.ndarray:
    """ONNX Resize over the last two axes of NCHW (separable: H, then W)."""
    out = x
    for axis, scale, size in ((2, scales[0], sizes[0]), (3, scales[1], sizes[1])):
        coords = source_coordinates(size, x.shape[axis], scale, coordinate_mode)
        if mode == "nearest":
            out = np.take(out, nearest_indices(coords, x.shape[axis], nearest_mode), axis=axis)
        else:
            out = _linear_axis(out, axis, coords)
    return np.ascontiguousarray(out, dtype=np.float32)


def gather(
    x: np.ndarray, axis: int, indices: Sequence[int], indices_shape: Sequence[int]
) -> np.ndarray:
    idx = np.asarray(indices, dtype=np.int64).reshape(tuple(indices_shape))
    return np.take(x, idx, axis=axis)


@register_impls
class TensorOpsFunctions(InterpreterFunctions):
    @impl(ops.ConcatOp)
    def run_concat(
        self, interpreter: Interpreter, op: ops.ConcatOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        return (np.concatenate(args, axis=get_int(op.properties, "axis")),)

    @impl(ops.SliceOp)
    def run_slice(
        self, interpreter: Interpreter, op: ops.SliceOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        p = op.properties
        return (
            np.ascontiguousarray(
                slice_array(
                    args[0],
                    get_ints(p, "starts"),
                    get_ints(p, "ends"),
                    get_ints(p, "axes"),
                    get_ints(p, "steps"),
                )
            ),
        )

    @impl(ops.SplitOp)
    def run_split(
        self, interpreter: Interpreter, op: ops.SplitOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        sizes = get_ints(op.properties, "sizes")
        parts = np.split(args[0], np.cumsum(sizes)[:-1], axis=get_int(op.properties, "axis"))
        return tuple(np.ascontiguousarray(p) for p in parts)

    @impl(ops.PadOp)
    def run_pad(
        self, interpreter: Interpreter, op: ops.PadOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        p = op.properties
        return (pad_array(args[0], get_ints(p, "pads"), get_str(p, "mode"), get_float(p, "value")),)

    @impl(ops.ResizeOp)
    def run_resize(
        self, interpreter: Interpreter, op: ops.ResizeOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        p = op.properties
        return (
            resize(
                args[0],
                mode=get_str(p, "mode"),
                coordinate_mode=get_str(p, "coordinate_transformation_mode"),
                nearest_mode=get_str(p, "nearest_mode"),
                scales=ops.get_floats(p, "scales"),
                sizes=get_ints(p, "sizes"),
            ),
        )

    @impl(ops.ReshapeOp)
    def run_reshape(
        self, interpreter: Interpreter, op: ops.ReshapeOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        return (args[0].reshape(get_ints(op.properties, "shape")),)

    @impl(ops.TransposeOp)
    def run_transpose(
        self, interpreter: Interpreter, op: ops.TransposeOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        return (np.ascontiguousarray(args[0].transpose(get_ints(op.properties, "perm"))),)

    @impl(ops.GatherOp)
    def run_gather(
        self, interpreter: Interpreter, op: ops.GatherOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        p = op.properties
        return (
            gather(
                args[0],
                get_int(p, "axis"),
                get_ints(p, "indices"),
                get_ints(p, "indices_shape"),
            ),
        )
