"""Block-shared FKR groups: when may one kernel list feed a whole group of filters?

Block pruning keeps the same input channels with the same pattern per channel in every
filter of a block, and `reorder-filters` keeps such blocks whole and aligned with its groups.
Then the G filters of a group have identical FKW kernel lists (same channels, same patterns,
same order) and differ only in their weights, so the lowering can load each input vector
once and feed G filters' FMAs with it (`pattern_conv`'s shared nest). This module reads that
property off the FKW structure arrays; it is a check, never an assumption: one group that
differs sends the whole layer back to the per-filter nest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.ir import Operation

from patcc.dialects.nn.base import get_ints

GROUP_ATTR = "pat.group"
"""On a shared group's row and column loops: the filters (accumulators per output vector)
each loaded input vector feeds, for `tile-conv`'s register-tile sizing."""


def shared_group_size(
    offset: np.ndarray | None,
    index: np.ndarray | None,
    stride: np.ndarray | None,
    groups: Sequence[int] | None,
) -> int:
    """G > 1 when `groups` (FKR group starts) are equal groups of G filters (the last may be
    shorter) and every full group's filters have identical kernel lists; else 1.
    A shorter last group runs per filter, so it need not be identical."""
    if offset is None or index is None or stride is None or groups is None or len(groups) < 1:
        return 1
    o = int(stride.shape[0])
    starts = [int(s) for s in groups]
    g = starts[1] - starts[0] if len(starts) > 1 else o
    if g < 2 or starts != list(range(0, o, g)):
        return 1
    full = o - o % g
    if full == 0:
        return 1
    off = np.asarray(offset, dtype=np.int64)
    st = np.asarray(stride, dtype=np.int64)
    st = st[:full].reshape(-1, g, st.shape[1])
    if not (st == st[:, :1]).all():  # same run bounds, so same lengths too
        return 1
    idx = np.asarray(index, dtype=np.int64)
    for j0 in range(0, full, g):
        lists = idx[off[j0] : off[j0 + g]].reshape(g, -1)
        if not (lists == lists[:1]).all():
            return 1
    return g


def layer_group_size(
    op: Operation,
    offset: np.ndarray | None,
    index: np.ndarray | None,
    stride: np.ndarray | None,
) -> int:
    """`shared_group_size` of a pattern conv with its FKR groups (`filter_groups`, set by
    reorder-filters; 1 without them)."""
    if "filter_groups" not in op.properties:
        return 1
    return shared_group_size(offset, index, stride, get_ints(op.properties, "filter_groups"))


__all__ = ["GROUP_ATTR", "layer_group_size", "shared_group_size"]
