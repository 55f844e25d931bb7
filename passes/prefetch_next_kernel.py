"""prefetch-next-kernel: each pattern-conv kernel loop asks for the next kernel's input rows.

A kernel loop (`pat.conv`, after tiling and LRE) reads, per kept kernel k, the rows of input
channel `index[k]` that its register tile covers; consecutive kernels jump between channels
by a data-dependent stride, which no hardware prefetcher follows, and a row block's sweep
over all its channels (~180 KB for VGG-16's 56-wide layers) does not stay in L1. So every
iteration waited on L2 for ~15 lines. On a full-width AVX-512 core (a Xeon, 2 FMAs of 16
lanes per cycle) that made the 56-wide layers run at 57 % of the sgemm peak; with all
inputs in L1 the same loop ran 1.4x faster (docs/performance.md, "Prefetching the next
kernel's rows").

This pass loads `index[min(k + distance, ub - 1)]` at the top of the body and adds one
`pat.prefetch` per cache line of what that kernel's loads will read: the loads are grouped
by their leading indices (buffer, channel, row), and along the row their columns are taken
as a common root plus constants (`arith.addi` with a constant, `arith.minsi` of two
constants folded: a tile that covers its rows has constant columns, the last vector
clamped to the row's end). One hint per 64 bytes of the span [first column, last column +
vector length) and one at its end. A prefetch never changes a value
(and never faults), so the pass is exact; loops whose loads it cannot read that way are
left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    NoneAttr,
    VectorType,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.errors import PatccError
from patcc.lowering.pattern_conv import CONV_ATTR

LINE_BYTES = 64
"""A cache line on x86-64 and on the Arm cores patcc targets."""


def root_offset(value: SSAValue) -> tuple[SSAValue | None, int]:
    """`value` as root + constant (root None: a constant), through `arith.addi` with a
    constant and `arith.minsi` of two constants; anything else is a root."""
    offset = 0
    while True:
        owner = value.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            return None, offset + owner.value.value.data
        if isinstance(owner, arith.AddiOp):
            lhs, lhs_off = root_offset(owner.lhs)
            rhs, rhs_off = root_offset(owner.rhs)
            if lhs is None or rhs is None:
                return (rhs if lhs is None else lhs), offset + lhs_off + rhs_off
            return value, offset
        if isinstance(owner, arith.MinSIOp):
            lhs, lhs_off = root_offset(owner.lhs)
            rhs, rhs_off = root_offset(owner.rhs)
            if lhs is None and rhs is None:
                return None, offset + min(lhs_off, rhs_off)
        return value, offset


def line_offsets(first: int, last: int, line: int) -> list[int]:
    """Offsets from `first` in steps of a line, then `last`: whatever the alignment, every
    line that holds an element of [first, last] holds one of these."""
    offsets = list(range(first, last, line))
    return [*offsets, last]


def _defined_before(value: SSAValue, body: Block, point: Operation) -> bool:
    """Usable at `point` (an op of `body`): a block argument, defined outside the body, or
    before `point`."""
    owner = value.owner
    if isinstance(owner, Block) or owner.parent is not body:
        return True
    return body.get_operation_index(owner) < body.get_operation_index(point)


@dataclass(frozen=True)
class _Span:
    base: SSAValue
    leading: tuple[SSAValue, ...]  # indices before the last one, the channel among them
    root: SSAValue | None
    first: int
    last: int  # last element read (the last load's offset + its vector length - 1)


def _spans(loads: Sequence[vector.LoadOp]) -> list[_Span]:
    groups: dict[tuple[SSAValue, tuple[SSAValue, ...], SSAValue | None], list[int]] = {}
    for load in loads:
        *leading, col = load.indices
        root, offset = root_offset(col)
        typ = load.result.type
        assert isinstance(typ, VectorType)
        n = typ.get_shape()[0]
        bounds = groups.setdefault((load.base, tuple(leading), root), [offset, offset + n - 1])
        bounds[0] = min(bounds[0], offset)
        bounds[1] = max(bounds[1], offset + n - 1)
    return [_Span(b, lead, r, lo, hi) for (b, lead, r), (lo, hi) in groups.items()]


def _channel(body: Block) -> tuple[memref.LoadOp, arith.IndexCastOp] | None:
    """The body's `index[k]` load and its cast to the channel index."""
    k = body.args[0]
    for op in body.ops:
        if isinstance(op, memref.LoadOp) and tuple(op.indices) == (k,):
            for use in op.res.uses:
                if isinstance(use.operation, arith.IndexCastOp):
                    return op, use.operation
    return None


def _contiguous_rows(load: vector.LoadOp) -> bool:
    typ = load.base.type
    return isinstance(typ, MemRefType) and isinstance(typ.layout, NoneAttr)


def prefetch_next(loop: scf.ForOp, distance: int, column_tiles: bool = False) -> int:
    """Add the prefetches to one kernel loop; returns how many. Without `column_tiles`,
    only to a loop whose loads all read constant columns (the tile covers its rows whole);
    a loop with a load it cannot hint (an index defined after the loop's first load) gets
    none, so a kernel loop has hints for all of its loads or for none."""
    body = loop.body.block
    found = _channel(body)
    if found is None:
        return 0
    index_load, cast = found
    channel = cast.result
    loads = [
        op
        for op in body.ops
        if isinstance(op, vector.LoadOp) and channel in op.indices and _contiguous_rows(op)
    ]
    if not loads:
        return 0
    point = loads[0]
    spans = _spans(loads)
    if not column_tiles and any(s.root is not None for s in spans):
        return 0
    usable = [
        all(_defined_before(v, body, point) for v in (*s.leading, s.base))
        and (s.root is None or _defined_before(s.root, body, point))
        for s in spans
    ]
    if not all(usable):
        return 0
    ops: list[Operation] = []
    constants: dict[int, SSAValue] = {}
    columns: dict[tuple[SSAValue, int], SSAValue] = {}

    def const(value: int) -> SSAValue:
        if value not in constants:
            c = arith.ConstantOp(IntegerAttr(value, IndexType()))
            ops.append(c)
            constants[value] = c.result
        return constants[value]

    ahead = arith.AddiOp(body.args[0], const(distance))
    last = arith.SubiOp(loop.ub, const(1))
    nxt = arith.MinSIOp(ahead.result, last.result)
    next_index = memref.LoadOp.get(index_load.memref, [nxt.result])
    next_channel = arith.IndexCastOp(next_index.res, IndexType())
    ops += [ahead, last, nxt, next_index, next_channel]
    count = 0
    for s in spans:
        elem = s.base.type
        assert isinstance(elem, MemRefType)
        line = max(1, LINE_BYTES * 8 // elem.element_type.bitwidth)  # pyright: ignore
        leading = [next_channel.result if v is channel else v for v in s.leading]
        for offset in line_offsets(s.first, s.last, line):
            if s.root is None:
                col = const(offset)
            elif offset == 0:
                col = s.root
            else:
                if (s.root, offset) not in columns:
                    add = arith.AddiOp(s.root, const(offset))
                    ops.append(add)
                    columns[s.root, offset] = add.result
                col = columns[s.root, offset]
            ops.append(PrefetchOp(s.base, [*leading, col]))
            count += 1
    Rewriter.insert_op(ops, InsertPoint.before(point))
    return count


@dataclass(frozen=True)
class PrefetchNextKernelPass(ModulePass):
    """Every `pat.conv` kernel loop prefetches the input lines of the kernel `distance`
    iterations ahead (clamped to the loop's last kernel). By default only where the
    register tile covers its rows whole: a row run in column tiles reads each channel row
    piece by piece, in order, which the hardware prefetchers follow, and the hints there
    only cost load slots (`column_tiles` adds them; VGG-16's 112- and 224-wide layers ran
    5-7 % slower so)."""

    name = "prefetch-next-kernel"

    distance: int = 1
    column_tiles: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.distance < 1:
            raise PatccError(
                f"prefetch-next-kernel: distance must be at least 1, got {self.distance}"
            )
        loops = [o for o in op.walk() if isinstance(o, scf.ForOp) and CONV_ATTR in o.attributes]
        for loop in loops:
            prefetch_next(loop, self.distance, self.column_tiles)


__all__ = ["LINE_BYTES", "PrefetchNextKernelPass", "line_offsets", "prefetch_next", "root_offset"]
