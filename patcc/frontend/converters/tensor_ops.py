"""Converters of ONNX data-movement operators.

Concat, Slice, Split, Pad, Resize/Upsample, Reshape, Flatten, Squeeze, Unsqueeze, Transpose
and Gather. Every index argument (ONNX's later opsets take them as inputs) must be a
constant: the importer has folded shape sub-graphs by the time a converter runs. The opset
form is told apart by where the argument is (attribute or input), so no opset is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from xdsl.ir import SSAValue

from patcc.dialects.nn import tensor_ops as ops
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr, str_attr

from ..context import Converter, ImportContext


def _input(node: onnx.NodeProto, i: int) -> str:
    """Name of input i, '' when absent (ONNX optional inputs may be missing or empty)."""
    return node.input[i] if len(node.input) > i else ""


def _axis(ctx: ImportContext, axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise ctx.error(f"{what} {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


def _ints(ctx: ImportContext, node: onnx.NodeProto, i: int, what: str) -> list[int] | None:
    """A constant integer input (None if absent)."""
    name = _input(node, i)
    if not name:
        return None
    return [int(v) for v in ctx.require_const(name, what).reshape(-1)]


def _reshape(ctx: ImportContext, x: str, shape: Sequence[int]) -> Sequence[SSAValue]:
    return ctx.emit(lambda: ops.ReshapeOp.inferred([ctx.value(x)], shape=ints_attr(shape)))


# ---- concat / slice / split ---------------------------------------------------------------


def convert_concat(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    names = [n for n in node.input if n]
    rank = len(ctx.shape(names[0]))
    axis = _axis(ctx, ctx.attrs().get("axis", 1), rank)
    # ONNX allows empty inputs; they contribute nothing
    names = [n for n in names if math.prod(ctx.shape(n)) != 0] or names
    return ctx.emit(
        lambda: ops.ConcatOp.inferred([[ctx.value(n) for n in names]], axis=int_attr(axis))
    )


def convert_slice(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    shape = ctx.shape(node.input[0])
    if "starts" in attrs:  # opset < 10
        starts, ends = list(attrs["starts"]), list(attrs["ends"])
        axes = attrs.get("axes")
        steps = None
    else:
        starts = _ints(ctx, node, 1, "starts")
        ends = _ints(ctx, node, 2, "ends")
        if starts is None or ends is None:
            raise ctx.error("starts and ends are required")
        axes = _ints(ctx, node, 3, "axes")
        steps = _ints(ctx, node, 4, "steps")
    axes = list(range(len(starts))) if axes is None else [_axis(ctx, a, len(shape)) for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise ctx.error("starts, ends, axes and steps must have the same length")
    # beyond +-(size + 1) every value clamps alike: keep the IR readable (no INT64_MAX)
    dims = [shape[a] for a in axes]
    starts = [int(np.clip(s, -d - 1, d + 1)) for s, d in zip(starts, dims, strict=True)]
    ends = [int(np.clip(e, -d - 1, d + 1)) for e, d in zip(ends, dims, strict=True)]
    return ctx.emit(
        lambda: ops.SliceOp.inferred(
            [ctx.value(node.input[0])],
            starts=ints_attr(starts),
            ends=ints_attr(ends),
            axes=ints_attr(axes),
            steps=ints_attr(steps),
        )
    )


def convert_split(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    shape = ctx.shape(node.input[0])
    axis = _axis(ctx, attrs.get("axis", 0), len(shape))
    dim = shape[axis]
    n_out = len(node.output)
    if "split" in attrs:  # opset < 13
        sizes = list(attrs["split"])
    elif _input(node, 1):
        sizes = _ints(ctx, node, 1, "split") or []
    else:
        parts = attrs.get("num_outputs", n_out)  # opset 18 names it; before, the outputs do
        if parts < 1:
            raise ctx.error(f"num_outputs must be >= 1, got {parts}")
        chunk = -(-dim // parts)  # ONNX: equal chunks, the last one smaller
        sizes = [min(chunk, dim - i * chunk) for i in range(parts)]
        if min(sizes) < 1:
            raise ctx.error(f"axis {axis} of size {dim} cannot be split into {parts} parts")
    if len(sizes) != n_out:
        raise ctx.error(f"split gives {len(sizes)} sizes for {n_out} outputs")
    if min(sizes, default=0) < 1:
        raise ctx.error(f"split sizes {sizes}: empty outputs are not supported")
    return ctx.emit(
        lambda: ops.SplitOp.inferred(
            [ctx.value(node.input[0])], axis=int_attr(axis), sizes=ints_attr(sizes)
        )
    )


# ---- pad ----------------------------------------------------------------------------------


def convert_pad(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    rank = len(ctx.shape(node.input[0]))
    mode = attrs.get("mode", "constant")
    if mode not in ops.PAD_MODES:
        raise ctx.error(f"pad mode '{mode}' is not supported (supported: constant, reflect, edge)")
    if "pads" in attrs or "paddings" in attrs:  # opset < 11
        pads = list(attrs.get("pads", attrs.get("paddings", [])))
        value = float(attrs.get("value", 0.0))
        axes = None
    else:
        pads = _ints(ctx, node, 1, "pads")
        if pads is None:
            raise ctx.error("pads is required")
        value_name = _input(node, 2)
        cval = ctx.require_const(value_name, "constant_value") if value_name else None
        value = float(cval.reshape(-1)[0]) if cval is not None and cval.size else 0.0
        axes = _ints(ctx, node, 3, "axes")
    if axes is not None:  # opset 18: pads only for the listed axes
        axes = [_axis(ctx, a, rank, "pad axis") for a in axes]
        if len(pads) != 2 * len(axes):
            raise ctx.error(f"pads has {len(pads)} entries for {len(axes)} axes")
        full = [0] * (2 * rank)
        for i, a in enumerate(axes):
            full[a], full[a + rank] = pads[i], pads[i + len(axes)]
        pads = full
    return ctx.emit(
        lambda: ops.PadOp.inferred(
            [ctx.value(node.input[0])],
            mode=str_attr(mode),
            pads=ints_attr(pads),
            value=float_attr(value),
        )
    )


# ---- resize / upsample ----------------------------------------------------------------------


def _resize_op(
    ctx: ImportContext,
    node: onnx.NodeProto,
    mode: str,
    coordinate_mode: str,
    nearest_mode: str,
    scales: Sequence[float],
    sizes: Sequence[int],
    source: SSAValue | None = None,
) -> Sequence[SSAValue]:
    """One nn.resize of `source` (default: the node's input X) to `sizes` (all 4 axes)."""
    x = ctx.value(node.input[0]) if source is None else source
    shape = ctx.shape(node.input[0])
    if len(shape) != 4:
        raise ctx.error(f"only 4-D NCHW inputs can be resized, got rank {len(shape)}")
    if list(sizes[:2]) != list(shape[:2]):
        raise ctx.error(
            f"only H and W can be resized: the output would be {'x'.join(map(str, sizes))} "
            f"for the input {'x'.join(map(str, shape))}"
        )
    return ctx.emit(
        lambda: ops.ResizeOp.inferred(
            [x],
            mode=str_attr(mode),
            coordinate_transformation_mode=str_attr(coordinate_mode),
            nearest_mode=str_attr(nearest_mode),
            scales=ops.floats_attr(scales[2:]),
            sizes=ints_attr(sizes[2:]),
        )
    )


def _scaled_sizes(shape: Sequence[int], scales: Sequence[float]) -> list[int]:
    """floor(size * scale) in float32, as ONNX Runtime computes it."""
    return [
        int(np.floor(np.float32(s) * np.float32(d))) for d, s in zip(shape, scales, strict=True)
    ]


def _legacy_resize(
    ctx: ImportContext, node: onnx.NodeProto, mode: str, scales: Sequence[float]
) -> Sequence[SSAValue]:
    """Upsample (opset 7-9) and Resize-10: asymmetric coordinates, no nearest_mode."""
    shape = ctx.shape(node.input[0])
    if len(shape) != 4:
        raise ctx.error(f"only 4-D NCHW inputs can be resized, got rank {len(shape)}")
    if len(scales) != len(shape):
        raise ctx.error(f"scales has {len(scales)} entries for an input of rank {len(shape)}")
    mode = "linear" if mode in ("linear", "bilinear") else mode
    if mode != "nearest" and mode != "linear":
        raise ctx.error(f"mode '{mode}' is not supported (supported: nearest, linear)")
    sizes = _scaled_sizes(shape, scales)
    # ONNX Runtime's rounding for these opsets: floor when enlarging, ceil when shrinking
    rounding = ["floor" if s >= 1 else "ceil" for s in scales[2:]]
    if mode == "linear" or rounding[0] == rounding[1]:
        return _resize_op(ctx, node, mode, "asymmetric", rounding[0], scales, sizes)
    # one axis grows, the other shrinks: nearest is separable, so resize H then W
    (tall,) = _resize_op(
        ctx,
        node,
        mode,
        "asymmetric",
        rounding[0],
        [*scales[:3], 1.0],
        [*sizes[:3], shape[3]],
    )
    return _resize_op(
        ctx, node, mode, "asymmetric", rounding[1], [*scales[:2], 1.0, scales[3]], sizes, tall
    )


def convert_upsample(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    if "scales" in attrs:  # opset 7
        scales = [float(s) for s in attrs["scales"]]
    elif "height_scale" in attrs:  # opset 1
        scales = [1.0, 1.0, float(attrs["height_scale"]), float(attrs["width_scale"])]
    else:
        scales = [float(s) for s in ctx.require_const(_input(node, 1), "scales").reshape(-1)]
    return _legacy_resize(ctx, node, attrs.get("mode", "nearest"), scales)


def convert_resize(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    shape = ctx.shape(node.input[0])
    rank = len(shape)
    mode = attrs.get("mode", "nearest")
    if ctx.opset < 11:  # Resize-10: (X, scales)
        scales10 = ctx.require_const(node.input[1], "scales").reshape(-1)
        return _legacy_resize(ctx, node, mode, [float(s) for s in scales10])
    if mode not in ops.RESIZE_MODES:
        raise ctx.error(f"resize mode '{mode}' is not supported (supported: nearest, linear)")
    coordinate_mode = attrs.get("coordinate_transformation_mode", "half_pixel")
    if coordinate_mode not in ops.COORDINATE_MODES:
        raise ctx.error(
            f"coordinate_transformation_mode '{coordinate_mode}' is not supported "
            f"(supported: {', '.join(ops.COORDINATE_MODES)})"
        )
    nearest_mode = attrs.get("nearest_mode", "round_prefer_floor")
    if nearest_mode not in ops.NEAREST_MODES:
        raise ctx.error(f"nearest_mode '{nearest_mode}' is not supported")
    axes = [_axis(ctx, a, rank) for a in attrs.get("axes", range(rank))]
    scales_in = _floats_input(ctx, node, 2, "scales")
    sizes_in = _ints(ctx, node, 3, "sizes")
    scales = [1.0] * rank
    sizes = list(shape)
    if sizes_in:
        if len(sizes_in) != len(axes):
            raise ctx.error(f"sizes has {len(sizes_in)} entries for {len(axes)} axes")
        ratios = [np.float32(s) / np.float32(shape[a]) for s, a in zip(sizes_in, axes, strict=True)]
        policy = attrs.get("keep_aspect_ratio_policy", "stretch")
        if policy == "stretch":
            for a, s, r in zip(axes, sizes_in, ratios, strict=True):
                sizes[a], scales[a] = s, float(r)
        elif policy in ("not_larger", "not_smaller"):
            r = min(ratios) if policy == "not_larger" else max(ratios)
            for a in axes:
                scales[a] = float(r)
                sizes[a] = int(np.floor(r * np.float32(shape[a]) + np.float32(0.5)))
        else:
            raise ctx.error(f"keep_aspect_ratio_policy '{policy}' is not a valid value")
    elif scales_in:
        if len(scales_in) != len(axes):
            raise ctx.error(f"scales has {len(scales_in)} entries for {len(axes)} axes")
        for a, s in zip(axes, scales_in, strict=True):
            scales[a] = s
        sizes = _scaled_sizes(shape, scales)
    else:
        raise ctx.error("one of scales and sizes is required")
    if min(scales) <= 0:
        raise ctx.error(f"scales must be positive, got {scales}")
    if attrs.get("antialias", 0) and mode == "linear" and min(scales) < 1:
        raise ctx.error("antialiased downsampling is not supported")
    return _resize_op(ctx, node, mode, coordinate_mode, nearest_mode, scales, sizes)


def _floats_input(ctx: ImportContext, node: onnx.NodeProto, i: int, what: str) -> list[float]:
    """A constant float input; [] when absent or empty (Resize-11 writes '' or [])."""
    name = _input(node, i)
    if not name:
        return []
    return [float(v) for v in ctx.require_const(name, what).reshape(-1)]


# ---- reshape family -------------------------------------------------------------------------


def convert_reshape(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    attrs = ctx.attrs()
    in_shape = ctx.shape(node.input[0])
    if "shape" in attrs:  # opset < 5
        target = [int(v) for v in attrs["shape"]]
    else:
        target = [int(v) for v in ctx.require_const(node.input[1], "shape").reshape(-1)]
    if 0 in in_shape:
        raise ctx.error(f"the input {list(in_shape)} is empty, which is not supported")
    allowzero = attrs.get("allowzero", 0)
    shape = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            if i >= len(in_shape):
                raise ctx.error(f"shape {target}: 0 at axis {i} copies no input axis")
            d = in_shape[i]
        shape.append(d)
    if shape.count(-1) > 1:
        raise ctx.error(f"shape {target} has more than one -1")
    total = math.prod(in_shape)
    if -1 in shape:
        known = math.prod(d for d in shape if d != -1)
        if known == 0 or total % known:
            raise ctx.error(f"shape {target} does not fit the input {list(in_shape)}")
        shape[shape.index(-1)] = total // known
    if min(shape, default=1) < 1 or math.prod(shape) != total:
        raise ctx.error(f"shape {target} does not fit the input {list(in_shape)}")
    return _reshape(ctx, node.input[0], shape)


def convert_flatten(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    shape = ctx.shape(node.input[0])
    axis = ctx.attrs().get("axis", 1)
    if not -len(shape) <= axis <= len(shape):
        raise ctx.error(f"axis {axis} is out of range for rank {len(shape)}")
    axis = axis + len(shape) if axis < 0 else axis
    return _reshape(ctx, node.input[0], [math.prod(shape[:axis]), math.prod(shape[axis:])])


def _axes(ctx: ImportContext, node: onnx.NodeProto, attrs: dict[str, Any]) -> list[int] | None:
    if "axes" in attrs:  # opset < 13
        return [int(a) for a in attrs["axes"]]
    return _ints(ctx, node, 1, "axes")


def convert_squeeze(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    shape = ctx.shape(node.input[0])
    axes = _axes(ctx, node, ctx.attrs())
    if axes is None:
        drop = {i for i, d in enumerate(shape) if d == 1}
    else:
        drop = {_axis(ctx, a, len(shape)) for a in axes}
        bad = [a for a in sorted(drop) if shape[a] != 1]
        if bad:
            raise ctx.error(f"cannot squeeze axes {bad} of shape {list(shape)}: size is not 1")
    return _reshape(ctx, node.input[0], [d for i, d in enumerate(shape) if i not in drop])


def convert_unsqueeze(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    shape = ctx.shape(node.input[0])
    axes = _axes(ctx, node, ctx.attrs())
    if axes is None:
        raise ctx.error("axes is required")
    rank = len(shape) + len(axes)
    inserted = {_axis(ctx, a, rank) for a in axes}
    if len(inserted) != len(axes):
        raise ctx.error(f"axes {axes} repeat an axis")
    dims = iter(shape)
    return _reshape(ctx, node.input[0], [1 if i in inserted else next(dims) for i in range(rank)])


def convert_transpose(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    rank = len(ctx.shape(node.input[0]))
    perm = list(ctx.attrs().get("perm", range(rank - 1, -1, -1)))
    return ctx.emit(
        lambda: ops.TransposeOp.inferred([ctx.value(node.input[0])], perm=ints_attr(perm))
    )


def convert_gather(ctx: ImportContext, node: onnx.NodeProto) -> Sequence[SSAValue]:
    shape = ctx.shape(node.input[0])
    if ctx.const(node.input[0]) is not None:
        raise ctx.error(
            "gathering from a constant with run-time indices (an embedding lookup) is not supported"
        )
    axis = _axis(ctx, ctx.attrs().get("axis", 0), len(shape))
    idx = ctx.require_const(node.input[1], "indices").astype(np.int64)
    dim = shape[axis]
    if idx.size and (idx.min() < -dim or idx.max() >= dim):
        raise ctx.error(f"indices must be in [-{dim}, {dim}) for axis {axis} of size {dim}")
    if idx.size == 0:
        raise ctx.error("empty indices give an empty tensor, which is not supported")
    idx = np.where(idx < 0, idx + dim, idx)
    return ctx.emit(
        lambda: ops.GatherOp.inferred(
            [ctx.value(node.input[0])],
            axis=int_attr(axis),
            indices=ints_attr(idx.reshape(-1).tolist()),
            indices_shape=ints_attr(idx.shape),
        )
    )


CONVERTERS: dict[str, Converter] = {
    "Concat": convert_concat,
    "Slice": convert_slice,
    "Split": convert_split,
    "Pad": convert_pad,
    "Resize": convert_resize,
    "Upsample": convert_upsample,
    "Reshape": convert_reshape,
    "Flatten": convert_flatten,
    "Squeeze": convert_squeeze,
    "Unsqueeze": convert_unsqueeze,
    "Transpose": convert_transpose,
    "Gather": convert_gather,
}
