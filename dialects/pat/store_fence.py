"""`pat.store_fence`: the streaming stores before it are done before anything after it.

    pat.store_fence

`stream-stores` marks a large layer output's `vector.store`s `nontemporal` (x86's
`_mm512_stream_ps`: the line is written without reading it first, and not kept in the
caches). Such stores are weakly ordered, so a thread must fence them before another thread
reads what they wrote: the pass puts this op at the end of the parallel loop's body that
holds them, and the C printer writes the ISA's fence there (`_mm_sfence`). It has no effect
on values: the interpreter, which stores in order, skips it.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.irdl import IRDLOperation, irdl_op_definition


@irdl_op_definition
class StoreFenceOp(IRDLOperation):
    name = "pat.store_fence"

    assembly_format: ClassVar[str | None] = "attr-dict"

    def __init__(self) -> None:
        super().__init__()


__all__ = ["StoreFenceOp"]
