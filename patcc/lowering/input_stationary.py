"""A pattern conv input-stationary: each loaded input vector feeds every filter that uses it.

The per-filter nest (`pattern_conv.py`) keeps a filter's accumulators in registers and
streams its kernels, each from another input channel: ~18-30 new input lines from L2 per
64 FMAs, which holds it at about half of the sgemm. Here the loop is inside out. Per tile
of R output rows x one vector, the tiles of all filters live in a buffer (O x R vectors:
32 KB at O = 256, R = 2, 16 lanes); per input channel c and pattern p the pattern's 4 taps
x R rows are loaded once, and every filter that keeps a kernel of pattern p at channel c adds
its 4 FMAs per row to its tile, the weights read as one stream in (channel, pattern,
filter) order (docs/performance.md, "Input-stationary tiles"):

    tile[ohb, o, r] = broadcast(bias[o])                       # every filter
    for c in 0 .. C:
      for p in used patterns:                                   # Python-unrolled taps
        x[t][r] = vector.load padded[n, c, ohb + r + kh_t, ow0 + kw_t]
        for k in start[c*P + p] .. start[c*P + p + 1]:          # filters with that kernel
          o = filters[k]
          tile[ohb, o, r] = fma(x[3][r], w[k, 3], ... fma(x[0][r], w[k, 0], tile[...]))
    y[n, o, ohb + r, ow0] = act(tile[ohb, o, r])

The tile buffer is indexed by the row block (the loop `parallelize` splits), so threads
never share one. Each output sums its kernels in channel order, not the FKW pattern order
of the per-filter nest: equal within rounding, not bit for bit. It pays where many filters
share a (channel, pattern) pair; with few, the tile's load and store per kernel cost more
than the per-filter nest's lines (a replica at 128 -> 128 x 112x112, 8x: ~4 filters a
pair, no faster), so a layer takes it only at `min_kernels` kernels a used pair or more.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.ir import Operation, SSAValue

from patcc.dialects.pat.fkw import dense_i32

from .context import Index, LoweringContext, buffer_shape
from .vector_cols import vector_cols

ROWS = 2
"""Output rows per tile: 4 taps x 2 rows of input vectors in registers, and the tiles of
every filter (O x 2 vectors) 32 KB at O = 256 and 16 lanes. In the replica 2 and 4 rows
ran alike at 56x56 and 28x28; 4 rows were 1.1x faster pattern-only at 224x224 and 112x112
(64 and 128 channels: layers that stay per filter at 8x, below the threshold)."""


def channel_major(
    offset: np.ndarray, index: np.ndarray, stride: np.ndarray, reorder: np.ndarray, channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every kept kernel of the FKW arrays in (channel, pattern, output channel) order:
    (kernels in that order, as FKW kernel numbers; their output channels; start[c*P + p],
    where the kernels of channel c and pattern p begin, channels*P + 1 entries)."""
    n_filters, n_patterns = stride.shape[0], stride.shape[1] - 1
    kernel = np.arange(int(offset[-1]))
    pattern = np.empty_like(kernel)
    filt = np.empty_like(kernel)
    for j in range(n_filters):
        for p in range(n_patterns):
            lo, hi = offset[j] + stride[j, p], offset[j] + stride[j, p + 1]
            pattern[lo:hi], filt[lo:hi] = p, reorder[j]
    channel = np.asarray(index, dtype=np.int64)[kernel]
    order = np.lexsort((filt, pattern, channel))
    pairs = np.bincount(channel * n_patterns + pattern, minlength=channels * n_patterns)
    start = np.concatenate([[0], np.cumsum(pairs)])
    return kernel[order], filt[order], start


def kernels_per_pair(start: np.ndarray) -> float:
    """Mean kept kernels per (channel, pattern) pair that has any: filters per loaded tap."""
    counts = np.diff(start)
    used = counts[counts > 0]
    return float(used.mean()) if used.size else 0.0


def emit_input_stationary(
    ctx: LoweringContext,
    op: Operation,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    taps: dict[int, list[tuple[int, int]]],
    xp: SSAValue,
    bias: SSAValue | None,
    y: SSAValue,
    vl: int,
) -> None:
    """The nest of the module docstring for a stride-1, undilated conv whose rows hold at
    least a vector of `vl`: `xp` is its padded input, `arrays` the kernels in
    `channel_major`'s order as (output channels, run starts, weights N x 4), `taps[p]` the
    (kh, kw) of pattern p's taps in weight order."""
    from .pattern_conv import _activate

    filters, start, values = arrays
    n_n, o_n, oh_n, ow_n = buffer_shape(y)
    c_n = buffer_shape(xp)[1]
    n_patterns = (len(start) - 1) // c_n
    cols = vector_cols(ow_n, vl, True)
    assert cols.vector_ub > 0 and cols.scalar_lb >= ow_n, "rows of at least a vector"
    o_of = ctx.global_constant(dense_i32(filters), "is_filter")
    weight = ctx.global_constant(values, "is_weight")  # one stream, not a gather by kernel
    begin = ctx.global_constant(dense_i32(start), "is_start")
    tile = ctx.alloc((oh_n, o_n, ROWS, vl), name="is_tile")

    def rows(n: Index, row0: Index, count: int) -> None:
        def column(ow_i: Index) -> None:
            ow0 = cols.start(ctx, ow_i)

            def init(o: Index) -> None:
                b = ctx.load(bias, [o]) if bias is not None else ctx.f32(0.0)
                vec = ctx.broadcast(b, vl)
                for r in range(count):
                    ctx.vstore(vec, tile, [row0, o, r, 0])

            def channel(c: Index) -> None:
                for p, pattern_taps in taps.items():
                    lo = ctx.load_index(begin, ctx.lin(p, (n_patterns, c)))
                    hi = ctx.load_index(begin, ctx.lin(p + 1, (n_patterns, c)))
                    xs = [
                        [
                            ctx.vload(
                                xp, [n, c, ctx.lin(kh + r, (1, row0)), ctx.lin(kw, (1, ow0))], vl
                            )
                            for r in range(count)
                        ]
                        for kh, kw in pattern_taps
                    ]

                    def kernel(k: Index, xs: list[list[SSAValue]] = xs) -> None:
                        o = ctx.load_index(o_of, k)
                        ws = [ctx.broadcast(ctx.load(weight, [k, t]), vl) for t in range(4)]
                        for r in range(count):
                            acc = ctx.vload(tile, [row0, o, r, 0], vl)
                            for t, w in enumerate(ws):
                                acc = ctx.fma(xs[t][r], w, acc)
                            ctx.vstore(acc, tile, [row0, o, r, 0])

                    ctx.loop(hi, kernel, lb=lo, name="k")

            def finish(o: Index) -> None:
                for r in range(count):
                    acc = ctx.vload(tile, [row0, o, r, 0], vl)
                    ctx.vstore(_activate(ctx, op, acc), y, [n, o, ctx.lin(r, (1, row0)), ow0])

            ctx.loop(o_n, init, name="o")
            ctx.loop(c_n, channel, name="c")
            ctx.loop(o_n, finish, name="o")

        ctx.loop(cols.vector_ub, column, step=vl, name="ow")

    def image(n: Index) -> None:
        ctx.blocks(oh_n, ROWS, lambda row0, count: rows(n, row0, count), name="ohb")

    ctx.loop(n_n, image, name="n")


MIN_LANES = 8
"""The narrowest row vector the nest takes: 14-wide rows in two overlapping 8-lane vectors
beat the wide-row form (VGG-16's 14x14 layers at 16 lanes: 1.13-1.16x), 7-wide rows in two
of 4 lanes lose to it (ResNet-50's 7x7 layers: 0.71-0.74x)."""


def eligible(
    strides: Sequence[int], dilations: Sequence[int], vl: int, ow_n: int, group: int
) -> bool:
    """Whether the nest applies: stride 1, undilated, rows of at least a vector of
    MIN_LANES or more (no scalar column), and no shared FKR groups (those share their
    loads already)."""
    return (
        tuple(strides) == (1, 1)
        and tuple(dilations) == (1, 1)
        and vl >= MIN_LANES
        and ow_n >= vl
        and group == 1
    )
