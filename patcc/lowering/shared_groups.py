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


SHARED_GROUP = 4
"""The filters a shared nest best feeds from each load: a block-pruned group of G filters
runs as sub-groups of G's divisor nearest this (the filters of a block share their kernel
lists, so its sub-blocks do), at most 2 x SHARED_GROUP (a prime block of 5 or 7 runs
whole), else per filter. The register tile holds G accumulators per output vector and
the lowering emits G FMAs per loaded tap, so a block of 512 filters made one body of 512
accumulators (VGG-16 `--block 512`: over 400 s in the compiler, then a crash), and even
G = 8 or 16 is slower: a tile of G x 1 row x 2 vectors loads 2 vectors and G weights per
tap, 4 x 2 x 2 loads 4 vectors and 4 weights for the same 16 FMAs. Measured on VGG-16 block
16 (one thread, per layer, docs/performance.md "Large blocks"): sub-groups of 4 are
1.11-1.34x faster per conv than 8, and 8 are 1.22-1.31x faster than 16; 2 is 0.54-0.92x
of 4."""


def shared_group_size(
    offset: np.ndarray | None,
    index: np.ndarray | None,
    stride: np.ndarray | None,
    groups: Sequence[int] | None,
    preferred: int = SHARED_GROUP,
) -> int:
    """G > 1 when `groups` (FKR group starts) are equal groups of filters (the last may be
    shorter) and every full group of G consecutive filters has identical kernel lists; else
    1. G divides the FKR group size, is at most 2 x `preferred`, and is the nearest to
    `preferred` of those whose groups are identical (the smaller of two as near).
    A shorter last group runs per filter, so it need not be identical."""
    if offset is None or index is None or stride is None or groups is None or len(groups) < 1:
        return 1
    o = int(stride.shape[0])
    starts = [int(s) for s in groups]
    g = starts[1] - starts[0] if len(starts) > 1 else o
    if g < 2 or starts != list(range(0, o, g)):
        return 1
    arrays = (
        np.asarray(offset, np.int64),
        np.asarray(index, np.int64),
        np.asarray(stride, np.int64),
    )
    sizes = [d for d in range(2, min(g, 2 * preferred) + 1) if g % d == 0]
    for d in sorted(sizes, key=lambda d: (abs(d - preferred), d)):
        if _identical_groups(*arrays, d):
            return d
    return 1


def _identical_groups(off: np.ndarray, idx: np.ndarray, st: np.ndarray, g: int) -> bool:
    """Whether every full group of `g` consecutive (reordered) filters has one kernel list:
    the same run bounds (so the same lengths) and the same channels in the same order."""
    full = st.shape[0] - st.shape[0] % g
    if full == 0:
        return False
    runs = st[:full].reshape(-1, g, st.shape[1])
    if not (runs == runs[:, :1]).all():
        return False
    for j0 in range(0, full, g):
        lists = idx[off[j0] : off[j0 + g]].reshape(g, -1)
        if not (lists == lists[:1]).all():
            return False
    return True


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


__all__ = ["GROUP_ATTR", "SHARED_GROUP", "layer_group_size", "shared_group_size"]
