"""A 1x1 conv (stride 1, no pad, group 1) as a cache-blocked GEMM: Y[O x HW] = W[O x C] X[C x HW].

The general dense tile (`conv.py`) runs the filter tiles outermost, so every tile of 4
filters streams the whole [C x HW] input (3.2 MB at 56x56x256) from L3, its rows HW*4 bytes
apart (at 56x56 those rows fall on a quarter of the L1 sets). Here the pixels run outermost
in panels of one register tile's width, and each panel is first copied into a contiguous
[C x width] buffer (the GEMM's packed B panel, <= 24 KB at C = 256): every filter tile then
reads it sequentially from L1 (L2 for C > 256), and the input is read from memory once:

    for p0 in pixel panels (3 vectors; the row's last vectors overlap, as in `vector_cols`):
        panel[0, c, :] = x[n, c, p0 : p0 + width]                    # pack, once per panel
        for o0 in 0 .. O step 4:
            acc[f][v] = broadcast(bias[o0 + f])                       # 12 accumulators
            for c:
                acc[f][v] = fma(panel[0, c, v*V : (v+1)*V], broadcast(w[o0 + f, c]), acc[f][v])
            y[n, o0 + f, p0 + v*V] = act(acc[f][v])

When the weights overflow L2 (O x C x 4 bytes > 512 KB: the 7x7 and 14x14 stages), each
panel would stream them from L3; then a group of panels (packed side by side, <= 512 KB) shares
one pass: for each filter tile, every panel of the group in turn, so a tile's weights come from
L3 once per group. A 7x7 image (7 vectors: tiles of 3, 2 and 2) is one group.

Every output is still the same FMA chain (bias first, then c in order), so the results are
bit-identical to the general tile. A row of 3k + 1 vectors ends in two tiles of 2 vectors
(8 chains) instead of one of 1 (4 chains: FMA-latency bound).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation, SSAValue

from .context import Index, LoweringContext, buffer_shape, constant_index
from .vector_cols import vector_cols

FILTER_TILE = 4
"""Filters per register tile: each loaded panel vector feeds this many accumulators."""
VECTOR_TILE = 3
"""Vectors per register tile (and per packed panel): 4 x 3 = 12 accumulators, 3 loads and 4
broadcasts per 12 FMAs, within the 16 AVX2 registers."""


WEIGHT_L2_BYTES = 512 * 1024
"""Weights up to this size stay in the 1 MB L2 while the panels pass by."""
PANEL_GROUP_BYTES = 512 * 1024
"""The packed panels of one group (read from L2 by every filter tile) stay under this."""
MAX_GROUP = 8
"""At most this many panels per group (each adds one register tile's code to the loop)."""


def panel_widths(n_vec: int) -> tuple[int, list[int]]:
    """How a row of `n_vec` vectors splits into register tiles: (full tiles of VECTOR_TILE,
    widths of the tiles after them). A remainder of 1 borrows one vector of the last full
    tile, so no tile has fewer than 2 vectors unless the row has 1."""
    full, rest = divmod(n_vec, VECTOR_TILE)
    if rest == 1 and full:
        return full - 1, [2, 2]
    return full, [rest] if rest else []


def panels_per_group(c_n: int, o_n: int, vl: int) -> int:
    """How many panels share one pass over the filters. One, unless the weights overflow L2
    (then each panel would stream them from L3): then as many as fit PANEL_GROUP_BYTES, so
    each filter tile's weights come from L3 once per group and from L1 for the others."""
    if o_n * c_n * 4 <= WEIGHT_L2_BYTES:
        return 1
    return max(1, min(MAX_GROUP, PANEL_GROUP_BYTES // (c_n * VECTOR_TILE * vl * 4)))


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
    hw = h_n * w_n
    vl = ctx.vector_length
    xf = ctx.view(x, (n_n, c_n, hw))
    yf = ctx.view(y, (n_n, o_n, hw))
    wf = ctx.view(w, (o_n, c_n))
    cols = vector_cols(hw, vl, True)
    full, rest = panel_widths(cols.vector_ub // vl)
    group = panels_per_group(c_n, o_n, vl)
    # the full panels in scf.for groups of `group`; the others (static) form the last group
    looped = 0 if full + len(rest) <= group else full - full % group
    tail = [VECTOR_TILE] * (full - looped) + rest
    slots = max(group if looped else 0, len(tail))
    widest = VECTOR_TILE if full else max(rest)
    panel = ctx.alloc((slots, c_n, widest * vl), name="panel")

    def micro(n: Index, os: Sequence[Index], slot: int, starts: Sequence[Index]) -> None:
        """len(os) filters x len(starts) vectors over all channels, from panel `slot`."""
        bias = [ctx.broadcast(ctx.load(b, [o]) if b is not None else ctx.f32(0.0)) for o in os]

        def over_c(c: Index, carried: list[SSAValue]) -> list[SSAValue]:
            xs = [ctx.vload(panel, [slot, c, v * vl]) for v in range(len(starts))]
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

    def run_group(n: Index, tiles: Sequence[tuple[Index, int]]) -> None:
        """Pack the panels (pixel start, width in vectors) into slots 0, 1, ..., then every
        filter tile over each of them in turn."""
        starts = [
            [cols.start(ctx, constant_index(ctx.lin(v * vl, (1, p0)))) for v in range(width)]
            for p0, width in tiles
        ]

        def pack(c: Index) -> None:
            for slot, vectors in enumerate(starts):
                for v, start in enumerate(vectors):
                    ctx.vstore(ctx.vload(xf, [n, c, start]), panel, [slot, c, v * vl])

        ctx.loop(c_n, pack, name="c")

        def filters(os: Sequence[Index]) -> None:
            for slot, vectors in enumerate(starts):
                micro(n, os, slot, vectors)

        tiled = o_n - o_n % FILTER_TILE
        ctx.loop(
            tiled,
            lambda o0: filters([ctx.lin(f, (1, o0)) for f in range(FILTER_TILE)]),
            step=FILTER_TILE,
            name="o",
        )
        ctx.loop(o_n, lambda o: filters([o]), lb=tiled, name="o")

    def image(n: Index) -> None:
        step = VECTOR_TILE * vl

        def looped_group(g0: Index) -> None:
            run_group(n, [(ctx.lin(k * step, (1, g0)), VECTOR_TILE) for k in range(group)])

        ctx.loop(looped * step, looped_group, step=group * step, name="p")
        p0, tiles = looped * step, []
        for width in tail:
            tiles.append((p0, width))
            p0 += width * vl
        if tiles:
            run_group(n, tiles)

    ctx.loop(n_n, image, name="n")
