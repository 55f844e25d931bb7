"""prune-connectivity: remove whole kernels of every `pat.conv2d` (id -1, values 0).

Each conv keeps round(O*C / rate) kernels, those with the largest L2 norm (ties: lower
index). Already removed kernels stay removed, so the pass is idempotent at a fixed rate.
With `block` > 1 whole units (a block of `block` filters at one input channel) are kept or
removed, as many as come closest to that count (`patcc.compression.connectivity`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.compression.connectivity import drop_empty_kernels, prune_connectivity
from patcc.compression.plan import PruneOptions
from patcc.constants import constant_op, constant_value
from patcc.dialects.pat.conv import PatConv2dOp, ids_array, ids_attr


@dataclass(frozen=True)
class PruneConnectivityPass(ModulePass):
    name = "prune-connectivity"

    rate: float = 3.6
    block: int = 1  # filters per block: kernels are removed per (block, input channel)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PruneOptions(connectivity=self.rate, block=self.block).check()
        for conv in [c for c in op.walk() if isinstance(c, PatConv2dOp)]:
            values = constant_value(conv.values)
            if values is None:
                continue
            ids, kept = prune_connectivity(ids_array(conv.ids), values, self.rate, self.block)
            ids, kept = drop_empty_kernels(ids, kept, self.block)
            new_values = constant_op(kept)
            Rewriter.insert_op(new_values, InsertPoint.before(conv))
            conv.operands[1] = new_values.result
            conv.properties["ids"] = ids_attr(ids)
