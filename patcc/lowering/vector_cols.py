"""How a conv nest covers its output width with vectors: the last vector overlaps instead of
a scalar remainder.

A row of OW outputs, OW >= V, not a multiple of V, is covered by ceil(OW / V) vector starts
0, V, 2V, ... with the last one clamped to OW - V: it recomputes a few outputs the vector
before it already stored, with the same taps in the same order, so it stores the same bits
again. A scalar remainder costs a latency-bound FMA chain per output element and dominated
the 14x14 and 28x28 layers (6 of 14 columns scalar: ~90 % of the time); an overlapping
vector costs one more vector body. Rows narrower than V keep the scalar loop.

A conv with stride_w > 1 reads its padded input through `column_phases`: the columns split
by phase (column q*s + r at [r, q]), so the outputs of one tap read consecutive elements of
one phase and run in vectors too.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith
from xdsl.ir import SSAValue

from .context import Index, LoweringContext, buffer_shape


@dataclass(frozen=True)
class VectorCols:
    """`vector_ub`: the bound of the vector loop (step V) over the unclamped starts;
    `scalar_lb`: where the scalar loop starts (OW when vectors cover the whole row);
    `last`: the clamp of the starts (OW - V), or None when V divides OW."""

    vector_ub: int
    scalar_lb: int
    last: int | None

    def start(self, ctx: LoweringContext, ow: Index) -> Index:
        """The clamped start of the vector at unclamped start `ow`."""
        if self.last is None:
            return ow
        if isinstance(ow, int):
            return min(ow, self.last)
        return ctx.emit(arith.MinSIOp(ow, ctx.index(self.last)))


def vector_cols(ow_n: int, vl: int, unit_stride: bool) -> VectorCols:
    """The vector/scalar split of a row of `ow_n` outputs at vector length `vl`."""
    if not unit_stride or vl <= 1 or ow_n < vl:
        return VectorCols(0, 0, None)
    n_vec = -(-ow_n // vl)
    return VectorCols(n_vec * vl, ow_n, None if ow_n % vl == 0 else ow_n - vl)


def column_phases(ctx: LoweringContext, xp: SSAValue, stride: int) -> SSAValue:
    """xd[n, c, h, r, q] = xp[n, c, h, q*stride + r]: the padded columns by phase r, so a
    strided conv's tap reads one phase at consecutive q (entries past the row stay unset and
    are never read)."""
    n_n, c_n, h_n, w_n = buffer_shape(xp)
    out = ctx.alloc((n_n, c_n, h_n, stride, -(-w_n // stride)), name="phases")
    for r in range(stride):

        def body(ivs: list[Index], r: int = r) -> None:
            n, c, h, q = ivs
            v = ctx.load(xp, [n, c, h, ctx.lin(r, (stride, q))])
            ctx.store(v, out, [n, c, h, r, q])

        ctx.nest((n_n, c_n, h_n, -(-(w_n - r) // stride)), body, names=("n", "c", "y", "q"))
    return out
