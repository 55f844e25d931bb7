"""Convolutions at loop level: scf.for nests emitted directly (not linalg).

Why not linalg.conv_2d_nchw_fchw + convert-linalg-to-loops: that gives a scalar nest that
loads and stores the output on every MAC, with no padding (linalg convs take a padded input
but no bias, group or activation). The nest here is the shape the PatDNN code generator and
the later passes (tiling, unrolling, LRE) work on:

    padded = input with a zero border (once per layer, so the window loops never branch)
    for n, g, o0 in 0 .. O step 4 (then single filters):   # FILTER_TILE filters
        for oh:
            for ow0 in vector starts, 3 at a time:            # VECTOR_TILE vectors
                acc[f][v] = broadcast(bias[o0 + f])           # 12 accumulators (iter_args)
                for c in group, kh, kw:
                    x[v] = vector.load padded[n, c, oh*sh + kh*dh, ow0 + v*V + kw*dw]
                    acc[f][v] = fma(x[v], broadcast(w[o0 + f, c, kh, kw]), acc[f][v])
                vector.store act(acc[f][v]), y[n, o0 + f, oh, ow0 + v*V]
            (the last vector overlaps the one before it: `vector_cols`; a row of 3k + 1
             vectors ends in two tiles of 2: `pointwise.panel_widths`)
            for ow in 0 .. OW: scalar, the same sum, only when OW < V or stride_w > 1

Each output is still the same FMA chain, bias first, then (c, kh, kw) in order, so the
register tile changes no bit; it gives 12 independent chains and reuses each loaded input
vector for 4 filters (the single-accumulator nest was FMA-latency bound, ~6 GFLOP/s). A 1x1
conv with no pad is a GEMM over the flattened image (`pointwise.py`: packed pixel panels, so
7x7 and 14x14 images still fill vectors and the input streams from memory once; a strided one
first copies the pixels it reads into a contiguous buffer).

A conv with stride_w > 1 (ResNet's 7x7/2 stem) first splits the padded columns by phase
(`column_phases`), so that consecutive outputs of a tap read consecutive elements of one
phase, and runs the same tile with the kw loop unrolled (each tap its own phase). conv_transpose is scalar (scatter form).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import get_int, get_ints

from .context import Index, Lowering, LoweringContext, buffer_shape
from .halo import HaloWriter, PaddedReader, pads_with
from .phases import column_phases, pad_source, plain_input
from .pointwise import FILTER_TILE, VECTOR_TILE, lower_pointwise, panel_widths
from .vector_cols import vector_cols
from .wide_rows import wide_rows


def lower_conv2d(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    x, w, b = operands
    assert x is not None and w is not None
    y = results[0]
    p = op.properties
    sh, sw = get_ints(p, "strides")
    dh, dw = get_ints(p, "dilations")
    group = get_int(p, "group")
    o_total, ipg, kh_n, kw_n = buffer_shape(w)
    n_n, _, oh_n, ow_n = buffer_shape(y)
    opg = o_total // group
    pads = get_ints(p, "pads")
    vl = ctx.vector_length
    if _as_gemm((kh_n, kw_n), pads, vl):
        # a 1x1 conv is a GEMM over the flattened image: vectorise along H*W (a strided one
        # first gathers the pixels it reads into a contiguous buffer)
        if (sh, sw) != (1, 1):
            x = _subsampled(ctx, x, (sh, sw), (oh_n, ow_n))
            sh = sw = 1
        _, c_n, h_n, w_n = buffer_shape(x)
        if group == 1 and h_n * w_n >= vl:
            lower_pointwise(ctx, op, x, w, b, y)
            return
        x = ctx.view(x, (n_n, c_n, 1, h_n * w_n))
        y = ctx.view(y, (n_n, o_total, 1, oh_n * ow_n))
        oh_n, ow_n = 1, oh_n * ow_n
    source = pad_source(ctx, x, pads, 0.0)
    # rows narrower than a vector (7x7 images): run over the flattened padded image instead
    out = y
    row_coef, col_kh = dh, 0  # input row = oh*sh + kh*row_coef, column += kh*col_kh
    wide = wide_rows(ctx, source, y, (sh, sw), vl, min_span=vl)
    if wide is not None:
        y = wide.y
        row_coef, col_kh = 0, dh * wide.pitch
        _, _, oh_n, ow_n = buffer_shape(y)
    # stride_w > 1: the columns split by phase, so each tap reads consecutive elements
    xd = column_phases(ctx, source, sw) if sw > 1 and vl > 1 and ow_n >= vl else None
    cols = vector_cols(ow_n, vl, sw == 1 or xd is not None)
    xp = plain_input(ctx, source, wide.x if wide else None, xd, cols.scalar_lb < ow_n)

    def bias_of(o: Index) -> SSAValue:
        return ctx.load(b, [o]) if b is not None else ctx.f32(0.0)

    def vector_tile(
        n: Index, g: Index, os: Sequence[Index], oh: Index, ows: Sequence[Index]
    ) -> None:
        """len(os) x len(ows) accumulators: filters x output vectors at row oh."""
        init = [v for o in os for v in [ctx.broadcast(bias_of(o))] * len(ows)]

        def over_c(ci: Index, carried: list[SSAValue]) -> list[SSAValue]:
            c = ctx.lin(0, (ipg, g), (1, ci))

            def over_kh(kh: Index, carried: list[SSAValue]) -> list[SSAValue]:
                ih = ctx.lin(0, (sh, oh), (row_coef, kh))

                def over_kw(kw: Index, carried: list[SSAValue]) -> list[SSAValue]:
                    if xd is not None:  # column ow*sw + kw*dw = (ow + q)*sw + r
                        assert isinstance(kw, int)
                        q, r = divmod(kw * dw, sw)
                        xs = [ctx.vload(xd, [n, c, ih, r, ctx.lin(q, (1, ow))]) for ow in ows]
                    else:
                        xs = [
                            ctx.vload(xp, [n, c, ih, ctx.lin(0, (1, ow), (dw, kw), (col_kh, kh))])
                            for ow in ows
                        ]
                    out = list(carried)
                    for i, o in enumerate(os):
                        wt = ctx.broadcast(ctx.load(w, [o, ci, kh, kw]))
                        for v, xv in enumerate(xs):
                            k = i * len(ows) + v
                            out[k] = ctx.fma(xv, wt, out[k])
                    return out

                if xd is None:
                    return ctx.reduce(kw_n, carried, over_kw, name="kw")
                for kw in range(kw_n):  # unrolled: each tap has its own phase and shift
                    carried = over_kw(kw, carried)
                return carried

            return ctx.reduce(kh_n, carried, over_kh, name="kh")

        accs = ctx.reduce(ipg, init, over_c, name="c")
        for i, o in enumerate(os):
            for v, ow in enumerate(ows):
                acc = accs[i * len(ows) + v]
                ctx.vstore(ctx.apply_epilogue(op, acc), y, [n, o, oh, ow])

    def scalar_out(n: Index, g: Index, o: Index, oh: Index, ow: Index) -> None:
        def over_c(ci: Index, carried: list[SSAValue]) -> list[SSAValue]:
            c = ctx.lin(0, (ipg, g), (1, ci))

            def over_kh(kh: Index, carried: list[SSAValue]) -> list[SSAValue]:
                ih = ctx.lin(0, (sh, oh), (row_coef, kh))

                def over_kw(kw: Index, carried: list[SSAValue]) -> list[SSAValue]:
                    iw = ctx.lin(0, (sw, ow), (dw, kw), (col_kh, kh))
                    wt = ctx.load(w, [o, ci, kh, kw])
                    return [ctx.fma(ctx.load(xp, [n, c, ih, iw]), wt, carried[0])]

                return ctx.reduce(kw_n, carried, over_kw, name="kw")

            return ctx.reduce(kh_n, carried, over_kh, name="kh")

        acc = ctx.reduce(ipg, [bias_of(o)], over_c, name="c")[0]
        ctx.store(ctx.apply_epilogue(op, acc), y, [n, o, oh, ow])

    full, rest_widths = panel_widths(cols.vector_ub // vl)
    blocked = full * VECTOR_TILE

    def filters(n: Index, g: Index, o0: Index, count: int) -> None:
        """Output channels o0 .. o0 + count of group g, every row."""
        os = [ctx.lin(i, (opg, g), (1, o0)) for i in range(count)]

        def row(oh: Index) -> None:
            def block(vb: Index) -> None:
                starts = [ctx.lin(v * vl, (1, vb)) for v in range(VECTOR_TILE)]
                vector_tile(n, g, os, oh, [cols.start(ctx, s) for s in starts])

            ctx.loop(blocked * vl, block, step=VECTOR_TILE * vl, name="ow")
            v0 = blocked
            for width in rest_widths:  # 2 + 2 rather than a latency-bound tile of 1
                vector_tile(n, g, os, oh, [cols.start(ctx, v * vl) for v in range(v0, v0 + width)])
                v0 += width
            for o in os:
                ctx.loop(
                    ow_n,
                    lambda ow, o=o: scalar_out(n, g, o, oh, ow),
                    lb=cols.scalar_lb,
                    name="ow",
                )

        ctx.loop(oh_n, row, name="oh")

    tiled = opg - opg % FILTER_TILE

    def body(ivs: list[Index]) -> None:
        n, g = ivs
        ctx.loop(tiled, lambda o0: filters(n, g, o0, FILTER_TILE), step=FILTER_TILE, name="o")
        ctx.loop(opg, lambda o0: filters(n, g, o0, 1), lb=tiled, name="o")

    ctx.nest((n_n, group), body, names=("n", "g"))
    if wide is not None:  # the valid columns of the wide rows (the activation is applied)
        wide.crop(ctx, out)


def _subsampled(
    ctx: LoweringContext, x: SSAValue, strides: tuple[int, int], out_hw: tuple[int, int]
) -> SSAValue:
    """x[:, :, ::sh, ::sw] cut to the output size, as a fresh contiguous buffer: what a
    strided 1x1 conv reads (a quarter of the input for the ResNet shortcuts)."""
    n_n, c_n, _, _ = buffer_shape(x)
    sh, sw = strides
    out = ctx.alloc((n_n, c_n, *out_hw), name="strided")

    def body(ivs: list[Index]) -> None:
        n, c, i, j = ivs
        ctx.store(ctx.load(x, [n, c, ctx.lin(0, (sh, i)), ctx.lin(0, (sw, j))]), out, ivs)

    ctx.nest((n_n, c_n, *out_hw), body, names=("n", "c", "y", "x"))
    return out


def lower_conv_transpose(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """Scatter form, as the numpy reference: every input pixel adds its kernel-weighted
    copy into a zeroed full-size buffer at stride; then the pads crop it into the result
    (bias and any fused activation applied in that copy). Branch-free, scalar."""
    x, w, b = operands
    assert x is not None and w is not None
    y = results[0]
    p = op.properties
    sh, sw = get_ints(p, "strides")
    dh, dw = get_ints(p, "dilations")
    top, left, _, _ = get_ints(p, "pads")
    group = get_int(p, "group")
    n_n, c_n, h_n, w_n = buffer_shape(x)
    _, opg, kh_n, kw_n = buffer_shape(w)
    _, o_n, oh_n, ow_n = buffer_shape(y)
    cpg = c_n // group
    full_h = (h_n - 1) * sh + dh * (kh_n - 1) + 1 + get_ints(p, "output_padding")[0]
    full_w = (w_n - 1) * sw + dw * (kw_n - 1) + 1 + get_ints(p, "output_padding")[1]
    full = ctx.alloc((n_n, o_n, full_h, full_w), name="full")
    ctx.fill(full, 0.0)

    def scatter(ivs: list[Index]) -> None:
        n, g, ci, ih, iw = ivs
        c = ctx.lin(0, (cpg, g), (1, ci))
        xv = ctx.load(x, [n, c, ih, iw])

        def tap(taps: list[Index]) -> None:
            oo, kh, kw = taps
            o = ctx.lin(0, (opg, g), (1, oo))
            fy = ctx.lin(0, (sh, ih), (dh, kh))
            fx = ctx.lin(0, (sw, iw), (dw, kw))
            prod = ctx.mulf(xv, ctx.load(w, [c, oo, kh, kw]))
            ctx.store(ctx.addf(ctx.load(full, [n, o, fy, fx]), prod), full, [n, o, fy, fx])

        ctx.nest((opg, kh_n, kw_n), tap, names=("o", "kh", "kw"))

    ctx.nest((n_n, group, cpg, h_n, w_n), scatter, names=("n", "g", "c", "ih", "iw"))

    def crop(ivs: list[Index]) -> None:
        n, o, oy, ox = ivs
        v = ctx.load(full, [n, o, ctx.lin(top, (1, oy)), ctx.lin(left, (1, ox))])
        if b is not None:
            v = ctx.addf(v, ctx.load(b, [o]))
        ctx.store(ctx.apply_epilogue(op, v), y, ivs)

    ctx.nest((n_n, o_n, oh_n, ow_n), crop, names=("n", "o", "oh", "ow"))


LOWERINGS: dict[type[Operation], Lowering] = {
    conv.Conv2dOp: lower_conv2d,
    conv.ConvTransposeOp: lower_conv_transpose,
}

# Ops whose lowering applies ctx.apply_epilogue before its store (fusable activations).
EPILOGUE_PRODUCERS: set[type[Operation]] = {conv.Conv2dOp, conv.ConvTransposeOp}


def _as_gemm(kernel: tuple[int, int], pads: Sequence[int], vector_length: int) -> bool:
    """lower_conv2d's GEMM path: a 1x1 conv without pads, vectorised along H*W."""
    return vector_length > 1 and kernel == (1, 1) and not any(pads)


def _narrow_rows(ow_n: int, vector_length: int) -> bool:
    """Rows narrower than a vector: lower_conv2d may run them over the flat padded image."""
    return vector_length > 1 and ow_n < vector_length


def _writes_by_index(op: Operation, vector_length: int) -> bool:
    """Whether lower_conv2d writes `op`'s output only by indexed stores: not on its paths
    that reshape the output (1x1 as a GEMM, rows narrower than a vector)."""
    _, _, kh_n, kw_n = op.operands[1].type.get_shape()  # type: ignore[attr-defined]
    ow_n = op.results[0].type.get_shape()[3]  # type: ignore[attr-defined]
    pads = get_ints(op.properties, "pads")
    return not (_as_gemm((kh_n, kw_n), pads, vector_length) or _narrow_rows(ow_n, vector_length))


# Halos (halo.py): a conv writes into its consumer's padded buffer, and reads one.
HALO_WRITERS: dict[type[Operation], HaloWriter] = {conv.Conv2dOp: _writes_by_index}
PADDED_READERS: dict[type[Operation], PaddedReader] = {conv.Conv2dOp: pads_with(0.0)}
