"""Blocks of filters, the unit of block-based pattern pruning (CoCoPIE).

With `block` = b, the filters (output channels) of a conv are cut into blocks of b
consecutive filters, o // b; the last block is shorter when b does not divide O. A
(block, input channel) pair is a *unit*: its filters keep the same input channel with the
same pattern (their weights differ), so one loaded input vector feeds b filters' FMAs.
block = 1 is per-kernel pruning (PatDNN): every kernel is its own unit.
"""

from __future__ import annotations

import numpy as np


def check_block(block: int) -> None:
    if isinstance(block, bool) or not isinstance(block, int | np.integer) or block < 1:
        raise ValueError(f"block must be an integer >= 1, got {block!r}")


def block_sizes(filters: int, block: int) -> np.ndarray:
    """(B,) int64: the number of filters of each block."""
    check_block(block)
    starts = np.arange(0, filters, block, dtype=np.int64)
    return np.diff(np.append(starts, filters))


def per_block(reduce: np.ufunc, array: np.ndarray, block: int) -> np.ndarray:
    """`reduce` (np.add, np.logical_or, ...) over the filters (axis 0) of each block, in
    filter order: (O, ...) -> (B, ...). block = 1 returns the array's values unchanged."""
    arr = np.asarray(array)
    if block == 1 or arr.shape[0] == 0:
        return arr
    return reduce.reduceat(arr, np.arange(0, arr.shape[0], block), axis=0)


def to_filters(blocks: np.ndarray, filters: int, block: int) -> np.ndarray:
    """Each block's row repeated for its filters: (B, ...) -> (O, ...)."""
    return np.repeat(np.asarray(blocks), block_sizes(filters, block), axis=0)
