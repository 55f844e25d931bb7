"""Which buffers an op (with its nested ops) reads and writes: enough to move loop-level ops.

Buffers are compared by their root: a view (subview, collapse/expand shape, cast) is its
source, and every function argument may alias every other one (they share the root
`ARGUMENTS`). An op whose effects are unknown (a call, an unregistered op) makes
`Effects.unknown` true and every question about it answer "conflict".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import memref, scf, vector
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.traits import is_side_effect_free

ARGUMENTS = "arguments"
_VIEWS = (memref.SubviewOp, memref.CollapseShapeOp, memref.ExpandShapeOp, memref.CastOp)
_ALLOCATIONS = (memref.AllocOp, memref.AllocaOp, memref.DeallocOp)

Root = SSAValue | str


def root(buf: SSAValue) -> Root:
    """The buffer `buf` is a view of (function arguments: all one root)."""
    while isinstance(buf.owner, _VIEWS):
        buf = buf.owner.operands[0]
    if isinstance(buf, BlockArgument):
        return ARGUMENTS
    return buf


@dataclass
class Effects:
    reads: set[Root] = field(default_factory=set[Root])
    writes: set[Root] = field(default_factory=set[Root])
    unknown: bool = False

    def add(self, op: Operation) -> None:
        """Add the effects of `op` and of every op nested in it."""
        for inner in op.walk():
            if isinstance(inner, memref.LoadOp | vector.LoadOp):
                self.reads.add(root(inner.operands[0]))
            elif isinstance(inner, memref.StoreOp | vector.StoreOp):
                self.writes.add(root(inner.operands[1]))
            elif not (
                isinstance(inner, (scf.ForOp, scf.YieldOp, *_ALLOCATIONS, *_VIEWS))
                or is_side_effect_free(inner)
            ):
                self.unknown = True

    def conflicts(self, other: Effects, *, same_writes_ok: bool = False) -> bool:
        """Whether the two may not be reordered. `same_writes_ok`: both writing a buffer
        neither reads is fine (the caller knows they write different elements)."""
        if self.unknown or other.unknown:
            return True
        if self.reads & other.writes or self.writes & other.reads:
            return True
        return bool(self.writes & other.writes) and not same_writes_ok


def effects(*ops: Operation) -> Effects:
    out = Effects()
    for op in ops:
        out.add(op)
    return out


def ops_between(first: Operation, last: Operation) -> list[Operation]:
    """The ops of a block strictly between `first` and `last`."""
    out: list[Operation] = []
    op = first.next_op
    while op is not None and op is not last:
        out.append(op)
        op = op.next_op
    return out
