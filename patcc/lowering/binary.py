"""Elementwise binary ops at loop level: one linalg.generic each.

numpy broadcasting is exactly what linalg indexing maps express (a size-1 input axis reads
index 0: `(d0, d1, d2, d3) -> (0, d1, 0, 0)` for a per-channel operand), so the op is one
generic with a one-op body and xDSL's convert-linalg-to-loops writes the loop nest. Scalar
loops for now; vectorising the innermost axis is a later loop transformation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith
from xdsl.ir import Operation, SSAValue

from patcc.dialects.nn import binary

from .context import Lowering, LoweringContext

# The arith op of each nn op (maximumf/minimumf propagate NaN, like np.maximum/np.minimum;
# divf is IEEE division, like the reference's np.divide without warnings).
ARITH: dict[type[Operation], Callable[[SSAValue, SSAValue], Operation]] = {
    binary.AddOp: arith.AddfOp,
    binary.SubOp: arith.SubfOp,
    binary.MulOp: arith.MulfOp,
    binary.DivOp: arith.DivfOp,
    binary.MaxOp: arith.MaximumfOp,
    binary.MinOp: arith.MinimumfOp,
}


def lower_binary(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    lhs, rhs = operands
    assert lhs is not None and rhs is not None
    make = ARITH[type(op)]
    ctx.elementwise([lhs, rhs], results[0], lambda a: ctx.emit(make(a[0], a[1])))


LOWERINGS: dict[type[Operation], Lowering] = {op_type: lower_binary for op_type in ARITH}
