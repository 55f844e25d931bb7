"""Unroll-and-jam in one step: a marked tile expanded with its copies' loops already fused.

`unroll.unroll_marked` clones every copy of a tile whole (each with its own kernel loops),
`jam.jam` then fuses the copies' loops of equal bounds and role, and LRE's load and pure-op
deduplication erases what the copies compute alike: on VGG-16 26 k ops cloned, 16 k of them
erased again, ~2/3 of LRE's time. Here the copies are built side by side instead: each op
of a tile's body is cloned once per copy (a *mapper*: the copy's iteration constants), a
loop whose bounds are equal in every copy is built once with all copies' bodies in it and
all their carried values (what `jam` makes of them), and an op that computes the same
thing in every copy (a pure op, or a load in a body that writes nothing, whose operands
map to the same values) is built once. Whatever this leaves (loops of unequal bounds, a
filter tile's per-filter kernel loops) is as `unroll_marked` leaves it, and LRE's `jam`,
load deduplication and CSE still run after it.

Fusing a loop across copies reorders the copies' ops as `jam` does, and moves a copy's ops
that precede such a loop before every copy's loop; that is only done for a tile that reads
no buffer it writes (`patcc.lowering.effects`): a conv tile reads its padded input and
constants and writes each output element once (an overlapping last vector writes equal
values). Other marked loops, and marked loops with carried values, are unrolled copy by
copy (`unroll.expand_marked`, as `unroll_marked` does).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.traits import IsTerminator, is_side_effect_free

from .effects import effects
from .jam import JamMemo, constant_int, jam_key
from .unroll import Mapper, copy_op, expand_all, expand_marked, marked_trips


def unroll_and_jam(block: Block) -> int:
    """Expand every marked loop with constant bounds nested in `block` (see the module
    docstring); returns how many outermost marked loops were expanded."""
    return expand_all(block, _expand)


def _expand(loop: scf.ForOp, trips: range, attr: IntegerAttr, mapper: Mapper) -> list[Operation]:
    """Side by side when the copies' ops may be interleaved: known effects, no buffer both
    read and written in the tile; else copy by copy (`expand_marked`)."""
    e = effects(loop)
    if loop.iter_args or e.unknown or e.reads & e.writes:
        return expand_marked(loop, trips, attr, mapper)  # as unroll_marked
    return _marked(loop, trips, attr, [mapper], not e.writes)


def _marked(
    loop: scf.ForOp, trips: range, attr: IntegerAttr, mappers: list[Mapper], shared_loads: bool
) -> list[Operation]:
    """A marked loop without carried values, expanded under each of `mappers`: one copy
    per (mapper, trip), built side by side (`shared_loads`: the loop writes nothing)."""
    iv = loop.body.block.args[0]
    out: list[Operation] = []
    consts: list[SSAValue] = []
    for i in trips:
        const = arith.ConstantOp(IntegerAttr(i, attr.type))
        const.result.name_hint = iv.name_hint
        out.append(const)
        consts.append(const.result)
    copies = [{**m, iv: c} for m in mappers for c in consts]
    return out + _side_by_side(_body(loop.body.block), copies, shared_loads)


def _body(block: Block) -> list[Operation]:
    return [op for op in block.ops if not op.has_trait(IsTerminator)]


def _writes_nothing(op: Operation) -> bool:
    e = effects(op)
    return not e.unknown and not e.writes


def _side_by_side(
    ops: Sequence[Operation], copies: list[Mapper], shared_loads: bool
) -> list[Operation]:
    """`ops` cloned once per mapper of `copies` (see the module docstring), in the order
    unroll, jam and CSE leave them: the first copy in program order; a later copy's ops
    right before the first fused loop that needs them (jam moves them there), else after
    the first copy's last op, copy by copy; a later copy's op that computes what the first
    copy's does reuses it. `shared_loads`: the ops write nothing, so a load of equal
    operands reads one value."""
    first, later = copies[0], copies[1:]
    pending: list[list[Operation]] = [[] for _ in later]  # not built yet, per later copy
    free = JamMemo()  # its free values of the original ops
    out: list[Operation] = []
    for op in ops:
        trips = marked_trips(op)
        if trips is not None and isinstance(op, scf.ForOp) and not op.iter_args:
            for waiting, m in zip(pending, later, strict=True):
                out += _build(waiting, first, m, shared_loads)
                waiting.clear()
            out += _marked(op, *trips, copies, _writes_nothing(op))
        elif isinstance(op, scf.ForOp) and _fusable(op, copies):
            for waiting, m in zip(pending, later, strict=True):
                out += _build(_pull(waiting, op, free), first, m, shared_loads)
            out.append(_fused(op, copies))
        else:
            out += _copy(op, first)
            for waiting in pending:
                waiting.append(op)
    for waiting, m in zip(pending, later, strict=True):
        out += _build(waiting, first, m, shared_loads)
    return out


def _pull(waiting: list[Operation], loop: Operation, free: JamMemo) -> list[Operation]:
    """The ops of `waiting` that `loop` needs (transitively), removed from it in order."""
    defined: dict[SSAValue, Operation] = {r: op for op in waiting for r in op.results}
    needed: set[Operation] = set()
    stack = [v for v in free.free_values(loop) if v in defined]
    while stack:
        op = defined[stack.pop()]
        if op not in needed:
            needed.add(op)
            stack += [v for v in free.free_values(op) if v in defined]
    pulled = [op for op in waiting if op in needed]
    waiting[:] = [op for op in waiting if op not in needed]
    return pulled


def _build(ops: list[Operation], first: Mapper, m: Mapper, shared_loads: bool) -> list[Operation]:
    """`ops` of a later copy `m`, each reusing the first copy's where alike."""
    out: list[Operation] = []
    for op in ops:
        if _alike(op, first, m, shared_loads):
            m.update(zip(op.results, (first[r] for r in op.results), strict=True))
        else:
            out += _copy(op, m)
    return out


def _fusable(loop: scf.ForOp, copies: list[Mapper]) -> bool:
    """A loop `jam` would fuse (marked by the conv lowering) whose bounds map to equal
    values (or equal constants) in every copy; a single copy is rebuilt the same way."""
    if jam_key(loop) is None:
        return False
    first = _bounds(loop, copies[0])
    return all(_bounds(loop, m) == first for m in copies[1:])


def _bounds(loop: scf.ForOp, m: Mapper) -> tuple[Hashable, ...]:
    values = (m.get(v, v) for v in (loop.lb, loop.ub, loop.step))
    return tuple(c if (c := constant_int(v)) is not None else v for v in values)


def _fused(loop: scf.ForOp, copies: list[Mapper]) -> scf.ForOp:
    """One loop for every copy: its iteration variable shared, each copy's carried values
    in turn (what `jam.fuse` makes of the copies' loops)."""
    old = loop.body.block
    n = len(loop.iter_args)
    block = Block(arg_types=[old.args[0].type, *(a.type for _ in copies for a in old.args[1:])])
    block.args[0].name_hint = old.args[0].name_hint
    for i, m in enumerate(copies):
        m[old.args[0]] = block.args[0]
        for j, arg in enumerate(old.args[1:]):
            new = block.args[1 + i * n + j]
            new.name_hint = arg.name_hint
            m[arg] = new
    block.add_ops(_side_by_side(_body(old), copies, _writes_nothing(loop)))
    yielded = old.last_op
    assert isinstance(yielded, scf.YieldOp)
    block.add_op(
        scf.YieldOp.create(operands=[m.get(v, v) for m in copies for v in yielded.operands])
    )
    first = copies[0]
    inits = [m.get(v, v) for m in copies for v in loop.iter_args]
    fused = scf.ForOp.create(
        operands=[
            first.get(loop.lb, loop.lb),
            first.get(loop.ub, loop.ub),
            first.get(loop.step, loop.step),
            *inits,
        ],
        result_types=[v.type for v in inits],
        attributes=dict(loop.attributes),
        regions=[Region(block)],
    )
    for i, m in enumerate(copies):
        m.update(zip(loop.results, fused.results[i * n : (i + 1) * n], strict=True))
    return fused


def _alike(op: Operation, first: Mapper, m: Mapper, shared_loads: bool) -> bool:
    """Whether `op` computes in copy `m` what it does in copy `first`: region-free, pure (or
    a load in ops that write nothing), its operands mapped to the same values."""
    if op.regions or not op.results or op.has_trait(IsTerminator):
        return False
    load = isinstance(op, memref.LoadOp | vector.LoadOp)
    if not (is_side_effect_free(op) or (shared_loads and load)):
        return False
    return all(m.get(v, v) is first.get(v, v) for v in op.operands)


def _copy(op: Operation, m: Mapper) -> list[Operation]:
    """`op` cloned under one mapper, its regions' ops expanded the same way (a marked loop
    with carried values unrolled copy by copy, as `unroll_marked` does)."""
    return copy_op(op, m, lambda ops, mapper: _side_by_side(ops, [mapper], False))
