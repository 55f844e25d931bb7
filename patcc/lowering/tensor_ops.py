"""Data movement at loop level, scalar for now.

- transpose is one linalg.generic: the input index is a permutation of the output index,
  exactly what an indexing map says, so xDSL's convert-linalg-to-loops writes the nest.
- slice / split: scf nests reading x[start + step * i] (linalg wants every operand's extent
  to match the loop range, which a slice's input does not). split is one slice per part.
- concat: one copy nest per input into its offset along the axis (scf directly: an output
  map with an offset is not a permutation, which linalg loop bounds need); an input
  repeated back to back (dense-conv-as-patterns' concat([x, x, x])) is one nest over the
  run, reading at its index modulo the input's size (on a GPU one kernel where there were
  three; one store per element, so the nest stays parallel).
- reshape: a view of its input's buffer (memref.collapse/expand_shape, `VIEWS`): contiguous
  data is already in the right order, so there is nothing to move (on a GPU a copy was a
  launch of its own). A strided input (a halo's interior) or a function result is copied
  between flat views of the two buffers (memref.copy).
- pad, resize, gather: index tables computed at compile time with the numpy reference's
  own arithmetic (ONNX Runtime's float32 coordinates for resize, np.pad's reflect/edge
  rule), loaded with memref.load: the two levels cannot disagree on which element goes
  where, and the loops stay branch-free. Constant pad is a fill plus an interior copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from patcc.dialects.nn import tensor_ops as ops
from patcc.dialects.nn.base import get_float, get_int, get_ints, get_str
from patcc.semantics.tensor_ops import nearest_indices, source_coordinates

from .context import Index, Lowering, LoweringContext, View, buffer_shape, contiguous


def lower_transpose(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """linalg.generic: result axis i reads input axis perm[i]."""
    (x,) = operands
    assert x is not None
    perm = get_ints(op.properties, "perm")
    inverse = [0] * len(perm)
    for i, axis in enumerate(perm):
        inverse[axis] = i
    in_map = AffineMap(len(perm), 0, tuple(AffineDimExpr(inverse[a]) for a in range(len(perm))))
    ctx.elementwise([x], results[0], lambda v: v[0], [in_map])


def _strided_copy(
    ctx: LoweringContext,
    x: SSAValue,
    y: SSAValue,
    starts: Sequence[int],
    steps: Sequence[int],
) -> None:
    """y[i] = x[start + step * i] on every axis (scf directly: linalg wants the input's
    extents to equal the loops', which a slice's are not)."""

    def body(ivs: list[Index]) -> None:
        src = [ctx.lin(starts[d], (steps[d], iv)) for d, iv in enumerate(ivs)]
        ctx.store(ctx.load(x, src), y, ivs)

    ctx.nest(buffer_shape(y), body)


def lower_slice(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    p = op.properties
    shape = buffer_shape(x)
    starts, steps = [0] * len(shape), [1] * len(shape)
    for start, end, axis, step in zip(
        get_ints(p, "starts"),
        get_ints(p, "ends"),
        get_ints(p, "axes"),
        get_ints(p, "steps"),
        strict=True,
    ):
        starts[axis] = ops.slice_bounds(shape[axis], start, end, step)[0]
        steps[axis] = step
    _strided_copy(ctx, x, results[0], starts, steps)


def lower_split(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    axis = get_int(op.properties, "axis")
    rank = len(buffer_shape(x))
    offset = 0
    for y, size in zip(results, get_ints(op.properties, "sizes"), strict=True):
        starts = [0] * rank
        starts[axis] = offset
        _strided_copy(ctx, x, y, starts, [1] * rank)
        offset += size


def lower_concat(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    y = results[0]
    axis = get_int(op.properties, "axis")
    runs: list[tuple[SSAValue, int]] = []  # consecutive equal inputs: (input, how many)
    for x in operands:
        assert x is not None
        if runs and runs[-1][0] is x:
            runs[-1] = (x, runs[-1][1] + 1)
        else:
            runs.append((x, 1))
    offset = 0
    for x, count in runs:
        shape = list(buffer_shape(x))
        size = shape[axis]

        def body(
            ivs: list[Index],
            x: SSAValue = x,
            offset: int = offset,
            size: int = size,
            n: int = count,
        ) -> None:
            src, out = list(ivs), list(ivs)
            out[axis] = ctx.lin(offset, (1, ivs[axis]))
            if n > 1:  # the run's position along the axis, back into the input
                src[axis] = ctx.emit(arith.RemSIOp(ctx.index(ivs[axis]), ctx.index(size)))
            ctx.store(ctx.load(x, src), y, out)

        shape[axis] = size * count
        ctx.nest(shape, body)
        offset += size * count


def lower_reshape(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    ctx.copy(x, results[0])


def reshape_view(
    ctx: LoweringContext, op: Operation, operands: Sequence[SSAValue | None]
) -> SSAValue | None:
    (x,) = operands
    assert x is not None
    typ = op.results[0].type
    if not contiguous(x) or not isinstance(typ, TensorType):
        return None
    return ctx.view(x, typ.get_shape())


def _table_or_shift(ctx: LoweringContext, table: np.ndarray, name: str):
    """i -> table[i] as an index: folded when the table is i + k, else a table load."""
    k = int(table[0])
    if np.array_equal(table, np.arange(len(table)) + k):
        return lambda i: ctx.lin(k, (1, i))
    glob = ctx.index_table(table.tolist(), name)
    return lambda i: ctx.load_index(glob, i)


def lower_pad(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    y = results[0]
    p = op.properties
    pads = get_ints(p, "pads")
    mode = get_str(p, "mode")
    shape = buffer_shape(x)
    r = len(shape)
    begins, ends = pads[:r], pads[r:]
    if mode == "constant":
        ctx.fill(y, get_float(p, "value"))
        kept = [shape[d] - max(-begins[d], 0) - max(-ends[d], 0) for d in range(r)]

        def body(ivs: list[Index]) -> None:
            src = [ctx.lin(max(-begins[d], 0), (1, ivs[d])) for d in range(r)]
            dst = [ctx.lin(max(begins[d], 0), (1, ivs[d])) for d in range(r)]
            ctx.store(ctx.load(x, src), y, dst)

        if min(kept, default=1) > 0:
            ctx.nest(kept, body)
        return
    # edge / reflect: each output index reads one input index per axis (np.pad's rule)
    np_mode = "reflect" if mode == "reflect" else "edge"
    maps = [
        _table_or_shift(
            ctx, np.pad(np.arange(shape[d]), (begins[d], ends[d]), mode=np_mode), "pad_index"
        )
        for d in range(r)
    ]

    def gather(ivs: list[Index]) -> None:
        ctx.store(ctx.load(x, [maps[d](ivs[d]) for d in range(r)]), y, ivs)

    ctx.nest(buffer_shape(y), gather)


def _linear_tables(
    coords: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """lo, hi indices and their weights along one axis (the reference's _linear_axis)."""
    c = np.clip(coords, np.float32(0), np.float32(n - 1))
    lo = np.minimum(c.astype(np.int64), n - 1)
    hi = np.minimum(lo + 1, n - 1)
    w_hi = (c - lo.astype(np.float32)).astype(np.float32)
    w_lo = (np.float32(1) - w_hi).astype(np.float32)
    return lo, hi, w_lo, w_hi


def lower_resize(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    y = results[0]
    p = op.properties
    mode = get_str(p, "mode")
    coordinate_mode = get_str(p, "coordinate_transformation_mode")
    scales = ops.get_floats(p, "scales")
    in_hw = buffer_shape(x)[2:]
    out_shape = buffer_shape(y)
    coords = [
        source_coordinates(out_shape[2 + i], in_hw[i], scales[i], coordinate_mode) for i in range(2)
    ]
    if mode == "nearest":
        nearest = get_str(p, "nearest_mode")
        idx = [
            _table_or_shift(ctx, nearest_indices(coords[i], in_hw[i], nearest), "resize_index")
            for i in range(2)
        ]

        def nearest_body(ivs: list[Index]) -> None:
            n, c, oy, ox = ivs
            ctx.store(ctx.load(x, [n, c, idx[0](oy), idx[1](ox)]), y, ivs)

        ctx.nest(out_shape, nearest_body, names=("n", "c", "oh", "ow"))
        return
    # linear: H then W, as the reference (separable, float32 weights)
    tables = []
    for i in range(2):
        lo, hi, w_lo, w_hi = _linear_tables(coords[i], in_hw[i])
        tables.append(
            (
                ctx.index_table(lo.tolist(), "resize_lo"),
                ctx.index_table(hi.tolist(), "resize_hi"),
                ctx.global_constant(w_lo, "resize_wlo"),
                ctx.global_constant(w_hi, "resize_whi"),
            )
        )

    def linear_body(ivs: list[Index]) -> None:
        n, c, oy, ox = ivs
        (ylo_t, yhi_t, ywlo_t, ywhi_t), (xlo_t, xhi_t, xwlo_t, xwhi_t) = tables
        ylo, yhi = ctx.load_index(ylo_t, oy), ctx.load_index(yhi_t, oy)
        xlo, xhi = ctx.load_index(xlo_t, ox), ctx.load_index(xhi_t, ox)
        ywlo, ywhi = ctx.load(ywlo_t, [oy]), ctx.load(ywhi_t, [oy])
        xwlo, xwhi = ctx.load(xwlo_t, [ox]), ctx.load(xwhi_t, [ox])

        def along_h(xi: SSAValue) -> SSAValue:
            top = ctx.mulf(ctx.load(x, [n, c, ylo, xi]), ywlo)
            return ctx.addf(top, ctx.mulf(ctx.load(x, [n, c, yhi, xi]), ywhi))

        v = ctx.addf(ctx.mulf(along_h(xlo), xwlo), ctx.mulf(along_h(xhi), xwhi))
        ctx.store(v, y, ivs)

    ctx.nest(out_shape, linear_body, names=("n", "c", "oh", "ow"))


def lower_gather(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    y = results[0]
    p = op.properties
    axis = get_int(p, "axis")
    indices = get_ints(p, "indices")
    ishape = get_ints(p, "indices_shape")
    k = len(ishape)
    strides = [math.prod(ishape[j + 1 :]) for j in range(k)]
    table = ctx.index_table(list(indices), "gather_index")

    def body(ivs: list[Index]) -> None:
        flat = ctx.lin(0, *((strides[j], ivs[axis + j]) for j in range(k)))
        src = [*ivs[:axis], ctx.load_index(table, flat), *ivs[axis + k :]]
        ctx.store(ctx.load(x, src), y, ivs)

    ctx.nest(buffer_shape(y), body)


LOWERINGS: dict[type[Operation], Lowering] = {
    ops.ConcatOp: lower_concat,
    ops.SliceOp: lower_slice,
    ops.SplitOp: lower_split,
    ops.PadOp: lower_pad,
    ops.ResizeOp: lower_resize,
    ops.ReshapeOp: lower_reshape,
    ops.TransposeOp: lower_transpose,
    ops.GatherOp: lower_gather,
}

VIEWS: dict[type[Operation], View] = {ops.ReshapeOp: reshape_view}
