"""LSTM at loop level: scf.for nests emitted directly, scalar.

The time loop is sequential (an scf.for over steps; reverse direction reads t = seq-1-i).
Each step first computes all gate pre-activations of all batch rows into a scratch buffer
(x_t W^T + (Wb + Rb) + h R^T, each dot product reduced in a register), and only then
updates h and c in place: every gate of step t reads h from step t-1, so the update must not
start before the gates are done. Formulas as the numpy reference (patcc/semantics/rnn.py):
gate order i, o, f, c; sigmoid as 0.5 * (1 + tanh(x / 2)); `clip` on every pre-activation,
peephole term included; `input_forget` couples f = 1 - i.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects import math as mathd
from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import rnn
from patcc.dialects.nn.base import get_float, get_int, get_str

from .context import Index, Lowering, LoweringContext, buffer_shape


def _sigmoid(ctx: LoweringContext, v: SSAValue) -> SSAValue:
    half = ctx.f32(0.5)
    t = ctx.emit(mathd.TanhOp(ctx.mulf(half, v)))
    return ctx.mulf(half, ctx.addf(ctx.f32(1.0), t))


def _tanh(ctx: LoweringContext, v: SSAValue) -> SSAValue:
    return ctx.emit(mathd.TanhOp(v))


def lower_lstm(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    x, w, r, b, h0, c0, peep = operands
    assert x is not None and w is not None and r is not None
    y, y_h, y_c = results
    p = op.properties
    direction = get_str(p, "direction")
    clip = get_float(p, "clip", math.inf)
    input_forget = bool(get_int(p, "input_forget", 0))
    seq, batch, size = buffer_shape(x)
    dirs, four_h, _ = buffer_shape(w)
    hidden = four_h // 4

    def clipped(v: SSAValue) -> SSAValue:
        if math.isinf(clip):
            return v
        return ctx.minf(ctx.maxf(v, ctx.f32(-clip)), ctx.f32(clip))

    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        gates = ctx.alloc((batch, four_h), name="gates")
        h = ctx.alloc((batch, hidden), name="h")
        c = ctx.alloc((batch, hidden), name="c")

        def init(ivs: list[Index], d: int = d, h: SSAValue = h, c: SSAValue = c) -> None:
            bi, j = ivs
            for state, buf in ((h0, h), (c0, c)):
                v = ctx.load(state, [d, bi, j]) if state is not None else ctx.f32(0.0)
                ctx.store(v, buf, ivs)

        ctx.nest((batch, hidden), init, names=("b", "j"))

        def step(i: Index, d: int = d, reverse: bool = reverse, gates: SSAValue = gates,
                 h: SSAValue = h, c: SSAValue = c) -> None:  # fmt: skip
            t = ctx.lin(seq - 1, (-1, i)) if reverse else i

            def gate(ivs: list[Index]) -> None:
                bi, row = ivs

                def x_dot(s: Index, carried: list[SSAValue]) -> list[SSAValue]:
                    xv = ctx.load(x, [t, bi, s])
                    return [ctx.fma(xv, ctx.load(w, [d, row, s]), carried[0])]

                def h_dot(k: Index, carried: list[SSAValue]) -> list[SSAValue]:
                    hv = ctx.load(h, [bi, k])
                    return [ctx.fma(hv, ctx.load(r, [d, row, k]), carried[0])]

                acc = ctx.reduce(size, [ctx.f32(0.0)], x_dot, name="s")[0]
                if b is not None:
                    wb = ctx.load(b, [d, row])
                    rb = ctx.load(b, [d, ctx.lin(four_h, (1, row))])
                    acc = ctx.addf(acc, ctx.addf(wb, rb))
                acc = ctx.reduce(hidden, [acc], h_dot, name="k")[0]
                ctx.store(acc, gates, ivs)

            ctx.nest((batch, four_h), gate, names=("b", "row"))

            def update(ivs: list[Index]) -> None:
                bi, j = ivs

                def pre(k: int) -> SSAValue:
                    return ctx.load(gates, [bi, ctx.lin(k * hidden, (1, j))])

                def peephole(k: int, state: SSAValue, v: SSAValue) -> SSAValue:
                    if peep is None:
                        return v
                    pv = ctx.load(peep, [d, ctx.lin(k * hidden, (1, j))])
                    return ctx.addf(v, ctx.mulf(pv, state))

                c_old = ctx.load(c, ivs)
                ig = _sigmoid(ctx, clipped(peephole(0, c_old, pre(0))))
                if input_forget:
                    fg = ctx.subf(ctx.f32(1.0), ig)
                else:
                    fg = _sigmoid(ctx, clipped(peephole(2, c_old, pre(2))))
                c_new = ctx.addf(ctx.mulf(fg, c_old), ctx.mulf(ig, _tanh(ctx, clipped(pre(3)))))
                og = _sigmoid(ctx, clipped(peephole(1, c_new, pre(1))))
                h_new = ctx.mulf(og, _tanh(ctx, c_new))
                ctx.store(c_new, c, ivs)
                ctx.store(h_new, h, ivs)
                ctx.store(h_new, y, [t, d, bi, j])

            ctx.nest((batch, hidden), update, names=("b", "j"))

        ctx.loop(seq, step, name="step")

        def final(ivs: list[Index], d: int = d, h: SSAValue = h, c: SSAValue = c) -> None:
            ctx.store(ctx.load(h, ivs), y_h, [d, *ivs])
            ctx.store(ctx.load(c, ivs), y_c, [d, *ivs])

        ctx.nest((batch, hidden), final, names=("b", "j"))


LOWERINGS: dict[type[Operation], Lowering] = {rnn.LstmOp: lower_lstm}
