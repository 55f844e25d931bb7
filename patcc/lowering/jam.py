"""Unroll-and-jam for the tiled pattern-conv nests: sibling `scf.for` loops fuse into one.

After `tile-conv`'s intra-tile loops are unrolled (xDSL's `scf.for` unroller), a tile is a
sequence of copies — one per output row / vector / filter — each with its own loops. Loops of
equal bounds and role (the copies' vector-width loops, or their kernel loops of one pattern:
same run bounds, so same filter) fuse into one loop whose body does all copies' work per
iteration, the kernel loops carrying all the tile's accumulators in `iter_args`. That brings
the loads that read the same input vector into one block, where LRE can see them.

Fusing loop B into an earlier loop A moves B (and the ops between them B needs) up past the
ops in between, and interleaves A's and B's iterations: legal when neither reads what the
other writes. Both may write the same buffer: the loops fused here come from one conv nest,
whose iterations write distinct output elements (each output element is stored once).

xDSL 0.74 has `scf.for` unrolling (used, by LRE) but no sibling-loop fusion or unroll-and-jam,
hence this module.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.lowering.effects import Effects, effects, op_effects, ops_between
from patcc.lowering.pattern_conv import CONV_ATTR, LOOP_ATTR, PATTERN_ATTR, TILE_ATTR

_KEY_ATTRS = (CONV_ATTR, PATTERN_ATTR, LOOP_ATTR, TILE_ATTR)


def constant_int(value: SSAValue) -> int | None:
    """The value of an `arith.constant` integer/index, else None."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return int(owner.value.value.data)
    return None


def constant_trips(loop: scf.ForOp) -> int | None:
    """The trip count of a loop with constant bounds and a positive step, else None."""
    lb, ub, step = (constant_int(v) for v in (loop.lb, loop.ub, loop.step))
    if lb is None or ub is None or step is None or step <= 0:
        return None
    return max(0, -(-(ub - lb) // step))


def jam_key(loop: scf.ForOp) -> Hashable | None:
    """Loops with equal keys may fuse: same bounds (equal constants or the same values) and
    the same pattern-conv marks. None for loops the conv lowering did not mark."""
    if not any(a in loop.attributes for a in (CONV_ATTR, LOOP_ATTR)):
        return None
    bounds = tuple(
        c if (c := constant_int(v)) is not None else v for v in (loop.lb, loop.ub, loop.step)
    )
    return (bounds, tuple(str(loop.attributes.get(a)) for a in _KEY_ATTRS))


@dataclass
class JamMemo:
    """What jam caches while it rewrites one nest. `effects`: each op's memory effects (see
    `patcc.lowering.effects`). `free`: the values each op (with its nested ops) uses that are
    defined outside it, computed bottom-up once instead of walking a loop again at every
    fusion and nesting level (that walk was most of jam's time). A fusion replaces the
    results of the two loops, so free sets may name replaced values: `replaced` maps each
    to its replacement."""

    effects: dict[Operation, Effects] = field(default_factory=dict[Operation, Effects])
    free: dict[Operation, frozenset[SSAValue]] = field(
        default_factory=dict[Operation, frozenset[SSAValue]]
    )
    replaced: dict[SSAValue, SSAValue] = field(default_factory=dict[SSAValue, SSAValue])

    def free_values(self, op: Operation) -> frozenset[SSAValue]:
        values = self.free.get(op)
        if values is None:
            used: set[SSAValue] = set(op.operands)
            defined: set[SSAValue] = set()
            for region in op.regions:
                for block in region.blocks:
                    defined.update(block.args)
                    for inner in block.ops:
                        used |= self.free_values(inner)
                        defined.update(inner.results)
            values = self.free[op] = frozenset(used - defined)
        return values

    def current(self, value: SSAValue) -> SSAValue:
        while value in self.replaced:
            value = self.replaced[value]
        return value


def _needed(a: scf.ForOp, b: scf.ForOp, memo: JamMemo) -> list[Operation] | None:
    """The ops between a and b that b needs, in order; None if b depends on a."""
    between = ops_between(a, b)
    inside = set(between)
    needed: set[Operation] = set()
    stack = list(memo.free_values(b))
    while stack:
        owner = memo.current(stack.pop()).owner
        if owner is a:
            return None
        if isinstance(owner, Operation) and owner in inside and owner not in needed:
            needed.add(owner)
            stack += memo.free_values(owner)
    return [op for op in between if op in needed]


def fuse(a: scf.ForOp, b: scf.ForOp, memo: JamMemo | None = None) -> scf.ForOp | None:
    """Fuse the later sibling `b` into `a`; the fused loop, or None if not legal. `memo`
    caches what is known of the ops of their block; the fused loop's is recorded in it."""
    if memo is None:
        memo = JamMemo()
    needed = _needed(a, b, memo)
    if needed is None:
        return None
    needed_set = set(needed)
    rest = [op for op in ops_between(a, b) if op not in needed_set]
    moved, loop_a, loop_b = (
        effects(*needed, memo=memo.effects),
        effects(a, memo=memo.effects),
        effects(b, memo=memo.effects),
    )
    if moved.conflicts(loop_a) or loop_b.conflicts(loop_a, same_writes_ok=True):
        return None
    if _skipped_conflict(rest, moved, loop_b, memo.effects):
        return None
    free = memo.free_values(a) | memo.free_values(b)  # before their bodies merge
    for op in needed:
        op.detach()
        Rewriter.insert_op(op, InsertPoint.before(a))
    # a's body becomes the fused body in place (b's ops appended): re-building it would move
    # every op of a loop that has absorbed many copies once per copy (quadratic)
    block = a.body.block
    a_yield = block.last_op
    assert isinstance(a_yield, scf.YieldOp)
    yielded: list[SSAValue] = list(a_yield.operands)
    Rewriter.erase_op(a_yield)
    old = b.body.block
    iv = block.args[0]
    iv.name_hint = iv.name_hint or old.args[0].name_hint
    old.args[0].replace_all_uses_with(iv)
    memo.replaced[old.args[0]] = iv
    for arg in old.args[1:]:
        new = block.insert_arg(arg.type, len(block.args))
        new.name_hint = arg.name_hint
        arg.replace_all_uses_with(new)
        memo.replaced[arg] = new
    for op in list(old.ops):
        op.detach()
        if isinstance(op, scf.YieldOp):
            yielded += op.operands
            op.erase()
        else:
            block.add_op(op)
    # `create`, not the constructors: what they build, without irdl's checks of the
    # arguments (~5 % of LRE for VGG-16's 4 k fusions)
    block.add_op(scf.YieldOp.create(operands=yielded))
    region = a.detach_region(a.body)
    carried = [*a.iter_args, *b.iter_args]
    fused = scf.ForOp.create(
        operands=[a.lb, a.ub, a.step, *carried],
        result_types=[v.type for v in carried],
        attributes=dict(a.attributes),
        regions=[region],
    )
    Rewriter.insert_op(fused, InsertPoint.before(a))
    memo.effects[fused] = effects(a, b, memo=memo.effects)
    memo.free[fused] = free
    n = len(a.results)
    _replace(a, fused.results[:n], memo)
    _replace(b, fused.results[n:], memo)
    return fused


def _skipped_conflict(
    rest: list[Operation], moved: Effects, loop_b: Effects, memo: dict[Operation, Effects]
) -> bool:
    """`moved.conflicts(skipped) or loop_b.conflicts(skipped, same_writes_ok=True)` for
    `skipped` = the effects of `rest`, op by op: the union of the effects of every op
    between a and b, built per fusion, was a third of jam's time."""
    if moved.unknown or loop_b.unknown:
        return True
    written = moved.reads | moved.writes | loop_b.reads  # what a skipped write conflicts with
    read = moved.writes | loop_b.writes  # ... and a skipped read
    for op in rest:
        mine = op_effects(op, memo)
        if mine.unknown or mine.writes & written or mine.reads & read:
            return True
    return False


def _replace(loop: scf.ForOp, values: tuple[SSAValue, ...], memo: JamMemo) -> None:
    for old, new in zip(loop.results, values, strict=True):
        old.replace_all_uses_with(new)
        memo.replaced[old] = new
    Rewriter.erase_op(loop)


def jam(block: Block, memo: JamMemo | None = None) -> int:
    """Fuse the marked sibling loops of `block` with equal keys, then do the same inside
    every loop body (outer first, so inner copies meet in one body); returns fusions.
    `memo` caches op effects and free values (fusing changes neither but the new loop's,
    which it records, and the replaced results, which it maps)."""
    count = 0
    ops = list(block.ops)
    keys = {op: jam_key(op) for op in ops if isinstance(op, scf.ForOp)}
    gone: set[Operation] = set()
    if memo is None:
        memo = JamMemo()
    for i, a in enumerate(ops):
        if a in gone or not isinstance(a, scf.ForOp) or (key := keys[a]) is None:
            continue
        for b in ops[i + 1 :]:
            if isinstance(b, scf.ForOp) and b not in gone and keys[b] == key:
                fused = fuse(a, b, memo)
                if fused is not None:
                    gone |= {a, b}
                    a = fused
                    count += 1
    for op in block.ops:
        for region in op.regions:
            for inner in region.blocks:
                count += jam(inner, memo)
    return count
