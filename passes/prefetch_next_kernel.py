"""prefetch-next-kernel: each pattern-conv kernel loop asks for the next kernel's input rows.

A kernel loop (`pat.conv`, after tiling and LRE) reads, per kept kernel k, the rows of input
channel `index[k]` that its register tile covers; consecutive kernels jump between channels
by a data-dependent stride, which no hardware prefetcher follows, and a row block's sweep
over all its channels (~180 KB for VGG-16's 56-wide layers) does not stay in L1. So every
iteration waited on L2 for ~15 lines. On a full-width AVX-512 core (a Xeon, 2 FMAs of 16
lanes per cycle) that made the 56-wide layers run at 57 % of the sgemm peak; with all
inputs in L1 the same loop ran 1.4x faster (docs/performance.md, "Prefetching the next
kernel's input rows").

This pass loads `index[min(k + distance, n - 1)]` at the top of the body and adds one
`pat.prefetch` per cache line of what this loop's loads would read for that kernel: the
loads are grouped by buffer and leading indices (channel, row), their indices read as
common terms plus constants (`linear_form`), so the row oh + 1 of two output rows is one
row and a span along it is [first column, last column + vector length): one hint per 64
bytes of it and one at its end. Every kernel loop whose tile covers its rows whole
(constant columns) gets them; a loop in column tiles only in the per-filter nest (fewer
than SHARED_FMAS_PER_LOAD FMAs per loaded vector), or with `column_tiles`. A prefetch never
changes a value (and never faults), so the pass is exact; a loop whose loads it cannot
read that way gets no hints.

`n` is the length of the whole kernel list, not the loop's bound: a kernel loop runs one
pattern's run of a filter's (or shared group's) kernels, 2-3 kernels on ResNet-50's
64-channel layers at 8x, and the kernel after a run's last is the next run's first, which
the filter reads next (a shared group's last is followed by its next filter's copy of the
list, whose first kernel the group's next tile reads). Its pattern differs, so the hints
cover this pattern's taps (most rows and columns are shared). Clamped to the run's end, the
last kernel of every run hinted itself: ResNet-50's 56x56 layers ran 0.87-0.91x with hints,
0.95-0.97x so, its other pattern convs and per-kernel VGG-16's 1-9 % faster again
(docs/performance.md, "Hints for the per-filter nest").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    VectorType,
)
from xdsl.ir import Block, BlockArgument, Operation, OpResult, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.errors import PatccError
from patcc.lowering.context import contiguous
from patcc.lowering.layers import layer_schedule
from patcc.lowering.pattern_conv import CONV_ATTR

LINE_BYTES = 64
"""A cache line on x86-64 and on the Arm cores patcc targets."""
SHARED_FMAS_PER_LOAD = 2
"""A kernel loop with at least this many FMAs per vector it loads is the block-shared nest's
(each loaded vector feeds the G filters of a block; the per-filter nest runs 1-1.8). Where
such a loop runs a row in column tiles it reads each channel row piece by piece, in order,
and is left to the hardware prefetchers: with hints VGG-16 block 4's 224- and 112-wide
layers ran 0.96-1.00x (5-7 % slower in the first version). The per-filter nest gains from
hints in column tiles and whole rows alike: per-kernel VGG-16's convs 1.07-1.26x, the model
1.10x (Xeon; a first rule that left it out had measured it 3-8 % slower, before its
14-wide rows became one wide row and its remainders tiles; docs/performance.md)."""


Form = tuple[frozenset[tuple[SSAValue, int]], int]
"""An index as a sum of terms (SSA values with their multiplicity) plus a constant."""


def linear_form(value: SSAValue) -> Form:
    """`value` as terms + constant, through `arith.addi` and `arith.constant`, and
    `arith.minsi` of two constants (folded); anything else is a term. Two indices with the
    same terms differ by a known constant: LRE's row tiles compute row oh + 1 once per
    output row, from different values, and those are one row."""
    terms: Counter[SSAValue] = Counter()
    constant = 0
    stack = [value]
    while stack:
        v = stack.pop()
        owner = v.owner
        if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
            constant += owner.value.value.data
            continue
        if isinstance(owner, arith.AddiOp):
            stack += [owner.lhs, owner.rhs]
            continue
        if isinstance(owner, arith.MinSIOp):
            (lhs, a), (rhs, b) = linear_form(owner.lhs), linear_form(owner.rhs)
            if not lhs and not rhs:
                constant += min(a, b)
                continue
        terms[v] += 1
    return frozenset(terms.items()), constant


def line_offsets(first: int, last: int, line: int) -> list[int]:
    """Offsets from `first` in steps of a line, then `last`: whatever the alignment, every
    line that holds an element of [first, last] holds one of these."""
    offsets = list(range(first, last, line))
    return [*offsets, last]


def _constant(value: int, ops: list[Operation]) -> SSAValue:
    c = arith.ConstantOp(IntegerAttr(value, IndexType()))
    ops.append(c)
    return c.result


def _line(base: SSAValue) -> int:
    """Elements per cache line of a memref."""
    typ = base.type
    assert isinstance(typ, MemRefType)
    return max(1, LINE_BYTES * 8 // typ.element_type.bitwidth)  # pyright: ignore


def _kernels(index_load: memref.LoadOp) -> int:
    """The length of the kernel list `index_load` reads (all the filters' runs, one after
    the other); 0 if its shape is not static."""
    typ = index_load.memref.type
    shape = typ.get_shape() if isinstance(typ, MemRefType) else ()
    return shape[0] if len(shape) == 1 and shape[0] > 0 else 0


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
    leading: tuple[Form, ...]  # indices before the last one, the channel among them
    terms: frozenset[tuple[SSAValue, int]]  # the columns' terms (none: constant columns)
    first: int
    last: int  # last element read (the last load's offset + its vector length - 1)


def _spans(loads: Sequence[vector.LoadOp]) -> list[_Span]:
    """One span per buffer, leading indices and column terms (`linear_form`s)."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for load in loads:
        *leading, col = load.indices
        terms, offset = linear_form(col)
        typ = load.result.type
        assert isinstance(typ, VectorType)
        n = typ.get_shape()[0]
        key = (load.base, tuple(linear_form(v) for v in leading), terms)
        bounds = groups.setdefault(key, [offset, offset + n - 1])
        bounds[0] = min(bounds[0], offset)
        bounds[1] = max(bounds[1], offset + n - 1)
    return [_Span(b, lead, t, lo, hi) for (b, lead, t), (lo, hi) in groups.items()]


def _channel(body: Block) -> tuple[memref.LoadOp, arith.IndexCastOp] | None:
    """The body's `index[k]` load and its cast to the channel index."""
    k = body.args[0]
    for op in body.ops:
        if isinstance(op, memref.LoadOp) and tuple(op.indices) == (k,):
            for use in op.res.uses:
                if isinstance(use.operation, arith.IndexCastOp):
                    return op, use.operation
    return None


def _position(value: SSAValue, positions: Mapping[Operation, int]) -> tuple[int, int]:
    """Where `value` is defined, in the module's walk order: sums are built in that order,
    so the printed IR does not depend on hashing."""
    if isinstance(value, BlockArgument):
        parent = value.block.parent_op()
        return (positions[parent] if parent is not None else -1), -1 - value.index
    assert isinstance(value, OpResult)
    return positions.get(value.op, len(positions)), value.index  # ops this pass adds: last


def walk_positions(loop: Operation) -> dict[Operation, int]:
    """Every op of the module (or top op) holding `loop`, numbered in walk order."""
    top = loop
    while (parent := top.parent_op()) is not None:
        top = parent
    return {op: i for i, op in enumerate(top.walk())}


def prefetch_next(
    loop: scf.ForOp,
    distance: int,
    column_tiles: bool = False,
    positions: Mapping[Operation, int] | None = None,
) -> int:
    """Add the prefetches to one kernel loop; returns how many. Only to a loop whose loads
    all read constant columns (the tile covers its rows whole), or, in column tiles, one
    with fewer than SHARED_FMAS_PER_LOAD FMAs per loaded vector (the per-filter nest) or
    any with `column_tiles`; a loop with a load it cannot hint (an index term defined after
    the loop's first load) gets none, so a kernel loop has hints for all of its loads or
    for none. `positions`: the module's ops in walk order (`walk_positions`), which orders
    the terms of the sums it builds."""
    body = loop.body.block
    found = _channel(body)
    if found is None:
        return 0
    index_load, cast = found
    kernels = _kernels(index_load)
    channel = cast.result
    loads = [
        op
        for op in body.ops
        if isinstance(op, vector.LoadOp) and channel in op.indices and contiguous(op.base)
    ]
    if not loads or not kernels:
        return 0
    fmas = sum(isinstance(o, vector.FMAOp) for o in body.ops)
    shared = fmas >= SHARED_FMAS_PER_LOAD * len(loads)
    point = loads[0]
    spans = _spans(loads)
    if shared and not column_tiles and any(s.terms for s in spans):
        return 0
    terms = {v for s in spans for form in (*s.leading, (s.terms, 0)) for v, _ in form[0]}
    if not all(_defined_before(v, body, point) for v in (*terms, *(s.base for s in spans))):
        return 0
    if positions is None:
        positions = walk_positions(loop)
    ops: list[Operation] = []
    built: dict[Form, SSAValue] = {}  # the loads' own index values where usable, then sums
    for load in loads:
        for v in load.indices:
            if _defined_before(v, body, point):
                built.setdefault(linear_form(v), v)

    def index(form: Form) -> SSAValue:
        """The value of terms + constant, each sum built once."""
        if form in built:
            return built[form]
        terms, constant = form
        if not terms:
            built[form] = _constant(constant, ops)
            return built[form]
        ordered = sorted(terms, key=lambda t: _position(t[0], positions))
        parts = [v for v, count in ordered for _ in range(count)]
        if constant:
            parts.append(index((frozenset(), constant)))
        value = parts[0]
        for part in parts[1:]:
            add = arith.AddiOp(value, part)
            ops.append(add)
            value = add.result
        built[form] = value
        return value

    ahead = arith.AddiOp(body.args[0], index((frozenset(), distance)))
    nxt = arith.MinSIOp(ahead.result, index((frozenset(), kernels - 1)))
    next_index = memref.LoadOp.get(index_load.memref, [nxt.result])
    next_channel = arith.IndexCastOp(next_index.res, IndexType())
    ops += [ahead, nxt, next_index, next_channel]

    def ahead_of(form: Form) -> Form:
        """The form with the channel replaced by the next kernel's."""
        swapped = {(next_channel.result if v is channel else v, c) for v, c in form[0]}
        return frozenset(swapped), form[1]

    count = 0
    for s in spans:
        leading = [index(ahead_of(form)) for form in s.leading]
        for offset in line_offsets(s.first, s.last, _line(s.base)):
            ops.append(PrefetchOp(s.base, [*leading, index((s.terms, offset))]))
            count += 1
    Rewriter.insert_op(ops, InsertPoint.before(point))
    return count


@dataclass(frozen=True)
class PrefetchNextKernelPass(ModulePass):
    """Every `pat.conv` kernel loop prefetches the input lines of the kernel `distance`
    iterations ahead (clamped to the kernel list's last), except the block-shared nest's
    loops in column tiles, whose in-order reads the hardware prefetchers follow
    (SHARED_FMAS_PER_LOAD; `column_tiles` hints those too). A layer whose schedule has its
    own `pf` (`pat.schedule`, from a tuning log) takes that instead: 1 hints every kernel
    loop of the layer, -1 none. `rules=false` leaves the layers without one unhinted (the
    C targets' pipeline on hosts where the hints were not measured, so that a tuned layer
    can still ask for them)."""

    name = "prefetch-next-kernel"

    distance: int = 1
    column_tiles: bool = False
    rules: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.distance < 1:
            raise PatccError(
                f"prefetch-next-kernel: distance must be at least 1, got {self.distance}"
            )
        positions = {o: i for i, o in enumerate(op.walk())}
        loops = [o for o in positions if isinstance(o, scf.ForOp) and CONV_ATTR in o.attributes]
        for loop in loops:
            own = layer_schedule(loop).get("pf", 0)
            if own < 0 or (own == 0 and not self.rules):
                continue
            prefetch_next(loop, self.distance, self.column_tiles or own > 0, positions)


__all__ = [
    "LINE_BYTES",
    "SHARED_FMAS_PER_LOAD",
    "PrefetchNextKernelPass",
    "line_offsets",
    "linear_form",
    "prefetch_next",
]
