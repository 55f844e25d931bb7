"""A 1x1 conv (stride 1, no pad, group 1) as a cache-blocked GEMM: Y[O x HW] = W[O x C] X[C x HW].

The general dense tile (`conv.py`) runs the filter tiles outermost, so every tile of 4
filters streams the whole [C x HW] input (3.2 MB at 56x56x256) from L3, its rows HW*4 bytes
apart (at 56x56 those rows fall on a quarter of the L1 sets). Here the input is first packed
into panels, one per register tile of pixels, each a contiguous [C x 3V] block (the GEMM's
packed B; <= 24 KB at C = 256), and the filters run in blocks whose weights stay in L2:

    packed[t, c, :] = x[n, c, 24t : 24t + 24]             # pixel panels of 3 vectors (V = 8)
    for o0 in 0 .. O step OB:                              # OB x C weights <= 256 KB
        for t in panels:
            for o in o0 .. o0 + OB step 4:                 # the panel stays in L1 (C <= 256)
                acc[f][v] = broadcast(bias[o + f])         # 12 accumulators
                for c:
                    acc[f][v] = fma(packed[t, c, 8v : 8v + 8], broadcast(w[o + f, c]), acc[f][v])
                y[n, o + f, 24t + 8v] = act(acc[f][v])

The row's last vectors overlap (as in `vector_cols`), and a row of 3k + 1 vectors ends in two
panels of 2 vectors (8 FMA chains) rather than one of 1 (4 chains: FMA-latency bound); those
last panels are static code after the loop over the others. Both the packing loop and the
filter-block loop (the panel loop when there is one block) write disjoint memory per
iteration, so `parallelize` marks them, one OpenMP region each per layer: a region per
panel costs ~0.3 us even on 1 thread, 20 % of a 56x56 64->64 conv.

Every output is still the same FMA chain (bias first, then c in order), so the results are
bit-identical to the general tile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.ir import Operation, SSAValue

from .context import Index, LoweringContext, buffer_shape
from .vector_cols import vector_cols

FILTER_TILE = 4
"""Filters per register tile: each loaded panel vector feeds this many accumulators."""
VECTOR_TILE = 3
"""Vectors per register tile (and per packed panel): 4 x 3 = 12 accumulators, 3 loads and 4
broadcasts per 12 FMAs, within the 16 AVX2 registers."""


SMALL_IMAGE_TILE: tuple[int, int] = (6, 4)
"""(filters, vectors) at 16 lanes or more for an image of at most 4 vectors (ResNet's 7x7):
one panel of 24 FMA chains, where 4 x 3 splits it into two 2-vector tiles of 8 chains each
(FMA-latency bound). 24 accumulators fit AVX-512's 32 registers. Measured on ResNet-50's
7x7 1x1 convs: 5-10 % faster; at 14x14 and larger no tile beat 4 x 3 (docs/performance.md)."""


PANEL_L1_BYTES = 32 * 1024
"""A packed panel ([C x 3V] floats) larger than this streams from L2 for every tile of
filters that reads it: `gemm_tile`'s wider filter tile (the lowering's `gemm_filters`)
halves those passes. Smaller panels stay in L1, where the wider tile measured no gain."""


def gemm_tile(
    vector_length: int, pixels: int, filters: int = 0, channels: int = 0
) -> tuple[int, int]:
    """(filters, vectors) per register tile of a GEMM over `pixels` pixels and `channels`
    input channels: SMALL_IMAGE_TILE when the ISA has 32 vector registers (16 lanes) and
    the image fits one such panel, else FILTER_TILE (within 16 AVX2 registers) x
    VECTOR_TILE, or `filters` x VECTOR_TILE where given and the panel outgrows
    PANEL_L1_BYTES."""
    small_filters, vectors = SMALL_IMAGE_TILE
    if vector_length >= 16 and pixels <= vectors * vector_length:
        return small_filters, vectors
    if filters and channels * VECTOR_TILE * vector_length * 4 > PANEL_L1_BYTES:
        return filters, VECTOR_TILE
    return FILTER_TILE, VECTOR_TILE


WEIGHT_BLOCK_BYTES = 256 * 1024
"""A block of filters' weights (OB x C floats) stays under this, in the 1 MB L2 beside the
panels streaming past, however large O x C is (4 MB in ResNet-50's last stage)."""


def panel_widths(n_vec: int, tile: int = VECTOR_TILE) -> tuple[int, list[int]]:
    """How a row of `n_vec` vectors splits into register tiles: (full tiles of `tile`
    vectors, widths of the tiles after them). A remainder of 1 borrows one vector of the
    last full tile, so no tile has fewer than 2 vectors unless the row has 1."""
    full, rest = divmod(n_vec, tile)
    if rest == 1 and full:
        return full - 1, [(tile + 2) // 2, (tile + 1) // 2]
    return full, [rest] if rest else []


def filter_block(o_n: int, c_n: int, tile: int = FILTER_TILE) -> int:
    """Filters per block (OB): the largest multiple of `tile` (filters per register tile)
    that divides O's full tiles and keeps OB x C weights within WEIGHT_BLOCK_BYTES (at
    least one tile)."""
    tiled = o_n - o_n % tile
    limit = max(tile, WEIGHT_BLOCK_BYTES // (4 * c_n))
    return max(
        (ob for ob in range(tile, tiled + 1, tile) if tiled % ob == 0 and ob <= limit),
        default=tile,
    )


def lower_pointwise(
    ctx: LoweringContext,
    op: Operation,
    x: SSAValue,
    w: SSAValue,
    b: SSAValue | None,
    y: SSAValue,
) -> None:
    """x: N x C x H x W, w: O x C x 1 x 1, y: N x O x H x W with H*W >= the vector length."""
    n_n, c_n, h_n, w_n = buffer_shape(x)
    o_n = buffer_shape(w)[0]
    vl = ctx.vector_length
    ft, vt = gemm_tile(vl, h_n * w_n, ctx.gemm_filters, c_n)
    xf = ctx.view(x, (n_n, c_n, h_n * w_n))
    yf = ctx.view(y, (n_n, o_n, h_n * w_n))
    wf = ctx.view(w, (o_n, c_n))
    cols = vector_cols(h_n * w_n, vl, True)
    looped, tail = panel_widths(cols.vector_ub // vl, vt)
    if not tail and cols.last is not None:  # the clamped last vector: static code
        looped, tail = looped - 1, [vt]
    step = vt * vl  # pixels per looped panel
    width = (vt if looped else max(tail)) * vl  # floats per panel row
    n_panels = looped + len(tail)
    packed = ctx.alloc((n_panels, c_n, width), name="panel")
    flat = ctx.view(packed, (n_panels * c_n * width,))
    # the static panels: (slot, vector starts), after the looped ones
    statics: list[tuple[int, list[Index]]] = []
    v0 = looped * vt
    for k, count in enumerate(tail):
        statics.append((looped + k, [cols.start(ctx, (v0 + v) * vl) for v in range(count)]))
        v0 += count

    def micro(n: Index, os: Sequence[Index], base: Index, starts: Sequence[Index]) -> None:
        """len(os) filters x len(starts) vectors over all channels, from the panel at
        flat offset `base`."""
        bias = [ctx.broadcast(ctx.load(b, [o]) if b is not None else ctx.f32(0.0)) for o in os]

        def over_c(c: Index, carried: list[SSAValue]) -> list[SSAValue]:
            row = ctx.lin(0, (width, c), (1, base))
            xs = [ctx.vload(flat, [ctx.lin(v * vl, (1, row))]) for v in range(len(starts))]
            out = list(carried)
            for i, o in enumerate(os):
                wt = ctx.broadcast(ctx.load(wf, [o, c]))
                for v, xv in enumerate(xs):
                    out[i * len(xs) + v] = ctx.fma(xv, wt, out[i * len(xs) + v])
            return out

        accs = ctx.reduce(c_n, [acc for acc in bias for _ in starts], over_c, name="c")
        for i, o in enumerate(os):
            for v, start in enumerate(starts):
                ctx.vstore(ctx.apply_epilogue(op, accs[i * len(starts) + v]), yf, [n, o, start])

    def pack(n: Index) -> None:
        def looped_panel(t: Index) -> None:
            def row(c: Index) -> None:
                for v in range(vt):
                    xv = ctx.vload(xf, [n, c, ctx.lin(v * vl, (step, t))])
                    ctx.vstore(xv, packed, [t, c, v * vl])

            ctx.loop(c_n, row, name="c")

        ctx.loop(looped, looped_panel, name="t")

        def static_rows(c: Index) -> None:
            for slot, starts in statics:
                for v, start in enumerate(starts):
                    ctx.vstore(ctx.vload(xf, [n, c, start]), packed, [slot, c, v * vl])

        if statics:
            ctx.loop(c_n, static_rows, name="c")

    def panels(n: Index, tile_filters: Callable[[Index, Index, Sequence[Index]], None]) -> None:
        """tile_filters(panel base, vector starts) over every panel: the looped ones (the
        loop index is the first pixel), then the static ones."""

        def looped_panel(p: Index) -> None:
            starts = [ctx.lin(v * vl, (1, p)) for v in range(vt)]
            tile_filters(n, ctx.lin(0, (c_n, p)), starts)

        ctx.loop(looped * step, looped_panel, step=step, name="p")
        for slot, starts in statics:
            tile_filters(n, slot * c_n * width, starts)

    tiled = o_n - o_n % ft
    ob = filter_block(o_n, c_n, ft)

    def block(n: Index, o0: Index) -> None:
        def tile_filters(n: Index, base: Index, starts: Sequence[Index]) -> None:
            ctx.loop(
                ob,
                lambda oi: micro(
                    n, [ctx.lin(f, (1, o0), (1, oi)) for f in range(ft)], base, starts
                ),
                step=ft,
                name="o",
            )

        panels(n, tile_filters)

    def image(n: Index) -> None:
        pack(n)
        ctx.loop(tiled, lambda o0: block(n, o0), step=ob, name="ob")
        if tiled < o_n:  # the last O % 4 filters, one at a time
            panels(
                n,
                lambda n, base, starts: ctx.loop(
                    o_n, lambda o: micro(n, [o], base, starts), lb=tiled, name="o"
                ),
            )

    ctx.loop(n_n, image, name="n")
