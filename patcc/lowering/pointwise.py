"""A 1x1 conv (stride 1, no pad, group 1) as a cache-blocked GEMM: Y[O x HW] = W[O x C] X[C x HW].

The general dense tile (`conv.py`) runs the filter tiles outermost, so every tile of 4
filters streams the whole [C x HW] input (3.2 MB at 56x56x256) from L3, its rows HW*4 bytes
apart (at 56x56 those rows fall on a quarter of the L1 sets). Here the pixels run outermost
in panels of one register tile's width, and each panel is first copied into a contiguous
[C x width] buffer (the GEMM's packed B panel, <= 24 KB at C = 256): every filter tile then
reads it sequentially from L1 (L2 for C > 256), and the input is read from memory once:

    for p0 in pixel panels (3 vectors; the row's last vectors overlap, as in `vector_cols`):
        panel[c, :] = x[n, c, p0 : p0 + width]                       # pack, once per panel
        for o0 in 0 .. O step 4:
            acc[f][v] = broadcast(bias[o0 + f])                       # 12 accumulators
            for c:
                acc[f][v] = fma(panel[c, v*V : (v+1)*V], broadcast(w[o0 + f, c]), acc[f][v])
            y[n, o0 + f, p0 + v*V] = act(acc[f][v])

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


def panel_widths(n_vec: int) -> tuple[int, list[int]]:
    """How a row of `n_vec` vectors splits into register tiles: (full tiles of VECTOR_TILE,
    widths of the tiles after them). A remainder of 1 borrows one vector of the last full
    tile, so no tile has fewer than 2 vectors unless the row has 1."""
    full, rest = divmod(n_vec, VECTOR_TILE)
    if rest == 1 and full:
        return full - 1, [2, 2]
    return full, [rest] if rest else []


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
    widest = VECTOR_TILE if full else max(rest)
    panel = ctx.alloc((c_n, widest * vl), name="panel")

    def micro(n: Index, os: Sequence[Index], starts: Sequence[Index]) -> None:
        """len(os) filters x len(starts) vectors over all channels, from the panel."""
        bias = [ctx.broadcast(ctx.load(b, [o]) if b is not None else ctx.f32(0.0)) for o in os]

        def over_c(c: Index, carried: list[SSAValue]) -> list[SSAValue]:
            xs = [ctx.vload(panel, [c, v * vl]) for v in range(len(starts))]
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

    def tile(n: Index, p0: Index, width: int) -> None:
        """Pack the panel of `width` vectors at pixel p0, then every filter over it."""
        starts = [cols.start(ctx, constant_index(ctx.lin(v * vl, (1, p0)))) for v in range(width)]

        def pack(c: Index) -> None:
            for v, start in enumerate(starts):
                ctx.vstore(ctx.vload(xf, [n, c, start]), panel, [c, v * vl])

        ctx.loop(c_n, pack, name="c")
        tiled = o_n - o_n % FILTER_TILE
        ctx.loop(
            tiled,
            lambda o0: micro(n, [ctx.lin(f, (1, o0)) for f in range(FILTER_TILE)], starts),
            step=FILTER_TILE,
            name="o",
        )
        ctx.loop(o_n, lambda o: micro(n, [o], starts), lb=tiled, name="o")

    def image(n: Index) -> None:
        step = VECTOR_TILE * vl
        ctx.loop(full * step, lambda p0: tile(n, p0, VECTOR_TILE), step=step, name="p")
        p0 = full * step
        for width in rest:
            tile(n, p0, width)
            p0 += width * vl

    ctx.loop(n_n, image, name="n")
