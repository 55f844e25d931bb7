"""A pattern conv input-stationary: each loaded input vector feeds every filter that uses it.

The per-filter nest (`pattern_conv.py`) keeps a filter's accumulators in registers and
streams its kernels, each from another input channel: ~18-30 new input lines from L2 per
64 FMAs, which holds it at about half of the sgemm. Here the loop is inside out. Per tile
of R output rows x one vector (`tile_rows`: 4 to 8), the tiles of all filters live in a
buffer slot of the row block (O x R vectors: 128 KB at O = 256, R = 8, 16 lanes); per input
channel c and pattern p the pattern's 4 taps x R rows are loaded once, and every filter that
keeps a kernel of pattern p at channel c adds its 4 FMAs per row to its tile, the weights
read as one stream in (channel, pattern, filter) order (docs/performance.md,
"Input-stationary tiles" and "Taller input-stationary tiles"):

    s = ohb / R                                                 # the block's slot
    tile[s, o, r] = broadcast(bias[o])                          # every filter
    for c in 0 .. C:
      for p in used patterns:                                   # Python-unrolled taps
        x[t][r] = vector.load padded[n, c, ohb + r + kh_t, ow0 + kw_t]
        for k in start[c*P + p] .. start[c*P + p + 1]:          # filters with that kernel
          o = filters[k]
          tile[s, o, r] = fma(x[3][r], w[k, 3], ... fma(x[0][r], w[k, 0], tile[s, o, r]))
    y[n, o, ohb + r, ow0] = act(tile[s, o, r])

Each row block (the loop `parallelize` splits) has its own slot, so threads never share
one. Each output sums its kernels in channel order, not the FKW pattern order of the
per-filter nest: equal within rounding, not bit for bit. It pays where filters share
(channel, pattern) pairs: a filter's tile costs a load and a store per row and kernel, its
4 broadcast weights serve all R rows, and the pair's input vectors serve every filter. With
tiles of 2 rows it lost to the per-filter nest at 4.5 kernels a pair; with 7-8 rows it wins
from 2.2 on the AMD EPYC, and on the Intel Xeon since the next channel's rows are
prefetched (`emit.INPUT_STATIONARY`: per vendor), so a layer takes it at `min_kernels`
kernels a used pair or more.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith
from xdsl.ir import Operation, SSAValue

from patcc.dialects.pat.fkw import dense_i32
from patcc.dialects.pat.prefetch import PrefetchOp

from .context import Index, LoweringContext, buffer_shape
from .layers import own_schedule
from .vector_cols import vector_cols

MAX_ROWS = 8
MIN_ROWS = 4
"""Output rows per tile, chosen per layer by `tile_rows`. Each filter's 4 broadcast weights
serve R rows, so its tile's load and store per kernel weigh less the taller the tile:
R = 2 held the 64- and 128-channel layers of the per-kernel VGG-16 (2.5 and 4.5 kernels a
pair) below the per-filter nest, R = 7-8 runs them 1.07-1.35x faster than it (AMD EPYC,
docs/performance.md "Taller input-stationary tiles"). Past 8 (16) the 56-wide layers lost."""


HINT_VECTORS = 4
"""Rows of at least this many vectors prefetch the next channel's input rows while a channel
runs. A wide row's lines lie far apart (904 B at 224 wide), one channel to the next 50-200
KB, so no hardware prefetcher follows them and each pattern's loads waited on L2: with the
hints VGG-16's 224- and 112-wide layers ran 1.09-1.39x faster on the AMD EPYC; its 56-wide
ones 1.02-1.03x on one thread and 0.96-0.99x on two, the 28- and 14-wide ones 0.93-1.02x
(docs/performance.md, "The next channel's rows")."""


def tile_rows(oh_n: int, most: int = MAX_ROWS) -> int:
    """Rows per tile for `oh_n` output rows, at most `most`: the most rows in MIN_ROWS..most
    (2..most when `most` is under MIN_ROWS) that divide them into an even number of blocks
    (row blocks are what the threads split: 7 blocks of 8 rows ran 0.75x on two threads
    against 8 of 7), else the most that divide them, else `most` with a shorter last
    block."""
    least = MIN_ROWS if most >= MIN_ROWS else 2
    fits = [r for r in range(most, least - 1, -1) if oh_n % r == 0]
    even = [r for r in fits if oh_n // r % 2 == 0]
    return (even or fits or [min(most, oh_n)])[0]


def rows_within(tile_bytes: int, filters_per_channel: float, vl: int) -> int:
    """The most rows (2 to MAX_ROWS) whose filter tiles, over the filters that one input
    channel's kernels feed, take at most `tile_bytes` (0: no bound, MAX_ROWS). On the Intel
    Xeon, whose two 512-bit FMAs a cycle outrun L2, pattern-only VGG-16's 256- and
    512-channel layers (every filter a channel: 114-229 KB of tiles at 7 rows) ran
    0.79-0.94x with 7 rows against 2, while per kernel (71-142 filters a channel: 32-64 KB)
    they gained 1.03-1.26x; the AMD EPYC (one a cycle) gained in both."""
    if tile_bytes <= 0:
        return MAX_ROWS
    fit = int(tile_bytes // (max(filters_per_channel, 1.0) * vl * 4))
    return max(2, min(MAX_ROWS, fit))


def filters_per_channel(start: np.ndarray, channels: int) -> float:
    """Mean kept kernels (one per filter) of the input channels that have any."""
    per_channel = np.diff(np.asarray(start)[:: (len(start) - 1) // channels])
    used = per_channel[per_channel > 0]
    return float(used.mean()) if used.size else 0.0


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


MIN_BLOCK_KERNELS = 6
"""Filter blocks only where a block's (channel, pattern) pairs keep this many kernels on
average: each block reloads the pairs' input vectors, which fewer kernels do not repay
(the per-kernel VGG-16's 256- and 512-channel layers in blocks of 2-3 kernels a pair ran
0.76-0.99x on the Intel Xeon)."""


def filter_blocks(
    filters: np.ndarray, start: np.ndarray, values: np.ndarray, block: int, outputs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`channel_major`'s (output channels, run starts, weights) regrouped by blocks of
    `block` of the `outputs` output channels: kernels in (block, channel, pattern, output
    channel) order, start[b * pairs + pair] for every block, kernels or not. Each output
    channel lies in one block, so its sum keeps its channel order: the outputs are those of
    one sweep, bit for bit."""
    pairs = len(start) - 1
    pair = np.repeat(np.arange(pairs), np.diff(start))
    fb = np.asarray(filters, dtype=np.int64) // block
    order = np.lexsort((pair, fb))  # stable: (channel, pattern, output channel) in a block
    counts = np.bincount(fb * pairs + pair, minlength=-(-outputs // block) * pairs)
    return (
        np.asarray(filters)[order],
        np.concatenate([[0], np.cumsum(counts)]),
        np.asarray(values)[order],
    )


def filters_within(block_bytes: int, rows: int, vl: int, filters: int) -> int:
    """The most filters whose tiles of `rows` x `vl` floats take at most `block_bytes`
    (0: no bound, all `filters`)."""
    if block_bytes <= 0:
        return filters
    return max(1, min(filters, block_bytes // (rows * vl * 4)))


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
    own = own_schedule(op)  # a tuned layer's knobs over the rules
    most = own.get("sr", 0) or rows_within(
        ctx.input_stationary_bytes, filters_per_channel(start, c_n), vl
    )
    rows_n = tile_rows(oh_n, most)
    # the channels swept once per block of filters whose tiles fit the bound, where the
    # block's pairs keep enough kernels to repay reloading their inputs
    block = filters_within(ctx.input_stationary_filter_bytes, rows_n, vl, o_n)
    if block < o_n:
        blocked = filter_blocks(filters, start, values, block, o_n)
        if kernels_per_pair(blocked[1]) >= MIN_BLOCK_KERNELS:
            filters, start, values = blocked
        else:
            block = o_n
    n_blocks = -(-o_n // block)
    o_of = ctx.global_constant(dense_i32(filters), "is_filter")
    weight = ctx.global_constant(values, "is_weight")  # one stream, not a gather by kernel
    begin = ctx.global_constant(dense_i32(start), "is_start")
    pf = own.get("pf", 0)  # hints: 1 always, -1 never
    hints = pf > 0 or (pf == 0 and ow_n >= HINT_VECTORS * vl)
    # one slot per row block (the index `parallelize` splits), each filter's R rows in one
    # run: an (oh, O, vl) slab per output row put the R vectors 4-32 KB apart, where the
    # cache sets alias (0.4-0.6x)
    tile = ctx.alloc((-(-oh_n // rows_n), o_n, rows_n, vl), name="is_tile")

    def rows(n: Index, row0: Index, count: int) -> None:
        slot = (
            row0 // rows_n
            if isinstance(row0, int)
            else ctx.emit(arith.DivSIOp(ctx.index(row0), ctx.index(rows_n)))
        )

        def column(ow_i: Index) -> None:
            ow0 = cols.start(ctx, ow_i)

            def init(o: Index) -> None:
                b = ctx.load(bias, [o]) if bias is not None else ctx.f32(0.0)
                vec = ctx.broadcast(b, vl)
                for r in range(count):
                    ctx.vstore(vec, tile, [slot, o, r, 0])

            def channel(fb: Index, c: Index) -> None:
                if hints:  # the next channel's rows (the last channel: its own again)
                    following = ctx.emit(arith.MinSIOp(ctx.lin(1, (1, c)), ctx.index(c_n - 1)))
                    ends = (ctx.index(ow0), ctx.lin(vl + 1, (1, ow0)))  # first and last column
                    for r in range(count + 2):  # the rows its 3x3 taps read
                        row = ctx.lin(r, (1, row0))
                        for col in ends:
                            ctx.insert(PrefetchOp(xp, [ctx.index(n), following, row, col]))
                for p, pattern_taps in taps.items():
                    pair = (n_patterns, c), (c_n * n_patterns, fb)
                    lo = ctx.load_index(begin, ctx.lin(p, *pair))
                    hi = ctx.load_index(begin, ctx.lin(p + 1, *pair))
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
                            acc = ctx.vload(tile, [slot, o, r, 0], vl)
                            for t, w in enumerate(ws):
                                acc = ctx.fma(xs[t][r], w, acc)
                            ctx.vstore(acc, tile, [slot, o, r, 0])

                    ctx.loop(hi, kernel, lb=lo, name="k")

            def finish(o: Index) -> None:
                for r in range(count):
                    acc = ctx.vload(tile, [slot, o, r, 0], vl)
                    ctx.vstore(_activate(ctx, op, acc), y, [n, o, ctx.lin(r, (1, row0)), ow0])

            ctx.loop(o_n, init, name="o")
            ctx.loop(
                n_blocks,
                lambda fb: ctx.loop(c_n, lambda c: channel(fb, c), name="c"),
                name="fb",
            )
            ctx.loop(o_n, finish, name="o")

        ctx.loop(cols.vector_ub, column, step=vl, name="ow")

    def image(n: Index) -> None:
        ctx.blocks(oh_n, rows_n, lambda row0, count: rows(n, row0, count), name="ohb")

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
