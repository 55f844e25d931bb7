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

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.lowering.effects import Effects, effects, ops_between
from patcc.lowering.pattern_conv import CONV_ATTR, LOOP_ATTR, PATTERN_ATTR, TILE_ATTR

_KEY_ATTRS = (CONV_ATTR, PATTERN_ATTR, LOOP_ATTR, TILE_ATTR)


def constant_int(value: SSAValue) -> int | None:
    """The value of an `arith.constant` integer/index, else None."""
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return int(owner.value.value.data)
    return None


def jam_key(loop: scf.ForOp) -> Hashable | None:
    """Loops with equal keys may fuse: same bounds (equal constants or the same values) and
    the same pattern-conv marks. None for loops the conv lowering did not mark."""
    if not any(a in loop.attributes for a in (CONV_ATTR, LOOP_ATTR)):
        return None
    bounds = tuple(
        c if (c := constant_int(v)) is not None else v for v in (loop.lb, loop.ub, loop.step)
    )
    return (bounds, tuple(str(loop.attributes.get(a)) for a in _KEY_ATTRS))


def _uses_inside(op: Operation) -> list[SSAValue]:
    """Operands of `op` and of its nested ops."""
    return [v for inner in op.walk() for v in inner.operands]


def _needed(a: scf.ForOp, b: scf.ForOp) -> list[Operation] | None:
    """The ops between a and b that b needs, in order; None if b depends on a."""
    between = ops_between(a, b)
    inside = set(between)
    needed: set[Operation] = set()
    stack = _uses_inside(b)
    while stack:
        owner = stack.pop().owner
        if owner is a:
            return None
        if isinstance(owner, Operation) and owner in inside and owner not in needed:
            needed.add(owner)
            stack += _uses_inside(owner)
    return [op for op in between if op in needed]


def fuse(
    a: scf.ForOp, b: scf.ForOp, memo: dict[Operation, Effects] | None = None
) -> scf.ForOp | None:
    """Fuse the later sibling `b` into `a`; the fused loop, or None if not legal. `memo`
    caches the effects of the ops of their block (see `effects`); the fused loop's are
    recorded in it."""
    needed = _needed(a, b)
    if needed is None:
        return None
    needed_set = set(needed)
    rest = [op for op in ops_between(a, b) if op not in needed_set]
    if memo is None:
        memo = {}
    moved, loop_a, loop_b = (
        effects(*needed, memo=memo),
        effects(a, memo=memo),
        effects(b, memo=memo),
    )
    skipped = effects(*rest, memo=memo)
    if moved.conflicts(loop_a) or moved.conflicts(skipped):
        return None
    if loop_b.conflicts(skipped, same_writes_ok=True) or loop_b.conflicts(
        loop_a, same_writes_ok=True
    ):
        return None
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
    for arg in old.args[1:]:
        new = block.insert_arg(arg.type, len(block.args))
        new.name_hint = arg.name_hint
        arg.replace_all_uses_with(new)
    for op in list(old.ops):
        op.detach()
        if isinstance(op, scf.YieldOp):
            yielded += op.operands
            op.erase()
        else:
            block.add_op(op)
    block.add_op(scf.YieldOp(*yielded))
    region = a.detach_region(a.body)
    fused = scf.ForOp(a.lb, a.ub, a.step, [*a.iter_args, *b.iter_args], region)
    fused.attributes.update(a.attributes)
    Rewriter.insert_op(fused, InsertPoint.before(a))
    memo[fused] = effects(a, b, memo=memo)
    n = len(a.results)
    _replace(a, fused.results[:n])
    _replace(b, fused.results[n:])
    return fused


def _replace(loop: scf.ForOp, values: tuple[SSAValue, ...]) -> None:
    for old, new in zip(loop.results, values, strict=True):
        old.replace_all_uses_with(new)
    Rewriter.erase_op(loop)


def jam(block: Block, memo: dict[Operation, Effects] | None = None) -> int:
    """Fuse the marked sibling loops of `block` with equal keys, then do the same inside
    every loop body (outer first, so inner copies meet in one body); returns fusions.
    `memo` caches op effects (fusing changes no op's effects but the new loop's, which it
    records)."""
    count = 0
    ops = list(block.ops)
    keys = {op: jam_key(op) for op in ops if isinstance(op, scf.ForOp)}
    gone: set[Operation] = set()
    if memo is None:
        memo = {}
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
