"""parallelize{threads=N}: mark the loops whose iterations may run on different threads.

In every conv / gemm / spatial-pool layer (by its `nn.layer` label), the outermost `scf.for`
whose iterations provably write disjoint memory gets `patcc.parallel`; the C targets print
it as `#pragma omp parallel for schedule(static)`: each thread a contiguous chunk of
iterations, which keeps neighbouring rows on one core. A loop whose iterations do different
amounts of work, because an inner loop reads its bounds from a table at an index that moves
with the iteration (the kernel lists of an FKW layer's filters), gets `patcc.parallel =
"cyclic"` instead, printed `schedule(static, 1)`: the threads take the iterations round
robin. reorder-filters sorts the filters by their kernel count, so contiguous chunks gave
the first thread the longest lists (VGG-16 block 4: 2-6 % more kernels than its share on two
threads with random weights, more with trained ones whose kernel counts spread wider; the
model 1.03-1.06x on two threads round robin, docs/performance.md). Nothing is reduced across
iterations, so the results are bit-identical for any thread count. `threads` (0: the
runtime's default) is recorded on the module as `patcc.threads`, the default thread count of
the build. Pools are in: VGG-16's first max pool ran serially in 1.9 ms on two threads, 1.2
ms split.

Disjointness is checked, not assumed: a loop qualifies when it carries no values, holds no
copies or calls, and every buffer it writes is written and read only through one view, at
one index position, with one index value that is injective in the loop's induction
variable (iv, iv + c, iv * c, iv / c where the loop steps by c or more: a row block's
tile slot, or an entry of a constant permutation table such as the FKW `reorder` array
indexed by one of those).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    VectorType,
    i64,
)
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.traits import SymbolTable

from patcc.constants import dense_to_numpy
from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.dialects.pat.store_fence import StoreFenceOp
from patcc.errors import PatccError
from patcc.lowering.jam import constant_int, constant_trips
from patcc.lowering.layers import layer_op
from patcc.targets.attrs import CYCLIC, PARALLEL_ATTR, THREADS_ATTR
from patcc.targets.layers import ALIASES, label_of, root_buffer

PARALLEL_LAYERS = frozenset(
    {
        "nn.conv2d",
        "nn.conv_transpose",
        "pat.conv2d",
        "pat.fkw_conv2d",
        "nn.gemm",
        "nn.gemv_skip_zeros",
        "nn.matmul",
        "nn.max_pool",
        "nn.avg_pool",
    }
)
_PURE_PREFIXES = ("arith.", "math.")
_ACCESSES = (memref.LoadOp, memref.StoreOp, vector.LoadOp, vector.StoreOp)


def _inside(v: SSAValue, loop: scf.ForOp) -> bool:
    owner = v.owner
    op = owner if isinstance(owner, Operation) else owner.parent_op()
    while op is not None:
        if op is loop:
            return True
        op = op.parent_op()
    return False


def _is_permutation_table(buf: SSAValue) -> bool:
    """A constant global whose entries are all distinct (e.g. FKW's filter reorder)."""
    get = root_buffer(buf).owner
    if not isinstance(get, memref.GetGlobalOp):
        return False
    glob = SymbolTable.lookup_symbol(get, get.name_)
    if not isinstance(glob, memref.GlobalOp):
        return False
    value = glob.initial_value
    if not isinstance(value, DenseIntOrFPElementsAttr):
        return False
    flat = dense_to_numpy(value).reshape(-1)
    return len(np.unique(flat)) == flat.size


def _injective(v: SSAValue, loop: scf.ForOp) -> bool:
    """v takes a different value in every iteration of `loop`."""
    iv = loop.body.block.args[0]
    if v is iv:
        return True
    op = v.owner
    if not isinstance(op, Operation) or not _inside(v, loop):
        return False
    if isinstance(op, arith.IndexCastOp):
        return _injective(op.input, loop)
    if isinstance(op, arith.AddiOp | arith.SubiOp):
        a, b = op.lhs, op.rhs
        return (_injective(a, loop) and not _inside(b, loop)) or (
            _injective(b, loop) and not _inside(a, loop)
        )
    if isinstance(op, arith.MuliOp):
        a, b = op.lhs, op.rhs
        return (_injective(a, loop) and (constant_int(b) or 0) != 0) or (
            _injective(b, loop) and (constant_int(a) or 0) != 0
        )
    if isinstance(op, arith.DivSIOp):  # a block's slot, iv / B with steps of B or more
        divisor, step = constant_int(op.rhs), constant_int(loop.step)
        return op.lhs is iv and divisor is not None and step is not None and 0 < divisor <= step
    if isinstance(op, memref.LoadOp) and len(op.indices) == 1:
        return _injective(op.indices[0], loop) and _is_permutation_table(op.memref)
    return False


def _vector_width(op: Operation) -> int:
    typ = op.result.type if isinstance(op, vector.LoadOp) else None
    if isinstance(op, vector.StoreOp):
        typ = op.vector.type
    return typ.get_shape()[0] if isinstance(typ, VectorType) else 1


def is_parallel(loop: scf.ForOp) -> bool:
    """Iterations of `loop` write disjoint memory and read nothing another one writes."""
    if loop.iter_args:
        return False
    accesses: dict[SSAValue, list[Operation]] = {}
    written: set[SSAValue] = set()
    for op in loop.body.walk():
        if isinstance(op, _ACCESSES):
            buf = _accessed(op)
            accesses.setdefault(root_buffer(buf), []).append(op)
            if isinstance(op, memref.StoreOp | vector.StoreOp):
                written.add(root_buffer(buf))
        elif isinstance(
            op,
            (
                scf.ForOp | scf.YieldOp | scf.IfOp | vector.BroadcastOp,
                vector.FMAOp,
                memref.GetGlobalOp,
                PrefetchOp,  # a hint: it reads and writes no value
                StoreFenceOp,  # orders the thread's own stores: no value
                *ALIASES,
            ),
        ):
            continue
        elif not op.name.startswith(_PURE_PREFIXES):
            return False  # copies, calls, allocations, unknown ops
    step = constant_int(loop.step) or 0
    return all(_disjoint(accesses[root], loop, step) for root in written)


def _accessed(op: Operation) -> SSAValue:
    """The memref a load/store (scalar or vector) accesses."""
    if isinstance(op, memref.LoadOp | memref.StoreOp):
        return op.memref
    assert isinstance(op, vector.LoadOp | vector.StoreOp)
    return op.base


def _first_index(op: Operation) -> int:
    """Operand position of a load/store's first index (after value and memref)."""
    return 2 if isinstance(op, memref.StoreOp | vector.StoreOp) else 1


# an index offset: (lo, hi, invariants): d in lo..hi plus the sum of the `invariants`,
# values defined outside the loop (an outer loop's iv): fixed while the loop runs, so two
# accesses with the same invariants are shifted alike in every iteration
Offset = tuple[int, int, tuple[SSAValue, ...]]


def _span(v: SSAValue, loop: scf.ForOp) -> Offset | None:
    """Bounds of a value that does not depend on `loop`'s iv: a constant, a value defined
    outside `loop`, the iv of a loop inside `loop` with constant bounds, or sums / constant
    multiples of those (invariants not multiplied)."""
    c = constant_int(v)
    if c is not None:
        return c, c, ()
    owner = v.owner
    invariant = not _inside(v, loop) or (
        isinstance(owner, Operation)
        and owner.name.startswith("arith.")
        and not any(_inside(x, loop) for x in owner.operands)
    )
    if invariant:
        return 0, 0, (v,)
    if isinstance(owner, Block):
        inner = owner.parent_op()
        if isinstance(inner, scf.ForOp) and inner is not loop and v is owner.args[0]:
            lb, ub, step = (constant_int(x) for x in (inner.lb, inner.ub, inner.step))
            if lb is None or ub is None or step is None or step <= 0 or ub <= lb:
                return None
            return lb, lb + (ub - lb - 1) // step * step, ()
        return None
    if isinstance(owner, arith.AddiOp):
        a, b = _span(owner.lhs, loop), _span(owner.rhs, loop)
        return None if a is None or b is None else _plus(a, b)
    if isinstance(owner, arith.MuliOp):
        for x, y in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs)):
            k, a = constant_int(y), _span(x, loop)
            if k is not None and k >= 0 and a is not None and not a[2]:
                return a[0] * k, a[1] * k, ()
    return None


def _plus(a: Offset, b: Offset) -> Offset:
    return a[0] + b[0], a[1] + b[1], tuple(sorted((*a[2], *b[2]), key=id))


def _iv_offset(v: SSAValue, loop: scf.ForOp) -> Offset | None:
    """The offset d when v is `iv + d`: constants, indices inside the iteration (a row
    block's `ohb + oh0 + r`, oh0 an inner tile loop's iv) and invariants (an outer row
    block's ohb in `ohb + oh0 + r` for the oh0 loop)."""
    if v is loop.body.block.args[0]:
        return 0, 0, ()
    op = v.owner
    if isinstance(op, arith.AddiOp):
        for x, y in ((op.lhs, op.rhs), (op.rhs, op.lhs)):
            d, base = _span(y, loop), _iv_offset(x, loop)
            if d is not None and base is not None:
                return _plus(base, d)
    return None


def _slot(v: SSAValue, loop: scf.ForOp) -> tuple[tuple[Any, ...], int, int] | None:
    """((None, invariants), lo, hi) when v is `iv + d`, d in lo..hi (+ invariants);
    ((table, invariants), lo, hi) when v is `table[iv + d]` for a constant permutation table
    (the FKW filter order)."""
    d = _iv_offset(v, loop)
    if d is not None:
        return (None, d[2]), d[0], d[1]
    op = v.owner
    if isinstance(op, arith.IndexCastOp):
        return _slot(op.input, loop)
    if isinstance(op, memref.LoadOp) and len(op.indices) == 1:
        d = _iv_offset(op.indices[0], loop)
        if d is not None and _is_permutation_table(op.memref):
            return (root_buffer(op.memref), d[2]), d[0], d[1]
    return None


def _disjoint(ops: list[Operation], loop: scf.ForOp, step: int) -> bool:
    """All accesses go through one view, and at one index position every iteration touches
    its own elements: `iv + d` (or `table[iv + d]`) with every d + width within one step, or
    one shared index value injective in iv."""
    views = {_accessed(op) for op in ops}
    if len(views) != 1 or step <= 0:
        return False
    index_lists = [list(op.operands[_first_index(op) :]) for op in ops]
    rank = len(index_lists[0])
    for pos in range(rank):
        widths = [_vector_width(op) if pos == rank - 1 else 1 for op in ops]
        slots = [_slot(idx[pos], loop) for idx in index_lists]
        if all(slot is not None for slot in slots):
            tables = {slot[0] for slot in slots if slot is not None}
            lo = min(slot[1] for slot in slots if slot is not None)
            hi = max(slot[2] + w for slot, w in zip(slots, widths, strict=True) if slot is not None)
            direct = all(table[0] is None for table in tables)
            if len(tables) == 1 and (direct or max(widths) == 1) and hi - lo <= step:
                return True
        key = index_lists[0][pos]
        same_key = all(idx[pos] is key for idx in index_lists)
        if max(widths) == 1 and same_key and _injective(key, loop):
            return True
    return False


MIN_PARALLEL_TRIPS = 8
"""Below this many trips a parallel loop leaves threads idle: a 28x28 layer's 3 row blocks
on 2 threads keep one thread waiting a third of the time, a 14x14 layer's single block
keeps it waiting all the time. Such a loop whose body is one loop, itself parallel with
more trips (a row block's filters or filter groups), is run sequentially and the inner
loop is marked instead: one parallel region per block, its work split evenly."""


def _sole_loop(loop: scf.ForOp) -> scf.ForOp | None:
    """The one loop of `loop`'s body when everything else there is pure arithmetic."""
    inner = [op for op in loop.body.block.ops if isinstance(op, scf.ForOp)]
    rest = [op for op in loop.body.block.ops if not isinstance(op, scf.ForOp | scf.YieldOp)]
    pure = all(op.name.startswith(_PURE_PREFIXES) for op in rest)
    return inner[0] if len(inner) == 1 and pure else None


def _parallel_target(loop: scf.ForOp) -> scf.ForOp:
    """`loop`, or its sole inner loop when `loop` has too few trips (MIN_PARALLEL_TRIPS)."""
    trips = constant_trips(loop)
    inner = _sole_loop(loop)
    if trips is None or trips >= MIN_PARALLEL_TRIPS or inner is None:
        return loop
    inner_trips = constant_trips(inner)
    if inner_trips is None or inner_trips <= trips or not is_parallel(inner):
        return loop
    return inner


def work_varies(loop: scf.ForOp) -> bool:
    """Some loop inside `loop` reads a bound from a table at an index that depends on
    `loop`'s induction variable: its iterations do different amounts of work."""
    iv = loop.body.block.args[0]
    moves: dict[SSAValue, bool] = {}
    loaded: dict[SSAValue, bool] = {}

    def inner_op(v: SSAValue) -> Operation | None:
        op = v.owner
        return op if isinstance(op, Operation) and _inside(v, loop) else None

    def moves_with_iv(v: SSAValue) -> bool:
        if v not in moves:
            op = inner_op(v)
            moves[v] = v is iv or (op is not None and any(map(moves_with_iv, op.operands)))
        return moves[v]

    def read_at_iv(v: SSAValue) -> bool:
        if v not in loaded:
            op = inner_op(v)
            if isinstance(op, memref.LoadOp):
                loaded[v] = any(moves_with_iv(i) for i in op.indices)
            else:
                loaded[v] = op is not None and any(map(read_at_iv, op.operands))
        return loaded[v]

    return any(
        isinstance(op, scf.ForOp) and (read_at_iv(op.lb) or read_at_iv(op.ub))
        for op in loop.body.walk()
    )


def _mark_outermost(op: Operation) -> int:
    """Mark the outermost parallel loops at or below `op` (or the loop inside one of too
    few trips, `_parallel_target`), round robin where their work varies; returns how many."""
    if isinstance(op, scf.ForOp) and is_parallel(op):
        target = _parallel_target(op)
        cyclic = work_varies(target)
        target.attributes[PARALLEL_ATTR] = StringAttr(CYCLIC) if cyclic else UnitAttr()
        return 1
    count = 0
    for region in op.regions:
        for block in region.blocks:
            for inner in block.ops:
                count += _mark_outermost(inner)
    return count


@dataclass(frozen=True)
class ParallelizePass(ModulePass):
    """Mark parallel loops of conv/gemm/pool layers (see the module docstring)."""

    name = "parallelize"

    threads: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.threads < 0:
            raise PatccError(f"parallelize: threads must be >= 0, got {self.threads}")
        if self.threads:
            op.attributes[THREADS_ATTR] = IntegerAttr(self.threads, i64)
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
                continue
            for top in fn.body.block.ops:
                label = label_of(top)
                if label is not None and layer_op(label) in PARALLEL_LAYERS:
                    _mark_outermost(top)
