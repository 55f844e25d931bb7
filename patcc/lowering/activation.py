"""Activations at loop level.

Each activation has one emitter, `(ctx, op, value) -> value`, built only from arith/math
ops that work on an f32 scalar and on a vector<N x f32> alike. The same emitter is the body
of the op's own `linalg.generic` (an activation alone is a pure elementwise map, which is
what linalg expresses best, and xDSL's convert-linalg-to-loops writes the loop nest) and
the fused epilogue of a conv/gemm store (scalar or vector accumulator), so a fused and an
unfused activation cannot compute different things.

The formulas follow the numpy reference (patcc/semantics/activation.py) op for op: the
NaN-propagating max/min of np.maximum/np.minimum, select for np.where, the overflow-safe
softplus max(x, 0) + log1p(exp(-|x|)) of np.logaddexp.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from xdsl.dialects import math as mathd
from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import activation as act
from patcc.dialects.nn.base import get_float

from .context import Lowering, LoweringContext

Emitter = Callable[[LoweringContext, Operation, SSAValue], SSAValue]


def _sigmoid(ctx: LoweringContext, v: SSAValue) -> SSAValue:
    one = ctx.const_like(v, 1.0)
    e = ctx.emit(mathd.ExpOp(ctx.subf(ctx.const_like(v, 0.0), v)))
    return ctx.divf(one, ctx.addf(one, e))


def _clamp(ctx: LoweringContext, v: SSAValue, lo: float, hi: float) -> SSAValue:
    if lo != -math.inf:
        v = ctx.maxf(v, ctx.const_like(v, lo))
    if hi != math.inf:
        v = ctx.minf(v, ctx.const_like(v, hi))
    return v


def _hard_sigmoid(ctx: LoweringContext, v: SSAValue, alpha: float, beta: float) -> SSAValue:
    y = ctx.addf(ctx.mulf(v, ctx.const_like(v, alpha)), ctx.const_like(v, beta))
    return _clamp(ctx, y, 0.0, 1.0)


def relu(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    return ctx.maxf(v, ctx.const_like(v, 0.0))


def leaky_relu(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    alpha = get_float(op.properties, "alpha")
    neg = ctx.mulf(v, ctx.const_like(v, alpha))
    return ctx.select(ctx.cmpf("oge", v, ctx.const_like(v, 0.0)), v, neg)


def clip(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    p = op.properties
    # min(max(x, lo), hi) even when lo > hi (ONNX: the result is hi), like the reference
    return _clamp(ctx, v, get_float(p, "min", -math.inf), get_float(p, "max", math.inf))


def sigmoid(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    return _sigmoid(ctx, v)


def tanh(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    return ctx.emit(mathd.TanhOp(v))


def hard_sigmoid(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    p = op.properties
    return _hard_sigmoid(ctx, v, get_float(p, "alpha"), get_float(p, "beta"))


def hard_swish(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    return ctx.mulf(v, _hard_sigmoid(ctx, v, 1.0 / 6.0, 0.5))


def silu(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    return ctx.mulf(v, _sigmoid(ctx, v))


def elu(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    alpha = get_float(op.properties, "alpha")
    zero = ctx.const_like(v, 0.0)
    em1 = ctx.emit(mathd.ExpM1Op(ctx.minf(v, zero)))
    neg = ctx.mulf(ctx.const_like(v, alpha), em1)
    return ctx.select(ctx.cmpf("ogt", v, zero), v, neg)


def softplus(ctx: LoweringContext, op: Operation, v: SSAValue) -> SSAValue:
    zero = ctx.const_like(v, 0.0)
    neg_abs = ctx.subf(zero, ctx.emit(mathd.AbsFOp(v)))
    tail = ctx.emit(mathd.Log1pOp(ctx.emit(mathd.ExpOp(neg_abs))))
    return ctx.addf(ctx.maxf(v, zero), tail)


# Unary activations: one f32 in, one out. These are also what the pass may fuse into the
# store of a producer (see registry.EPILOGUE_PRODUCERS).
EMITTERS: dict[type[Operation], Emitter] = {
    act.ReluOp: relu,
    act.LeakyReluOp: leaky_relu,
    act.ClipOp: clip,
    act.SigmoidOp: sigmoid,
    act.TanhOp: tanh,
    act.HardSigmoidOp: hard_sigmoid,
    act.HardSwishOp: hard_swish,
    act.SiluOp: silu,
    act.EluOp: elu,
    act.SoftplusOp: softplus,
}


def emit_activation(ctx: LoweringContext, op: Operation, value: SSAValue) -> SSAValue:
    """`op` (a unary activation) applied to a scalar or vector value."""
    return EMITTERS[type(op)](ctx, op, value)


def lower_unary(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """linalg.generic, identity maps, the emitter as body."""
    (x,) = operands
    assert x is not None
    ctx.elementwise([x], results[0], lambda a: emit_activation(ctx, op, a[0]))


def lower_prelu(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """linalg.generic; the slope operand broadcasts (unidirectionally) through its map."""
    x, slope = operands
    assert x is not None and slope is not None

    def body(a: list[SSAValue]) -> SSAValue:
        v, s = a
        return ctx.select(ctx.cmpf("oge", v, ctx.f32(0.0)), v, ctx.mulf(v, s))

    ctx.elementwise([x, slope], results[0], body)


LOWERINGS: dict[type[Operation], Lowering] = {
    **{op_type: lower_unary for op_type in EMITTERS},
    act.PReluOp: lower_prelu,
}
