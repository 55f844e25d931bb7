"""Convolutions at loop level: scf.for nests emitted directly (not linalg).

Why not linalg.conv_2d_nchw_fchw + convert-linalg-to-loops: that gives a scalar nest that
loads and stores the output on every MAC, with no padding (linalg convs take a padded input
but no bias, group or activation). The nest here is the shape the PatDNN code generator and
the later passes (tiling, unrolling, LRE) work on:

    padded = input with a zero border (once per layer, so the window loops never branch)
    for n, g, o in group, oh:
        for ow0 in 0 .. OW - OW % V step V:              # vectorised output width
            acc = broadcast(bias[o])                     # bias fused: the initial value
            for c in group, kh, kw:                      # iter_args: acc stays in registers
                acc = fma(vector.load padded[n, c, oh*sh + kh*dh, ow0 + kw*dw],
                          broadcast(w[o, c, kh, kw]), acc)
            vector.store act(acc), y[n, o, oh, ow0]      # activation fused into the store
        for ow in OW - OW % V .. OW:                     # scalar remainder, same body
            ...

The vector path needs unit stride along the width (consecutive outputs read consecutive
inputs); a conv with stride_w > 1 runs the scalar loop over the whole width (a
gather/deinterleave vector form is future work). conv_transpose is scalar (scatter form).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import conv
from patcc.dialects.nn.base import get_int, get_ints

from .context import Index, Lowering, LoweringContext, buffer_shape


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
    xp = ctx.padded(x, get_ints(p, "pads"), 0.0)
    vl = ctx.vector_length
    vec_end = ow_n - ow_n % vl if sw == 1 and vl > 1 else 0

    def row(n: Index, g: Index, o: Index, oh: Index) -> None:
        bias = ctx.load(b, [o]) if b is not None else ctx.f32(0.0)

        def accumulate(ow: Index, acc: SSAValue, vector: bool) -> SSAValue:
            def over_c(ci: Index, carried: list[SSAValue]) -> list[SSAValue]:
                c = ctx.lin(0, (ipg, g), (1, ci))

                def over_kh(kh: Index, carried: list[SSAValue]) -> list[SSAValue]:
                    ih = ctx.lin(0, (sh, oh), (dh, kh))

                    def over_kw(kw: Index, carried: list[SSAValue]) -> list[SSAValue]:
                        iw = ctx.lin(0, (sw, ow), (dw, kw))
                        wt = ctx.load(w, [o, ci, kh, kw])
                        if vector:
                            xv = ctx.vload(xp, [n, c, ih, iw])
                            return [ctx.fma(xv, ctx.broadcast(wt), carried[0])]
                        return [ctx.fma(ctx.load(xp, [n, c, ih, iw]), wt, carried[0])]

                    return ctx.reduce(kw_n, carried, over_kw, name="kw")

                return ctx.reduce(kh_n, carried, over_kh, name="kh")

            return ctx.reduce(ipg, [acc], over_c, name="c")[0]

        def vector_body(ow0: Index) -> None:
            acc = accumulate(ow0, ctx.broadcast(bias), True)
            ctx.vstore(ctx.apply_epilogue(op, acc), y, [n, o, oh, ow0])

        def scalar_body(ow: Index) -> None:
            acc = accumulate(ow, bias, False)
            ctx.store(ctx.apply_epilogue(op, acc), y, [n, o, oh, ow])

        ctx.loop(vec_end, vector_body, step=vl, name="ow")
        ctx.loop(ow_n, scalar_body, lb=vec_end, name="ow")

    def body(ivs: list[Index]) -> None:
        n, g, oo, oh = ivs
        o = ctx.lin(0, (opg, g), (1, oo))
        row(n, g, o, oh)

    ctx.nest((n_n, group, opg, oh_n), body, names=("n", "g", "o", "oh"))


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
