"""Pools at loop level: scf.for nests emitted directly, scalar for now.

Windowed pools read a bordered copy of the input (like the convs: lowest-f32 border for max,
zero border for average), so the window loops have no bounds checks, and reduce in an
iter_args register. Not linalg: xDSL's convert-linalg-to-loops keeps a reduction in memory
(a load and a store of the output per tap), and average pooling divides by a per-position
tap count, which is known at compile time: it is a constant table here, computed with the
numpy reference's own function, so both levels count the same taps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import pool
from patcc.dialects.nn.base import get_int, get_ints
from patcc.semantics.pool import _tap_counts

from .context import F32_LOWEST, Index, Lowering, LoweringContext, buffer_shape
from .halo import HaloWriter, PaddedReader, always, pads_with


def _window(
    ctx: LoweringContext,
    op: Operation,
    xp: SSAValue,
    y: SSAValue,
    init: SSAValue | None,
    combine: str,
    finish: Callable[[SSAValue, Index, Index], SSAValue],
) -> None:
    """for n, c, oh, ow: acc = combine over the window of xp; y = finish(acc, oh, ow).

    With `ctx.pool_rows`, per output row: a row buffer gets each input column combined over
    the window's rows (a contiguous loop), then each output combines its window's columns
    of that row: undilated, those of the first stride in one loop, every later one in a
    pass of its own over the row (the same taps in the same order, so the same bits). One
    nest with strided taps (`ow * stride + kw`) is vectorised by gcc 12 and left scalar by
    gcc 13: VGG-16's first max pool took 8 ms on a Sapphire Rapids core against 0.7 ms in
    rows (docs/performance.md, "Max pools in rows")."""
    p = op.properties
    kh_n, kw_n = get_ints(p, "kernel")
    sh, sw = get_ints(p, "strides")
    dh, dw = get_ints(p, "dilations")
    n_n, c_n, oh_n, ow_n = buffer_shape(y)

    def combined(acc: SSAValue, v: SSAValue) -> SSAValue:
        return ctx.maxf(acc, v) if combine == "max" else ctx.addf(acc, v)

    def over(n_taps: int, start: SSAValue, tap: Callable[[Index], SSAValue], name: str) -> SSAValue:
        def step(k: Index, carried: list[SSAValue]) -> list[SSAValue]:
            return [combined(carried[0], tap(k))]

        return ctx.reduce(n_taps, [start], step, name=name)[0]

    if not ctx.pool_rows:

        def body(ivs: list[Index]) -> None:
            n, c, oh, ow = ivs

            def tap(kh: Index, kw: Index) -> SSAValue:
                ih = ctx.lin(0, (sh, oh), (dh, kh))
                iw = ctx.lin(0, (sw, ow), (dw, kw))
                return ctx.load(xp, [n, c, ih, iw])

            # max starts from the first tap (then -inf inputs give -inf, as in numpy)
            start = init if init is not None else tap(0, 0)

            def over_kh(kh: Index, carried: list[SSAValue]) -> list[SSAValue]:
                return [over(kw_n, carried[0], lambda kw: tap(kh, kw), "kw")]

            acc = ctx.reduce(kh_n, [start], over_kh, name="kh")[0]
            ctx.store(finish(acc, oh, ow), y, ivs)

        ctx.nest((n_n, c_n, oh_n, ow_n), body, names=("n", "c", "oh", "ow"))
        return

    width = (ow_n - 1) * sw + (kw_n - 1) * dw + 1  # the input columns the windows read
    # Undilated, the column taps of one stride reduce in one loop and each later tap adds a
    # pass over the output row: gcc 13 vectorises neither the one nest nor one loop of
    # `ow * 2 + kw` over 3 taps (ResNet-50's 3x3/2 max pool: 1.66 ms on a Sapphire Rapids
    # core, 0.52 with gcc 12), but it does a stride's taps and a single strided tap
    # (docs/performance.md, "Max pools in rows"). Dilated pools were not measured: one loop.
    group = min(kw_n, sw) if dw == 1 else kw_n
    rows = ctx.alloc((n_n, c_n, width), name="pool_rows")

    def plane(ivs: list[Index]) -> None:
        n, c = ivs

        def output_row(oh: Index) -> None:
            def column(iw: Index) -> None:
                def tap(kh: Index) -> SSAValue:
                    return ctx.load(xp, [n, c, ctx.lin(0, (sh, oh), (dh, kh)), iw])

                start = init if init is not None else tap(0)
                ctx.store(over(kh_n, start, tap, "kh"), rows, [n, c, iw])

            def output(ow: Index) -> None:
                def tap(kw: Index) -> SSAValue:
                    return ctx.load(rows, [n, c, ctx.lin(0, (sw, ow), (dw, kw))])

                start = init if init is not None else tap(0)
                acc = over(group, start, tap, "kw")
                ctx.store(acc if group < kw_n else finish(acc, oh, ow), y, [n, c, oh, ow])

            def later(kw: int) -> Callable[[Index], None]:
                def output_tap(ow: Index) -> None:
                    acc = ctx.load(y, [n, c, oh, ow])
                    acc = combined(acc, ctx.load(rows, [n, c, ctx.lin(kw * dw, (sw, ow))]))
                    ctx.store(acc if kw < kw_n - 1 else finish(acc, oh, ow), y, [n, c, oh, ow])

                return output_tap

            ctx.loop(width, column, name="iw")
            ctx.loop(ow_n, output, name="ow")
            for kw in range(group, kw_n):
                ctx.loop(ow_n, later(kw), name="ow")

        ctx.loop(oh_n, output_row, name="oh")

    ctx.nest((n_n, c_n), plane, names=("n", "c"))


def lower_max_pool(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    xp = ctx.padded(x, get_ints(op.properties, "pads"), F32_LOWEST)
    _window(ctx, op, xp, results[0], None, "max", lambda acc, oh, ow: acc)


def avg_pool_divisors(op: Operation, in_hw: Sequence[int], out_hw: Sequence[int]) -> np.ndarray:
    """OH x OW divisors of nn.avg_pool (1 where no tap counts: the sum there is 0)."""
    p = op.properties
    kernel, strides = get_ints(p, "kernel"), get_ints(p, "strides")
    dilations, pads = get_ints(p, "dilations"), get_ints(p, "pads")
    ceil_pads = get_ints(p, "ceil_pads", (0, 0))
    include = bool(get_int(p, "count_include_pad"))
    counts = []
    for i in range(2):
        lo, hi = (-pads[i], in_hw[i] + pads[i + 2] - ceil_pads[i]) if include else (0, in_hw[i])
        counts.append(_tap_counts(out_hw[i], kernel[i], strides[i], dilations[i], pads[i], lo, hi))
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(np.float32)
    return np.where(divisor > 0, divisor, np.float32(1))


def lower_avg_pool(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    (x,) = operands
    assert x is not None
    y = results[0]
    xp = ctx.padded(x, get_ints(op.properties, "pads"), 0.0)
    divisors = avg_pool_divisors(op, buffer_shape(x)[2:], buffer_shape(y)[2:])
    if np.all(divisors == divisors.flat[0]):
        d = ctx.f32(float(divisors.flat[0]))  # one count everywhere: no table

        def finish(acc: SSAValue, oh: Index, ow: Index) -> SSAValue:
            return ctx.divf(acc, d)
    else:
        table = ctx.global_constant(divisors, "avg_pool_divisors")

        def finish(acc: SSAValue, oh: Index, ow: Index) -> SSAValue:
            return ctx.divf(acc, ctx.load(table, [oh, ow]))

    _window(ctx, op, xp, y, ctx.f32(0.0), "sum", finish)


def _global(
    ctx: LoweringContext,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
    mean: bool,
) -> None:
    """Reduce each (n, c) plane of the input (viewed N x C x S) in a register."""
    (x,) = operands
    assert x is not None
    y = results[0]
    shape = buffer_shape(x)
    n_n, c_n = shape[:2]
    s_n = math.prod(shape[2:])
    xv = ctx.view(x, (n_n, c_n, s_n))
    yv = ctx.view(y, (n_n, c_n, 1))

    def body(ivs: list[Index]) -> None:
        n, c = ivs
        init = ctx.f32(0.0) if mean else ctx.load(xv, [n, c, 0])

        def step(s: Index, carried: list[SSAValue]) -> list[SSAValue]:
            v = ctx.load(xv, [n, c, s])
            return [ctx.addf(carried[0], v) if mean else ctx.maxf(carried[0], v)]

        acc = ctx.reduce(s_n, [init], step, name="s")[0]
        if mean:
            acc = ctx.divf(acc, ctx.f32(float(s_n)))
        ctx.store(acc, yv, [n, c, 0])

    ctx.nest((n_n, c_n), body, names=("n", "c"))


def lower_global_avg_pool(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    _global(ctx, operands, results, mean=True)


def lower_global_max_pool(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    _global(ctx, operands, results, mean=False)


LOWERINGS: dict[type[Operation], Lowering] = {
    pool.MaxPoolOp: lower_max_pool,
    pool.AvgPoolOp: lower_avg_pool,
    pool.GlobalAvgPoolOp: lower_global_avg_pool,
    pool.GlobalMaxPoolOp: lower_global_max_pool,
}


# Halos (halo.py): the window pools store by index only; max pads with F32_LOWEST.
HALO_WRITERS: dict[type[Operation], HaloWriter] = dict.fromkeys(
    (pool.MaxPoolOp, pool.AvgPoolOp), always
)
PADDED_READERS: dict[type[Operation], PaddedReader] = {
    pool.MaxPoolOp: pads_with(F32_LOWEST),
    pool.AvgPoolOp: pads_with(0.0),
}
