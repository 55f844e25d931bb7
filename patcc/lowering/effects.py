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
            self.add_own(inner)

    def add_own(self, op: Operation) -> None:
        """Add the effect of `op` itself (not of the ops nested in it)."""
        kind = _kind(op)
        if kind is _READ:
            self.reads.add(root(op.operands[0]))
        elif kind is _WRITE:
            self.writes.add(root(op.operands[1]))
        elif kind is _UNKNOWN:
            self.unknown = True

    def update(self, other: Effects) -> None:
        self.reads |= other.reads
        self.writes |= other.writes
        self.unknown = self.unknown or other.unknown

    def conflicts(self, other: Effects, *, same_writes_ok: bool = False) -> bool:
        """Whether the two may not be reordered. `same_writes_ok`: both writing a buffer
        neither reads is fine (the caller knows they write different elements)."""
        if self.unknown or other.unknown:
            return True
        if self.reads & other.writes or self.writes & other.reads:
            return True
        return bool(self.writes & other.writes) and not same_writes_ok


def effects(*ops: Operation, memo: dict[Operation, Effects] | None = None) -> Effects:
    """The effects of the ops (and their nested ops). `memo` caches each op's own effects:
    valid while the ops' bodies do not change (jam moves and fuses ops, never edits one)."""
    out = Effects()
    for op in ops:
        if memo is None:
            out.add(op)
            continue
        out.update(op_effects(op, memo))
    return out


def op_effects(op: Operation, memo: dict[Operation, Effects]) -> Effects:
    """`op`'s effects from its nested ops' (memoised too: nested loops are walked once).
    The memo's own object: read it, do not change it."""
    mine = memo.get(op)
    if mine is None:
        mine = Effects()
        mine.add_own(op)
        for region in op.regions:
            for block in region.blocks:
                for inner in block.ops:
                    mine.update(op_effects(inner, memo))
        memo[op] = mine
    return mine


_READ, _WRITE, _NONE, _UNKNOWN = "read", "write", "none", "unknown"
_NEUTRAL = (scf.ForOp, scf.YieldOp, *_ALLOCATIONS, *_VIEWS)
_KINDS: dict[type[Operation], str] = {}


def _kind(op: Operation) -> str:
    """How an op (not counting its nested ops) touches memory; cached per op class for ops
    without regions (their side-effect traits are the class's)."""
    cls = type(op)
    kind = _KINDS.get(cls)
    if kind is not None:
        return kind
    if issubclass(cls, memref.LoadOp | vector.LoadOp):
        kind = _READ
    elif issubclass(cls, memref.StoreOp | vector.StoreOp):
        kind = _WRITE
    elif issubclass(cls, _NEUTRAL) or is_side_effect_free(op):
        kind = _NONE
    else:
        kind = _UNKNOWN
    if not op.regions:
        _KINDS[cls] = kind
    return kind


def ops_between(first: Operation, last: Operation) -> list[Operation]:
    """The ops of a block strictly between `first` and `last`."""
    out: list[Operation] = []
    op = first.next_op
    while op is not None and op is not last:
        out.append(op)
        op = op.next_op
    return out
