"""nn.gemv_skip_zeros at loop level: per block of outputs, a sweep over the inputs that
adds x[k] * (the block's run of weights of input k) to the block's accumulators, then one
pass over the outputs for the bias and the fused activation. The inputs go in groups of
`group` (skip-zero-inputs' option: 8, or 1 from the x86 target on Intel hosts), skipped
when all are zero.

The accumulators live in a small buffer (blocks x B: 2 KB a block at B = 512), not in
registers: a block's 32 vectors of AVX-512 would not fit the 32 registers with the loaded
weights, and in L1 they cost a load and a store per FMA, far below what the weights' stream
from memory allows (docs/performance.md: 11.2 ms from L1 vs 12.5 ms in 16 registers over 256
outputs, VGG-16's first classifier layer on one thread). The blocks are independent
(parallelize splits them over threads). With `streams` > 1 (skip-zero-inputs' option) the
blocks go in lockstep, `streams` at a time: each input's runs of those blocks are read one
after the other, so the core reads that many weight streams at once, lying K x B floats
apart. One stream keeps fewer lines in flight than the memory can serve one core (on the
Xeon: VGG-16's first classifier layer 1.13x with 4 streams on one thread, 1.12x on two,
docs/performance.md); each output's sum keeps its order, so the results are bit for bit
those of one stream. The threads then split the groups of blocks. Why groups: a test per
input pays where zeros come in runs (the dead channels of a conv map, flattened: 49 inputs
each in VGG-16), but scattered zeros (the 50 % of a ReLU'd classifier layer) punch 2 KB
holes into the weight stream that the prefetcher does not step over: VGG-16's second
classifier layer (4096 x 4096, 50 % zeros at random) took 4.6 ms with a test per input, 3.6
with the N-major dot, 3.2 with groups of 8 on the AMD EPYC (docs/performance.md); the first
one 13.2, 21.4 and 14.3. An Intel Xeon's prefetchers do step over them: there a test per
input took 1.66 ms against 2.61 in groups. The predicate is `une`: a NaN input is not
skipped, so NaN propagates as in the gemm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, scf
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.rewriter import InsertPoint

from patcc.dialects.nn import linear
from patcc.dialects.nn.base import get_float, get_int

from .context import Index, Lowering, LoweringContext, buffer_shape
from .linear import plus_scaled_bias


def lower_gemv_skip_zeros(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    x, w, c = operands
    assert x is not None and w is not None
    y = results[0]
    blocks, k_n, width = buffer_shape(w)
    n_n, beta = get_int(op.properties, "n"), get_float(op.properties, "beta")
    group = get_int(op.properties, "group")
    streams = get_int(op.properties, "streams", 1)
    grouped = k_n - k_n % group
    vl = ctx.vector_length if width % ctx.vector_length == 0 else 1
    acc = ctx.alloc((blocks, width), name="acc")

    def vload(buf: SSAValue, idx: list[Index]) -> SSAValue:
        return ctx.vload(buf, idx, vl) if vl > 1 else ctx.load(buf, idx)

    def vstore(value: SSAValue, buf: SSAValue, idx: list[Index]) -> None:
        (ctx.vstore if vl > 1 else ctx.store)(value, buf, idx)

    def each_block(b0: Index, body: Callable[[Index], None]) -> None:
        """body(b) for the `streams` blocks b0, b0 + 1, ... of a group."""
        if streams == 1:
            body(b0)
        else:
            ctx.loop(streams, lambda s: body(ctx.lin(0, (1, b0), (1, s))), name="s")

    def block(b0: Index) -> None:
        zero = ctx.splat(0.0, vl) if vl > 1 else ctx.f32(0.0)

        def clear(b: Index) -> None:
            ctx.loop(width, lambda j: vstore(zero, acc, [b, j]), step=vl, name="j")

        each_block(b0, clear)

        def row(k: Index) -> None:
            xk = ctx.load(x, [0, k])
            xv = ctx.broadcast(xk, vl) if vl > 1 else xk

            def run(b: Index) -> None:
                def mac(j: Index) -> None:
                    vstore(ctx.fma(xv, vload(w, [b, k, j]), vload(acc, [b, j])), acc, [b, j])

                ctx.loop(width, mac, step=vl, name="j")

            each_block(b0, run)

        def inputs(k0: Index, size: int) -> None:
            """Inputs k0 .. k0 + size - 1, unless all are zero."""
            nonzero = [
                ctx.cmpf("une", ctx.load(x, [0, ctx.lin(r, (1, k0))]), ctx.f32(0.0))
                for r in range(size)
            ]
            cond = nonzero[0]
            for more in nonzero[1:]:
                cond = ctx.emit(arith.OrIOp(cond, more))
            guard = ctx.insert(scf.IfOp(cond, [], Region(Block())))
            with ctx.at(InsertPoint.at_end(guard.true_region.block)):
                ctx.loop(size, lambda r: row(ctx.lin(0, (1, k0), (1, r))), name="r")
                ctx.insert(scf.YieldOp())

        ctx.loop(grouped, lambda k0: inputs(k0, group), step=group, name="k")
        if grouped < k_n:
            inputs(grouped, k_n - grouped)

    ctx.loop(blocks, block, step=streams, name="b")
    flat = ctx.view(acc, (blocks * width,))

    def finish(n: Index) -> None:
        total = plus_scaled_bias(ctx, ctx.load(flat, [n]), c, beta, [0, n])
        ctx.store(ctx.apply_epilogue(op, total), y, [0, n])

    ctx.loop(n_n, finish, name="n")


LOWERINGS: dict[type[Operation], Lowering] = {linear.GemvSkipZerosOp: lower_gemv_skip_zeros}

EPILOGUE_PRODUCERS: set[type[Operation]] = {linear.GemvSkipZerosOp}
