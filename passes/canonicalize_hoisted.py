"""canonicalize-hoisted: xDSL's canonicalize, with constants hoisted out of loop nests at once.

xDSL's `canonicalize` re-walks the whole module until nothing changes, and its
`RehoistConstInLoops` pattern moves a constant out of one `scf.for` per walk: after LRE a
constant folded inside a 5-deep conv nest took 5 more walks (plus region DCE each) of
~50 k ops, about 4/5 of the pass's time on VGG-16. This pass runs the same patterns and
folding with the same walker, and after each walk (before xDSL's region DCE) moves every
scalar constant in an `scf.for` body to where that rehoisting ends: just before the
outermost loop of its `scf.for` nest. So it stops after two walks, and the second one's
region DCE, after a walk that changed nothing, is skipped. What it leaves differs
from `canonicalize` only in the order of those constants; a scalar constant is a literal
in the C targets, so the emitted C is the same. Vector constants (C locals) are left to
the pattern, one level per walk, as in `canonicalize`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import scf
from xdsl.dialects.builtin import ModuleOp, VectorType
from xdsl.ir import Block, Operation, Region
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriterListener,
    PatternRewriteWalker,
    RewritePattern,
)
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import ConstantLike
from xdsl.transforms.canonicalize import CanonicalizationRewritePattern
from xdsl.transforms.dead_code_elimination import region_dce


def _scalar_constant(op: Operation) -> bool:
    return op.has_trait(ConstantLike) and not any(
        isinstance(r.type, VectorType) for r in op.results
    )


def hoist_constants(block: Block, outermost: scf.ForOp | None = None) -> bool:
    """Move the scalar constants of `scf.for` bodies nested in `block` before the
    outermost loop of their nest (`outermost`: the loop whose body `block` is part of, if
    any). Returns whether anything moved."""
    moved = False
    for op in list(block.ops):
        if outermost is not None and _scalar_constant(op):
            op.detach()
            Rewriter.insert_op(op, InsertPoint.before(outermost))
            moved = True
        elif isinstance(op, scf.ForOp):
            moved |= hoist_constants(op.body.block, outermost or op)
        else:
            for region in op.regions:
                for inner in region.blocks:
                    moved |= hoist_constants(inner)
    return moved


class _Cleanup:
    """The walker's post-walk step: hoist, then xDSL's region DCE, skipped after a walk that
    changed nothing (the IR is then as the last DCE left it: there is nothing to remove)."""

    def __init__(self) -> None:
        self.changed = True

    def __call__(self, region: Region, listener: PatternRewriterListener | None = None) -> bool:
        if not self.changed:
            return False
        self.changed = False
        moved = False
        for block in region.blocks:
            moved |= hoist_constants(block)
        return region_dce(region, listener) or moved


class _Tracked(RewritePattern):
    """`pattern`, noting in `cleanup` whether it changed anything."""

    def __init__(self, pattern: RewritePattern, cleanup: _Cleanup) -> None:
        self.pattern = pattern
        self.cleanup = cleanup

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        self.pattern.match_and_rewrite(op, rewriter)
        if rewriter.has_done_action:
            self.cleanup.changed = True


@dataclass(frozen=True)
class CanonicalizeHoistedPass(ModulePass):
    """Canonicalize (xDSL's patterns and folders), scalar constants hoisted out of loop
    nests after each walk."""

    name = "canonicalize-hoisted"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pattern = GreedyRewritePatternApplier(
            [CanonicalizationRewritePattern()], ctx=ctx, folding_enabled=True
        )
        cleanup = _Cleanup()
        PatternRewriteWalker(_Tracked(pattern, cleanup), post_walk_func=cleanup).rewrite_module(op)
