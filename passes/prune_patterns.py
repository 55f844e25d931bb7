"""prune-patterns: dense 3x3 `nn.conv2d` with constant weights -> `pat.conv2d`.

The pattern set is chosen over the whole module (scope=model, as PatDNN) or per conv, and
every eligible kernel is projected onto its best pattern of the set; weights that already
fit a set of at most K patterns are converted losslessly. With `block` > 1 the filters of
each block of `block` consecutive filters share one pattern per input channel (block
pruning, `patcc.compression.blocks`), so their ids rows are identical. Convs left dense get a `pat.skip`
attribute saying why, so the decision is visible (and FileCheck-able) in the IR; a module
with no eligible conv is left dense (`patcc prune` reports that case as an error).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.compression.plan import ConvWeights, PruneOptions, plan_pruning
from patcc.constants import constant_op, constant_value
from patcc.dialects.nn.base import get_int
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.pat.attributes import PatternsAttr
from patcc.dialects.pat.conv import PatConv2dOp, ids_attr

SKIP_ATTR = "pat.skip"


def layer_name(index: int) -> str:
    """Convs are named by their order in the module: conv0, conv1, ..."""
    return f"conv{index}"


@dataclass(frozen=True)
class PrunePatternsPass(ModulePass):
    name = "prune-patterns"

    num_patterns: int = 8
    scope: str = "model"
    first_layer: bool = False
    block: int = 1  # filters per block: one pattern per (block, input channel)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        convs = [c for c in op.walk() if isinstance(c, Conv2dOp)]
        weighted = [(c, constant_value(c.weight)) for c in convs]
        candidates = [
            ConvWeights(layer_name(i), w, get_int(c.properties, "group"))
            for i, (c, w) in enumerate(weighted)
            if w is not None
        ]
        options = PruneOptions(
            patterns=self.num_patterns,
            connectivity=1.0,
            scope=self.scope,
            first_layer=self.first_layer,
            block=self.block,
        )
        decisions = {d.name: d for d in plan_pruning(candidates, options, require_eligible=False)}
        for i, (conv, weight) in enumerate(weighted):
            decision = decisions.get(layer_name(i))
            if decision is None or weight is None:
                conv.attributes[SKIP_ATTR] = StringAttr("weight is not a constant")
                continue
            if decision.skipped is not None:
                conv.attributes[SKIP_ATTR] = StringAttr(decision.skipped)
                continue
            assert decision.ids is not None and decision.values is not None
            values = constant_op(decision.values)
            Rewriter.insert_op(values, InsertPoint.before(conv))
            props = {k: v for k, v in conv.properties.items() if k != "group"}
            pat = PatConv2dOp.build(
                operands=[conv.input, values.result, conv.bias],
                result_types=[conv.result.type],
                properties={
                    **props,
                    "patterns": PatternsAttr(decision.patterns),
                    "ids": ids_attr(decision.ids),
                },
            )
            Rewriter.replace_op(conv, pat)
