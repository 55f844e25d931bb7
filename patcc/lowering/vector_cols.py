"""How a conv nest covers its output width with vectors: the last vector overlaps instead of
a scalar remainder.

A row of OW outputs, OW >= V, not a multiple of V, is covered by ceil(OW / V) vector starts
0, V, 2V, ... with the last one clamped to OW - V: it recomputes a few outputs the vector
before it already stored, with the same taps in the same order, so it stores the same bits
again. A scalar remainder costs a latency-bound FMA chain per output element and dominated
the 14x14 and 28x28 layers (6 of 14 columns scalar: ~90 % of the time); an overlapping
vector costs one more vector body. Rows narrower than V keep the scalar loop (or run as
one wide row, `wide_rows.py`). A conv with stride_w > 1 reads its padded input split by
column phase (`phases.column_phases`), so its rows run in vectors too.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith

from .context import Index, LoweringContext


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
