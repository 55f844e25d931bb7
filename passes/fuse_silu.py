"""fuse-silu: x * sigmoid(x) (how exporters write SiLU/Swish) becomes one nn.silu.

One op is one thing to lower, fuse into a conv's store, and recognise in a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from patcc.dialects.nn.activation import SigmoidOp, SiluOp
from patcc.dialects.nn.binary import MulOp


class MulBySigmoidToSilu(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        lhs, rhs = op.operands
        for x, gate in ((lhs, rhs), (rhs, lhs)):
            sigmoid = gate.owner
            if isinstance(sigmoid, SigmoidOp) and sigmoid.input == x and x.type == op.result.type:
                rewriter.replace(op, SiluOp.inferred([x]))
                if sigmoid.result.uses.get_length() == 0:
                    rewriter.erase(sigmoid)
                return


@dataclass(frozen=True)
class FuseSiluPass(ModulePass):
    name = "fuse-silu"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(MulBySigmoidToSilu()).rewrite_module(op)
