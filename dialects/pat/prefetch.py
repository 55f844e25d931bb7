"""`pat.prefetch`: a loop-level hint that the element at `memref[indices]` is read soon.

    pat.prefetch %padded[%n, %c, %row, %col] : memref<1x64x58x58xf32>

xDSL's memref dialect has no prefetch (MLIR's `memref.prefetch` is not ported), and the C
targets need one: a pattern conv's kernel loop jumps to an input channel given by the
`index` array, a stride no hardware prefetcher follows, so its rows come from L2 on the
critical path (`prefetch-next-kernel` inserts these ops). It has no effect on values: the
interpreter skips it, the C printer writes `__builtin_prefetch` (a hint that never faults,
so an address past a row's end is harmless). The verifier checks one index per dimension.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import IndexType, MemRefType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, var_operand_def
from xdsl.utils.exceptions import VerifyException


@irdl_op_definition
class PrefetchOp(IRDLOperation):
    name = "pat.prefetch"

    memref = operand_def(MemRefType)
    indices = var_operand_def(IndexType)

    assembly_format: ClassVar[str | None] = "$memref `[` $indices `]` attr-dict `:` type($memref)"

    def __init__(self, memref: SSAValue, indices: list[SSAValue]) -> None:
        super().__init__(operands=[memref, indices])

    def verify_(self) -> None:
        typ: Attribute = self.memref.type
        assert isinstance(typ, MemRefType)
        rank = len(typ.get_shape())
        if len(self.indices) != rank:
            raise VerifyException(
                f"pat.prefetch: {len(self.indices)} indices for a memref of rank {rank}"
            )


__all__ = ["PrefetchOp"]
