"""dense-conv-as-patterns: a dense 3x3 conv as a pattern conv over its input repeated three
times, for the opencl target.

The dense conv lowering is a CPU register tile (4 filters x whole rows per loop body), which
on a GPU leaves a few thousand long work items: VGG-16's dense first layer took a third of
the model's device time. The pattern conv lowering gives one output per work item. A 3x3
kernel is the sum of three patterns that share the centre,

    COVER = [0, 1, 2, 4], [3, 4, 5, 6], [4, 6, 7, 8]

each position taken by the first pattern that has it (the others hold 0 there), so

    y = pat.conv2d(concat([x, x, x], axis=1), values[O, 3C, 4], ids[o, r*C + c] = r)

is the same conv: 12 multiply-adds per kernel instead of 9, only the summation order
differs. Convs with group > 1, non-constant weights or another kernel size are left alone.
Run it after the pruning passes (a pattern conv is not pruned again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from patcc.constants import constant_op, constant_value
from patcc.dialects.nn.base import get_int, int_attr
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.nn.tensor_ops import ConcatOp
from patcc.dialects.pat import PatternsAttr, ids_attr
from patcc.dialects.pat.conv import PatConv2dOp

COVER = ((0, 1, 2, 4), (3, 4, 5, 6), (4, 6, 7, 8))


def cover_values(weight: np.ndarray) -> np.ndarray:
    """(O, C, 3, 3) dense weights -> (O, 3C, 4) pattern values: channel r*C + c holds the
    positions of kernel (o, c) that COVER[r] is the first to have."""
    o_n, c_n = weight.shape[:2]
    flat = weight.reshape(o_n, c_n, 9)
    owner = {p: r for r in reversed(range(len(COVER))) for p in COVER[r]}
    values = np.zeros((o_n, len(COVER), c_n, 4), dtype=np.float32)
    for r, pattern in enumerate(COVER):
        for t, p in enumerate(pattern):
            if owner[p] == r:
                values[:, r, :, t] = flat[:, :, p]
    return values.reshape(o_n, len(COVER) * c_n, 4)


class DenseConvAsPatterns(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: Conv2dOp, rewriter: PatternRewriter) -> None:
        weight = constant_value(op.weight)
        if weight is None or weight.shape[2:] != (3, 3) or get_int(op.properties, "group") != 1:
            return
        o_n, c_n = weight.shape[:2]
        values = constant_op(cover_values(weight))
        repeated = ConcatOp.inferred([[op.input] * len(COVER)], axis=int_attr(1))
        ids = np.repeat(np.arange(len(COVER), dtype=np.int8), c_n)
        props = {k: op.properties[k] for k in ("strides", "pads", "dilations")}
        conv = PatConv2dOp.inferred(
            [repeated.result, values.result, op.bias],
            patterns=PatternsAttr(COVER),
            ids=ids_attr(np.broadcast_to(ids, (o_n, len(ids)))),
            **props,
        )
        old_weight = op.weight.owner
        rewriter.replace(op, [values, repeated, conv])
        if isinstance(old_weight, Operation) and not old_weight.results[0].uses:
            rewriter.erase(old_weight)  # its pattern copy is the only one left


@dataclass(frozen=True)
class DenseConvAsPatternsPass(ModulePass):
    """Dense 3x3 convs as pattern convs (see the module docstring)."""

    name = "dense-conv-as-patterns"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(DenseConvAsPatterns()).rewrite_module(op)
