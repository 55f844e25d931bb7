"""reorder-filters (FKR): schedule every `pat.conv2d`'s filters for similar work side by side.

Each conv gets two properties, so the decision lives in the IR:
- `filter_order` (reordered position j -> original filter): filters sorted by kept-kernel
  count descending, then by their sorted sequence of pattern ids, then by index
  (`patcc.compression.fkw.filter_order`). Filters of equal length and similar patterns then
  meet, so a group runs with balanced work and shares pattern bodies and input loads.
  Block-pruned layers (ids rows identical within blocks of `group-size` original filters)
  have their blocks ordered instead, kept whole and aligned with the groups (the shorter
  last block last): then every group's filters share one kernel list, which the lowering's
  shared nest exploits (`patcc.lowering.shared_groups`).
- `filter_groups` (group start positions): groups of `group-size` consecutive reordered
  filters; the last group is shorter when group-size does not divide O.
Inside a filter, kernels are taken in pattern-id order (then by input channel). That order
is a function of `ids`, so it needs no property; `pack-fkw` materialises it.

The order is a schedule, not a change of meaning: a reordered filter's result is stored to
its ORIGINAL output channel (the permutation is undone on store). So every layer stays
self-contained: consumers, residual adds and concats never see a permuted channel layout,
no pass has to permute the next layer's input channels or the bias, and the interpreter
semantics of `pat.conv2d` ignores these properties (the property tests check exactly that).

The order depends on `ids` alone, so convs whose values are not constants are reordered too.
Re-running the pass recomputes the same order (it is idempotent at a fixed group size).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from patcc.compression.fkw import filter_groups, filter_order
from patcc.dialects.nn.base import ints_attr
from patcc.dialects.pat.conv import PatConv2dOp, ids_array
from patcc.errors import PatccError

DEFAULT_GROUP_SIZE = 4


@dataclass(frozen=True)
class ReorderFiltersPass(ModulePass):
    name = "reorder-filters"

    group_size: int = DEFAULT_GROUP_SIZE

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.group_size < 1:
            raise PatccError(f"reorder-filters: group-size must be >= 1, got {self.group_size}")
        for conv in [c for c in op.walk() if isinstance(c, PatConv2dOp)]:
            ids = ids_array(conv.ids)
            conv.properties["filter_order"] = ints_attr(
                filter_order(ids, len(conv.patterns), self.group_size).tolist()
            )
            conv.properties["filter_groups"] = ints_attr(
                filter_groups(ids.shape[0], self.group_size).tolist()
            )
