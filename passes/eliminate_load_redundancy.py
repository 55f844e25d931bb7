"""eliminate-load-redundancy (LRE): one load per input vector in each register tile.

After `tile-conv`, three steps turn a tile into a register-blocked micro-kernel:

1. unroll the intra-tile loops (`pat.unroll`) and
2. jam the copies: the copies' loops of equal bounds and role fuse, so each kernel loop
   carries the whole tile's accumulators (oh rows x ow vectors) and its body holds every
   tap of every copy. Both in one expansion (`patcc.lowering.unroll_jam`): the copies are
   built side by side, a loop of equal bounds in every copy built once, and what the
   copies compute alike built once (a tile that reads a buffer it writes is unrolled as
   `patcc.lowering.unroll` does); `patcc.lowering.jam` then fuses anything left;
3. remove redundant loads in each block: two loads of the same buffer at the same address,
   with no write to that buffer between them, are one. Kernel level: the taps (dy, dx) of
   output row r read input row r*stride + dy, so rows of the tile share loads; the channel
   index and weights of the kernel are loaded once for the tile, not once per output.
   Filter level: filters of a group (an `oc` tile) share a load when their kernels read the
   same (channel, row, column) in one body.

Step 3 is ours, not xDSL's CSE: `vector.load` declares no memory effect, so CSE keeps it, and
equal addresses are often different SSA values (`(oh0 + 1) * 2 + 0` vs `oh0 * 2 + 2`): the
pass compares addresses as affine forms of their leaves. CSE then merges the pure ops the
deduplicated loads leave identical (weight broadcasts, index casts).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.traits import IsTerminator, is_side_effect_free

from patcc.lowering.effects import Effects, Root, op_effects, root
from patcc.lowering.jam import JamMemo, jam
from patcc.lowering.pattern_conv import CONV_ATTR, LOOP_ATTR
from patcc.lowering.unroll_jam import unroll_and_jam

Affine = tuple[frozenset[tuple[Hashable, int]], int]


def affine(value: SSAValue, cache: dict[SSAValue, Affine] | None = None) -> Affine:
    """value as sum(coef * leaf) + constant over addi / subi / muli-by-constant (and minsi
    of two constants: a full tile's clamped vector start, `tile-conv`); a leaf is
    an SSA value (an index_cast is its operand's leaf: casts of one load are one leaf).
    `cache` memoises the forms (the address arithmetic is shared by many loads)."""
    if cache is None:
        return _affine(value, {})
    form = cache.get(value)
    if form is None:
        form = cache[value] = _affine(value, cache)
    return form


def _affine(value: SSAValue, cache: dict[SSAValue, Affine]) -> Affine:
    owner = value.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return frozenset(), int(owner.value.value.data)
    if isinstance(owner, arith.AddiOp | arith.SubiOp):
        (lt, lc), (rt, rc) = affine(owner.lhs, cache), affine(owner.rhs, cache)
        sign = 1 if isinstance(owner, arith.AddiOp) else -1
        terms = dict(lt)
        for leaf, coef in rt:
            terms[leaf] = terms.get(leaf, 0) + sign * coef
        return frozenset((k, c) for k, c in terms.items() if c), lc + sign * rc
    if isinstance(owner, arith.MuliOp):
        (lt, lc), (rt, rc) = affine(owner.lhs, cache), affine(owner.rhs, cache)
        if not rt or not lt:
            scale, (terms, const) = (rc, (lt, lc)) if not rt else (lc, (rt, rc))
            return frozenset((k, c * scale) for k, c in terms if c * scale), const * scale
    if isinstance(owner, arith.IndexCastOp):
        return frozenset({(("index_cast", owner.input), 1)}), 0
    if isinstance(owner, arith.MinSIOp):  # a clamped vector start: constant in a full tile
        (lt, lc), (rt, rc) = affine(owner.lhs, cache), affine(owner.rhs, cache)
        if not lt and not rt:
            return frozenset(), min(lc, rc)
    return frozenset({(value, 1)}), 0


def _load_key(
    op: memref.LoadOp | vector.LoadOp, cache: dict[SSAValue, Affine] | None = None
) -> Hashable:
    buf, *indices = op.operands
    return (op.name, op.results[0].type, buf, tuple(affine(i, cache) for i in indices))


def dedupe_loads(
    block: Block,
    memo: dict[Operation, Effects] | None = None,
    forms: dict[SSAValue, Affine] | None = None,
) -> int:
    """Replace each load by an earlier equal one of this block (no write to its buffer in
    between); recurse into nested blocks. Returns the number of loads removed. `memo`
    caches op effects (see `effects`)."""
    if memo is None:
        memo = {}
    if forms is None:
        forms = {}
    removed = 0
    seen: dict[Hashable, SSAValue] = {}
    by_root: dict[Root, list[Hashable]] = {}  # a write forgets its buffer's loads only
    for op in list(block.ops):
        if isinstance(op, memref.LoadOp | vector.LoadOp):
            key = _load_key(op, forms)
            if key in seen:
                op.results[0].replace_all_uses_with(seen[key])
                Rewriter.erase_op(op)
                removed += 1
                continue
            seen[key] = op.results[0]
            by_root.setdefault(root(op.operands[0]), []).append(key)
            continue
        for region in op.regions:
            for inner in region.blocks:
                removed += dedupe_loads(inner, memo, forms)
        written = op_effects(op, memo)
        if written.unknown:
            seen.clear()
            by_root.clear()
            continue
        for buffer in written.writes:
            for key in by_root.pop(buffer, ()):
                seen.pop(key, None)
    return removed


_PURE: dict[type[Operation], bool] = {}


def _pure(op: Operation) -> bool:
    """Side-effect-free, region-free, not a terminator (cached per op class)."""
    cls = type(op)
    pure = _PURE.get(cls)
    if pure is None:
        pure = _PURE[cls] = not op.has_trait(IsTerminator) and is_side_effect_free(op)
    return pure and not op.regions


def _pure_key(op: Operation) -> Hashable:
    attrs: list[tuple[str, Attribute]] = sorted(op.attributes.items())
    props: list[tuple[str, Attribute]] = sorted(op.properties.items())
    return (type(op), tuple(op.operands), tuple(op.result_types), tuple(attrs), tuple(props))


def cse_pure(block: Block, known: dict[Hashable, Operation] | None = None) -> int:
    """CSE of the pure region-free ops (the broadcasts, casts and address arithmetic the
    deduplicated loads leave identical), scoped like xDSL's CSE: an op is replaced by an
    equal one of its block or of an enclosing block; pure ops left unused are erased.
    xDSL's `cse` does this too, but asks every loop of a nest for its nested memory
    effects (quadratic in the nest depth), which made it most of LRE's time. `known` is
    the enclosing blocks' ops; this block's are added to it and removed on return (a copy
    per block was quadratic in the nest's size)."""
    if known is None:
        known = {}
    added: list[Hashable] = []
    count = 0
    for op in list(block.ops):
        if op.regions:
            for region in op.regions:
                for inner in region.blocks:
                    count += cse_pure(inner, known)
            continue
        if not _pure(op):
            continue
        if not any(r.uses for r in op.results):
            Rewriter.erase_op(op)
            count += 1
            continue
        key = _pure_key(op)
        existing = known.get(key)
        if existing is not None:
            for old, new in zip(op.results, existing.results, strict=True):
                old.replace_all_uses_with(new)
            Rewriter.erase_op(op)
            count += 1
        else:
            known[key] = op
            added.append(key)
    for key in added:
        del known[key]
    for op in reversed(list(block.ops)):  # what the replacements left unused
        if _pure(op) and not any(r.uses for r in op.results):
            Rewriter.erase_op(op)
            count += 1
    return count


def _conv_nests(op: Operation) -> list[scf.ForOp]:
    """The outermost marked loops nested in `op`: the pattern-conv nests, in program order
    (a descent that stops at them: walking up from every marked loop, as before, took a
    twentieth of LRE once the tiles were unrolled)."""
    out: list[scf.ForOp] = []
    for region in op.regions:
        for block in region.blocks:
            for inner in block.ops:
                if isinstance(inner, scf.ForOp) and (
                    CONV_ATTR in inner.attributes or LOOP_ATTR in inner.attributes
                ):
                    out.append(inner)
                else:
                    out += _conv_nests(inner)
    return out


@dataclass(frozen=True)
class EliminateLoadRedundancyPass(ModulePass):
    """Unroll and jam tile-conv's tiles, then load each input vector once per tile."""

    name = "eliminate-load-redundancy"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        unroll_and_jam(op.body.block)
        for nest in _conv_nests(op):
            memo = JamMemo()
            jam(nest.body.block, memo)
            dedupe_loads(nest.body.block, memo.effects)  # jam's effects hold after it
            cse_pure(nest.body.block)
