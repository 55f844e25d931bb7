"""Linear algebra and normalisations at loop level.

- gemm / matmul: scf.for nests with the k-reduction in an iter_args register and one store
  per output (alpha, beta * c and a fused activation applied before it); a Gemm with
  transB (torch's Linear) runs its dots in vectors along k instead. Not linalg.matmul:
  xDSL's convert-linalg-to-loops loads and stores the output on every MAC, and has no place
  for the epilogue.
- softmax / log_softmax / lrn: scf.for nests over views of the buffers (before x joint x
  after for softmax, N x C x rest for lrn); reductions in registers.
- batch_norm: one linalg.generic (per-channel operands are broadcast maps d -> d1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from xdsl.dialects import math as mathd
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from patcc.dialects.nn import linear
from patcc.dialects.nn.base import get_float, get_int, get_ints

from .context import Index, Lowering, LoweringContext, buffer_shape


def broadcast_index(shape: Sequence[int], ivs: Sequence[Index]) -> list[Index]:
    """Index into a numpy-broadcast operand of `shape` from the result's ivs."""
    offset = len(ivs) - len(shape)
    return [0 if size == 1 else ivs[offset + j] for j, size in enumerate(shape)]


def plus_scaled_bias(
    ctx: LoweringContext, acc: SSAValue, c: SSAValue | None, beta: float, ivs: Sequence[Index]
) -> SSAValue:
    """acc + beta * c at the result's `ivs` (c broadcast; acc itself without c or at beta 0)."""
    if c is None or beta == 0.0:
        return acc
    cv = ctx.load(c, broadcast_index(buffer_shape(c), ivs))
    if beta != 1.0:
        cv = ctx.mulf(cv, ctx.f32(beta))
    return ctx.addf(acc, cv)


def lower_gemm(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    a, b, c = operands
    assert a is not None and b is not None
    y = results[0]
    p = op.properties
    alpha, beta = get_float(p, "alpha"), get_float(p, "beta")
    trans_a, trans_b = get_int(p, "trans_a"), get_int(p, "trans_b")
    m_n, n_n = buffer_shape(y)
    k_n = buffer_shape(a)[0 if trans_a else 1]

    def finish(acc: SSAValue, ivs: list[Index]) -> None:
        """alpha, + beta * c, the fused activation, the store."""
        if alpha != 1.0:
            acc = ctx.mulf(acc, ctx.f32(alpha))
        acc = plus_scaled_bias(ctx, acc, c, beta, ivs)
        ctx.store(ctx.apply_epilogue(op, acc), y, ivs)

    if not trans_a and trans_b and ctx.vector_length > 1 and k_n >= ctx.vector_length:
        _gemm_rows_dot(ctx, a, b, (m_n, n_n, k_n), finish)
        return

    def body(ivs: list[Index]) -> None:
        m, n = ivs

        def mac(k: Index, carried: list[SSAValue]) -> list[SSAValue]:
            av = ctx.load(a, [k, m] if trans_a else [m, k])
            bv = ctx.load(b, [n, k] if trans_b else [k, n])
            return [ctx.fma(av, bv, carried[0])]

        finish(ctx.reduce(k_n, [ctx.f32(0.0)], mac, name="k")[0], ivs)

    ctx.nest((m_n, n_n), body, names=("m", "n"))


DOT_TILE = 4
"""Outputs per tile of the vector gemm: 4 lane accumulators share each loaded row of a."""


def _gemm_rows_dot(
    ctx: LoweringContext,
    a: SSAValue,
    b: SSAValue,
    sizes: tuple[int, int, int],
    finish: Callable[[SSAValue, list[Index]], None],
) -> None:
    """y[m, n] = a[m, :] . b[n, :] (Gemm with transB, torch's Linear): both rows are
    contiguous, so the dot runs along k in vectors: lane l sums the products k = l mod V,
    the lanes are added in order through a small buffer (the C targets have no horizontal
    add), then the k % V tail. The scalar nest was one FMA chain per output, latency bound
    (~1 GFLOP/s) where the layer should be bound by streaming the weights (VGG-16's first
    classifier layer reads 411 MB). The sum order differs from the scalar chain's; the
    result is equal within float rounding, as any BLAS's is."""
    m_n, n_n, k_n = sizes
    vl = ctx.vector_length
    k_vec = k_n - k_n % vl
    lanes = ctx.alloc((m_n, n_n, vl), name="lanes")

    def tile(m: Index, n0: Index, count: int) -> None:
        ns = [ctx.lin(i, (1, n0)) for i in range(count)]

        def mac(k: Index, carried: list[SSAValue]) -> list[SSAValue]:
            av = ctx.vload(a, [m, k])
            return [
                ctx.fma(av, ctx.vload(b, [n, k]), acc) for n, acc in zip(ns, carried, strict=True)
            ]

        accs = ctx.reduce(k_vec, [ctx.splat(0.0)] * count, mac, step=vl, name="k")
        for n, acc in zip(ns, accs, strict=True):
            ctx.vstore(acc, lanes, [m, n, 0])
            total = ctx.load(lanes, [m, n, 0])
            for lane in range(1, vl):
                total = ctx.addf(total, ctx.load(lanes, [m, n, lane]))

            def tail(k: Index, carried: list[SSAValue], n: Index = n) -> list[SSAValue]:
                return [ctx.fma(ctx.load(a, [m, k]), ctx.load(b, [n, k]), carried[0])]

            finish(ctx.reduce(k_n, [total], tail, lb=k_vec, name="k")[0], [m, n])

    tiled = n_n - n_n % DOT_TILE

    def row(m: Index) -> None:
        ctx.loop(tiled, lambda n0: tile(m, n0, DOT_TILE), step=DOT_TILE, name="n")
        ctx.loop(n_n, lambda n: tile(m, n, 1), lb=tiled, name="n")

    ctx.loop(m_n, row, name="m")


def lower_matmul(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """numpy matmul: batch axes broadcast; a 1-D operand has no m (lhs) or n (rhs) axis.
    With `skip_zero_lhs`, a term whose lhs value is zero is an `scf.if` that reads nothing
    of the rhs (a NaN lhs still multiplies: only `== 0` skips)."""
    a, b = operands
    assert a is not None and b is not None
    y = results[0]
    a_shape, b_shape, y_shape = buffer_shape(a), buffer_shape(b), buffer_shape(y)
    k_n = a_shape[-1]
    a_batch = a_shape[:-2] if len(a_shape) > 1 else ()
    b_batch = b_shape[:-2] if len(b_shape) > 1 else ()
    has_m, has_n = len(a_shape) > 1, len(b_shape) > 1
    nb = len(y_shape) - int(has_m) - int(has_n)
    skip = get_int(op.properties, "skip_zero_lhs", 0)

    def body(ivs: list[Index]) -> None:
        batch = ivs[:nb]
        m = ivs[nb] if has_m else None
        n = ivs[nb + int(has_m)] if has_n else None
        a_idx = broadcast_index(a_batch, batch) if a_batch else []
        b_idx = broadcast_index(b_batch, batch) if b_batch else []

        def mac(k: Index, carried: list[SSAValue]) -> list[SSAValue]:
            av = ctx.load(a, [*a_idx, m, k] if m is not None else [k])

            def term() -> SSAValue:
                bv = ctx.load(b, [*b_idx, k, n] if n is not None else [k])
                return ctx.fma(av, bv, carried[0])

            if not skip:
                return [term()]
            nonzero = ctx.cmpf("une", av, ctx.f32(0.0))
            return [ctx.if_else(nonzero, term, lambda: carried[0])]

        acc = ctx.reduce(k_n, [ctx.f32(0.0)], mac, name="k")[0]
        ctx.store(ctx.apply_epilogue(op, acc), y, ivs)

    ctx.nest(y_shape, body)


def _softmax(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
    log: bool,
) -> None:
    (x,) = operands
    assert x is not None
    shape = buffer_shape(x)
    axes = get_ints(op.properties, "axes")
    first, last = axes[0], axes[-1] + 1
    view = (math.prod(shape[:first]), math.prod(shape[first:last]), math.prod(shape[last:]))
    xv, yv = ctx.view(x, view), ctx.view(results[0], view)
    joint = view[1]

    def body(ivs: list[Index]) -> None:
        b, a = ivs

        def running_max(j: Index, carried: list[SSAValue]) -> list[SSAValue]:
            return [ctx.maxf(carried[0], ctx.load(xv, [b, j, a]))]

        top = ctx.reduce(joint, [ctx.load(xv, [b, 0, a])], running_max, name="j")[0]

        def shifted(j: Index) -> SSAValue:
            return ctx.subf(ctx.load(xv, [b, j, a]), top)

        def exp_sum(j: Index, carried: list[SSAValue]) -> list[SSAValue]:
            return [ctx.addf(carried[0], ctx.emit(mathd.ExpOp(shifted(j))))]

        total = ctx.reduce(joint, [ctx.f32(0.0)], exp_sum, name="j")[0]
        log_total = ctx.emit(mathd.LogOp(total)) if log else total

        def write(j: Index) -> None:
            if log:
                v = ctx.subf(shifted(j), log_total)
            else:
                v = ctx.divf(ctx.emit(mathd.ExpOp(shifted(j))), total)
            ctx.store(v, yv, [b, j, a])

        ctx.loop(joint, write, name="j")

    ctx.nest((view[0], view[2]), body, names=("b", "a"))


def lower_softmax(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    _softmax(ctx, op, operands, results, log=False)


def lower_log_softmax(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    _softmax(ctx, op, operands, results, log=True)


def lower_lrn(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """Squares into a channel-padded buffer, then a fixed `size`-tap window per channel
    (the reference's shifted adds): no bounds checks."""
    (x,) = operands
    assert x is not None
    p = op.properties
    size = get_int(p, "size")
    alpha, beta, bias = get_float(p, "alpha"), get_float(p, "beta"), get_float(p, "bias")
    shape = buffer_shape(x)
    n_n, c_n, s_n = shape[0], shape[1], math.prod(shape[2:])
    before = (size - 1) // 2
    xv, yv = ctx.view(x, (n_n, c_n, s_n)), ctx.view(results[0], (n_n, c_n, s_n))
    sq = ctx.alloc((n_n, c_n + size - 1, s_n), name="squares")
    ctx.fill(sq, 0.0)

    def square(ivs: list[Index]) -> None:
        n, c, s = ivs
        v = ctx.load(xv, ivs)
        ctx.store(ctx.mulf(v, v), sq, [n, ctx.lin(before, (1, c)), s])

    ctx.nest((n_n, c_n, s_n), square, names=("n", "c", "s"))

    def normalise(ivs: list[Index]) -> None:
        n, c, s = ivs

        def tap(t: Index, carried: list[SSAValue]) -> list[SSAValue]:
            return [ctx.addf(carried[0], ctx.load(sq, [n, ctx.lin(0, (1, c), (1, t)), s]))]

        total = ctx.reduce(size, [ctx.f32(0.0)], tap, name="t")[0]
        base = ctx.addf(ctx.f32(bias), ctx.mulf(ctx.f32(alpha / size), total))
        denom = ctx.emit(mathd.PowFOp(base, ctx.f32(beta)))
        ctx.store(ctx.divf(ctx.load(xv, ivs), denom), yv, ivs)

    ctx.nest((n_n, c_n, s_n), normalise, names=("n", "c", "s"))


def lower_batch_norm(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """linalg.generic: (x - mean) * (scale / sqrt(var + eps)) + bias, per channel (axis 1)."""
    x, scale, bias, mean, var = operands
    assert x is not None and scale is not None and bias is not None
    assert mean is not None and var is not None
    rank = len(buffer_shape(x))
    eps = get_float(op.properties, "epsilon")
    channel = AffineMap(rank, 0, (AffineDimExpr(1),))

    def body(v: list[SSAValue]) -> SSAValue:
        xe, s, b, m, va = v
        factor = ctx.divf(s, ctx.emit(mathd.SqrtOp(ctx.addf(va, ctx.f32(eps)))))
        return ctx.addf(ctx.mulf(ctx.subf(xe, m), factor), b)

    ctx.elementwise(
        [x, scale, bias, mean, var],
        results[0],
        body,
        [AffineMap.identity(rank), channel, channel, channel, channel],
    )


LOWERINGS: dict[type[Operation], Lowering] = {
    linear.GemmOp: lower_gemm,
    linear.MatMulOp: lower_matmul,
    linear.SoftmaxOp: lower_softmax,
    linear.LogSoftmaxOp: lower_log_softmax,
    linear.LrnOp: lower_lrn,
    linear.BatchNormOp: lower_batch_norm,
}

EPILOGUE_PRODUCERS: set[type[Operation]] = {linear.GemmOp, linear.MatMulOp}
