"""fold-batchnorm: nn.batch_norm of a conv with constant weights becomes part of the conv.

Inference BatchNorm is a per-channel affine map, so it folds exactly into the conv's weights
and bias. Pruning then sees the weights that really run (and no separate BN layer remains to
compile); `patcc.prune` ranks the same folded weights (`patcc.compression.folding`).
Folding needs the conv result to feed only the batch norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint

from patcc.compression.folding import batchnorm_factor, folded_weight
from patcc.constants import constant_op, constant_value
from patcc.dialects.nn.base import get_float
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.nn.linear import BatchNormOp


class FoldBatchNormIntoConv(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BatchNormOp, rewriter: PatternRewriter) -> None:
        conv = op.input.owner
        if not isinstance(conv, Conv2dOp) or not conv.result.has_one_use():
            return
        weight = constant_value(conv.weight)
        params = [constant_value(v) for v in (op.scale, op.bias, op.mean, op.var)]
        if weight is None or any(p is None for p in params):
            return
        scale, shift, mean, var = (np.asarray(p, dtype=np.float64) for p in params)  # type: ignore[arg-type]
        bias = constant_value(conv.bias)
        factor = batchnorm_factor(scale, var, get_float(op.properties, "epsilon"))
        old_bias = np.zeros_like(mean) if bias is None else bias.astype(np.float64)
        new_bias = (old_bias - mean) * factor + shift
        w_const = constant_op(folded_weight(weight, factor))
        b_const = constant_op(new_bias.astype(np.float32))
        new_conv = Conv2dOp.build(
            operands=[conv.input, w_const.result, b_const.result],
            result_types=[conv.result.type],
            properties=dict(conv.properties),
        )
        for const in (w_const, b_const):
            rewriter.insert(const, InsertPoint.before(conv))
        rewriter.replace(op, new_conv)
        rewriter.erase(conv)


@dataclass(frozen=True)
class FoldBatchNormPass(ModulePass):
    name = "fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldBatchNormIntoConv()).rewrite_module(op)
