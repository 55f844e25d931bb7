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

A column stride s > 1 reads the input split by column phase (`phases.column_phases`, as
the per-filter nest does): tap (kh, kw) of output row oh loads phase kw % s of padded row
oh * sh + kh at column ow0 + kw / s, consecutive elements again. ResNet-50's stride-2
pattern convs had run per filter at 35-39 % of the sgemm, each loaded vector feeding one
FMA; input-stationary they ran 1.47x faster (AMD EPYC, 1 thread, docs/performance.md
"Strided and 7x7 convs input-stationary").

Rows narrower than the pipeline's vector (ResNet-50's 7x7 layers and the 14x14 ones of
both models at 16 lanes) run as one wide row over the flattened padded image or its phase
planes (`wide_rows.py`): there a tile is some of the wide row's vectors instead of R rows of
one vector, and each tap is a constant shift of the flat output index. The row is split
into WIDE_GROUPS tiles, each its own slot, for the threads; each filter's wide row is then
stored from its tiles and cropped. The 7x7 layers had run the per-filter wide row at 37-42 %
of the sgemm: input-stationary 1.6-1.8x faster on one thread and on two; the 14x14 ones,
input-stationary in two overlapping 8-lane vectors a row before, 1.04-1.15x (MIN_LANES).

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
from .wide_rows import WideRows

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
    they gained 1.03-1.26x; the AMD EPYC (one a cycle) gained in both. Since filter blocks
    keep those tiles small (`filters_within`), no x86 host's rule sets a bound
    (`emit.INPUT_STATIONARY`)."""
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
    strides: tuple[int, int] = (1, 1),
    wide: WideRows | None = None,
) -> None:
    """The nest of the module docstring for an undilated conv whose rows hold at least a
    vector of `vl`: `xp` is its padded input (N, C, Hp, Wp), or with a column stride s > 1
    its padded input split by column phase (`phases.column_phases`: N, C, Hp, s, Wp / s), so
    that each tap still reads consecutive elements; `arrays` the kernels in
    `channel_major`'s order as (output channels, run starts, weights N x 4), `taps[p]` the
    (kh, kw) of pattern p's taps in weight order. With `wide`, `xp` and `y` are its planes
    and wide result (`wide_tiles`); no hints there (a tuned `pf` and `sr` do nothing): one
    channel's planes are a few lines."""
    from .pattern_conv import _activate

    filters, start, values = arrays
    sh, sw = strides
    n_n, o_n, oh_n, ow_n = buffer_shape(y)
    c_n = buffer_shape(xp)[1]
    n_patterns = (len(start) - 1) // c_n
    cols = vector_cols(ow_n, vl, True)
    assert cols.vector_ub > 0 and cols.scalar_lb >= ow_n, "rows of at least a vector"
    own = own_schedule(op)  # a tuned layer's knobs over the rules
    groups = 0
    if wide is not None:  # tiles of `rows_n` of the wide row's vectors instead of rows
        groups, rows_n = wide_tiles(ow_n, vl)
    else:
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
    hints = wide is None and (pf > 0 or (pf == 0 and ow_n >= HINT_VECTORS * vl))
    # one slot per row block (the index `parallelize` splits), each filter's R rows in one
    # run: an (oh, O, vl) slab per output row put the R vectors 4-32 KB apart, where the
    # cache sets alias (0.4-0.6x)
    slots = groups or -(-oh_n // rows_n)
    tile = ctx.alloc((slots, o_n, rows_n, vl), name="is_tile")

    def wide_start(g: Index, r: int) -> Index:
        """Where vector r of a wide row's tile g starts, kept inside the row (the last
        vector overlaps the one before it, as in `vector_cols`)."""
        if isinstance(g, int):
            return min((g * rows_n + r) * vl, ow_n - vl)
        first = ctx.lin(r * vl, (rows_n * vl, g))
        return ctx.emit(arith.MinSIOp(first, ctx.index(ow_n - vl)))

    def at(n: Index, c: Index, row0: Index, r: int, kh: int, kw: int, col: Index) -> list[Index]:
        """Where tap (kh, kw) of output row row0 + r, columns from `col`, reads `xp` (with
        `wide`: of the vector starting at `col`)."""
        if wide is not None:
            plane, shift = wide.tap(kh, kw)
            return [n, c, plane, ctx.lin(shift, (1, col))]
        row = ctx.lin(kh + r * sh, (sh, row0))
        if sw == 1:
            return [n, c, row, ctx.lin(kw, (1, col))]
        return [n, c, row, kw % sw, ctx.lin(kw // sw, (1, col))]

    def rows(n: Index, row0: Index, count: int) -> None:
        """Output rows row0 .. row0 + count (with `wide`: the wide row's tile row0)."""
        if wide is not None:
            slot = row0
        elif isinstance(row0, int):
            slot = row0 // rows_n
        else:
            slot = ctx.emit(arith.DivSIOp(ctx.index(row0), ctx.index(rows_n)))

        def column(ow_i: Index) -> None:
            if wide is None:
                ow0 = cols.start(ctx, ow_i)
                col = [ow0] * count
            else:
                col = [wide_start(row0, r) for r in range(count)]

            def init(o: Index) -> None:
                b = ctx.load(bias, [o]) if bias is not None else ctx.f32(0.0)
                vec = ctx.broadcast(b, vl)
                for r in range(count):
                    ctx.vstore(vec, tile, [slot, o, r, 0])

            def channel(fb: Index, c: Index) -> None:
                if hints:  # the next channel's rows (the last channel: its own again)
                    following = ctx.emit(arith.MinSIOp(ctx.lin(1, (1, c)), ctx.index(c_n - 1)))
                    # the first and last element of each input row its 3x3 taps read
                    last = (0, vl + 1) if sw == 1 else (sw - 1, vl - 1)  # (phase, column)
                    ends = ((0, col[0]), (last[0], ctx.lin(last[1], (1, col[0]))))
                    for r in range((count - 1) * sh + 3):
                        for kw, end in ends:
                            index = at(n, following, row0, 0, r, kw, end)
                            ctx.insert(PrefetchOp(xp, [ctx.index(i) for i in index]))
                for p, pattern_taps in taps.items():
                    pair = (n_patterns, c), (c_n * n_patterns, fb)
                    lo = ctx.load_index(begin, ctx.lin(p, *pair))
                    hi = ctx.load_index(begin, ctx.lin(p + 1, *pair))
                    xs = [
                        [ctx.vload(xp, at(n, c, row0, r, kh, kw, col[r]), vl) for r in range(count)]
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
                    value = _activate(ctx, op, ctx.vload(tile, [slot, o, r, 0], vl))
                    ctx.vstore(value, y, [n, o, ctx.lin(r, (1, row0)), col[r]])

            ctx.loop(o_n, init, name="o")
            ctx.loop(
                n_blocks,
                lambda fb: ctx.loop(c_n, lambda c: channel(fb, c), name="c"),
                name="fb",
            )
            if wide is None:
                ctx.loop(o_n, finish, name="o")

        if wide is None:
            ctx.loop(cols.vector_ub, column, step=vl, name="ow")
        else:
            column(0)

    def wide_finish(n: Index, o: Index) -> None:
        """A filter's wide row from its tiles, once per vector (a tile past the row's end
        repeats the last vector)."""
        done: set[int] = set()
        for g in range(groups):
            for r in range(rows_n):
                first = wide_start(g, r)
                assert isinstance(first, int)
                if first in done:
                    continue
                done.add(first)
                value = _activate(ctx, op, ctx.vload(tile, [g, o, r, 0], vl))
                ctx.vstore(value, y, [n, o, 0, first])

    def image(n: Index) -> None:
        if wide is not None:  # the tiles (what threads split), then the rows from them
            ctx.loop(groups, lambda g: rows(n, g, rows_n), name="g")
            ctx.loop(o_n, lambda o: wide_finish(n, o), name="o")
            return
        ctx.blocks(oh_n, rows_n, lambda row0, count: rows(n, row0, count), name="ohb")

    ctx.loop(n_n, image, name="n")


WIDE_GROUPS = 2
"""A wide row's vectors (`wide_rows.py`: ResNet-50's 7x7 layers, 4 vectors of 16) run as this
many tiles, each its own slot: the loop over the tiles is the one `parallelize` can split
(every kernel of the channel sweep adds to some filter's tile, so the sweep cannot be)."""


def wide_tiles(span: int, vl: int) -> tuple[int, int]:
    """(tiles, vectors per tile) of a wide row of `span` outputs at `vl` lanes: WIDE_GROUPS
    tiles (fewer on a shorter row) of equal size, a tile past the row's end repeating its
    last vector."""
    vectors = -(-span // vl)
    groups = min(WIDE_GROUPS, vectors)
    return groups, -(-vectors // groups)


MIN_LANES = 8
"""The narrowest row vector the nest takes. Rows narrower than the pipeline's vector run it
over the wide row instead (in vectors of 8 lanes or more), where one applies: 7-wide rows
in two 4-lane vectors had lost to the per-filter wide row (ResNet-50's 7x7 layers at 16
lanes: 0.71-0.74x), and 14-wide rows in two overlapping 8-lane vectors, which had beaten
it (VGG-16's 14x14 layers: 1.13-1.16x), ran 1.04-1.15x slower than the wide row's 16-lane
vectors (VGG-16 per kernel and pattern-only, ResNet-50; AMD EPYC, one thread and two)."""


def eligible(dilations: Sequence[int], vl: int, ow_n: int, group: int) -> bool:
    """Whether the nest applies: undilated (any stride: a column stride reads column
    phases), rows of at least a vector of MIN_LANES or more (no scalar column), and no
    shared FKR groups (those share their loads already)."""
    return tuple(dilations) == (1, 1) and vl >= MIN_LANES and ow_n >= vl and group == 1
