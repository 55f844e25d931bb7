"""Connectivity pruning: remove whole kernels (input-to-output channel connections).

Works on the packed form of `patcc.compression.patterns` (ids (O, I) int8, -1 = removed;
values (O, I, 4) float32) and is deterministic bit for bit. The caller picks the rate per
layer (or one rate for the model) and the block size (`patcc.compression.blocks`).
"""

from __future__ import annotations

import math

import numpy as np

from .blocks import block_sizes, per_block, to_filters


def kept_kernel_count(kernels: int, rate: float) -> int:
    """How many of `kernels` kernels a layer keeps at compression `rate` (>= 1).

    round(kernels / rate), half up, at least 1 (a layer cut off from all its inputs is a
    constant: that is a model change, not a compression).
    """
    if not rate >= 1.0 or not math.isfinite(rate):
        raise ValueError(f"connectivity rate must be a finite number >= 1, got {rate}")
    if kernels == 0:
        return 0
    return max(1, min(kernels, math.floor(kernels / rate + 0.5)))


def _closest_prefix(counts: np.ndarray, target: int) -> int:
    """Length m >= 1 of the prefix of increasing `counts` closest to `target` (ties -> the
    longer prefix, i.e. half up); 0 when there is nothing to keep."""
    if counts.size == 0:
        return 0
    dist = np.abs(counts - target)
    return int(np.flatnonzero(dist == dist.min())[-1]) + 1


def prune_connectivity(
    ids: np.ndarray, values: np.ndarray, rate: float, block: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Keep about `kept_kernel_count(O*I, rate)` kernels, as whole units (`blocks`: the
    filters of one block at one input channel), those with the largest L2 norm of values.

    The units are taken in descending norm (ties: the lower row-major unit index) and the
    kept prefix is the one whose kernel count (a unit counts as its block's filters) is
    closest to the target, ties -> the larger, at least one unit: exact for block = 1, a
    multiple of `block` (give or take the shorter last block) otherwise. Units already
    removed (every id -1) stay removed and are never chosen, so at most the currently kept
    units survive; this makes pruning idempotent: prune(prune(x, r), r) == prune(x, r).
    Removed kernels get id -1 and zero values. Returns new arrays; the inputs are not modified.
    """
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    if ids.ndim != 2 or vals.shape[:2] != ids.shape or vals.ndim != 3:
        raise ValueError(
            f"ids (O, I) and values (O, I, n) do not match: {ids.shape} and {vals.shape}"
        )
    filters, channels = ids.shape
    keep = kept_kernel_count(ids.size, rate)
    present = per_block(np.logical_or, ids >= 0, block).reshape(-1)
    if keep >= ids.size:  # rate 1 (compiling a pruned model): every present unit, no ranking
        kept_units = present
    else:
        norm2 = per_block(np.add, np.square(vals.astype(np.float64)).sum(axis=2), block)
        norm2 = norm2.reshape(-1)
        norm2[~present] = -1.0  # never chosen
        order = np.argsort(-norm2, kind="stable")  # stable: equal norms keep the lower first
        unit_kernels = np.repeat(block_sizes(filters, block), channels)
        counts = np.cumsum(unit_kernels[order[: int(present.sum())]])
        kept_units = np.zeros(norm2.size, dtype=bool)
        kept_units[order[: _closest_prefix(counts, keep)]] = True
    kept = to_filters(kept_units.reshape(-1, channels), filters, block)
    out_ids = np.where(kept, ids, -1).astype(np.int8)
    out_vals = np.where(kept[..., None], vals, np.float32(0.0)).astype(np.float32)
    return out_ids, out_vals


def drop_empty_kernels(
    ids: np.ndarray, values: np.ndarray, block: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Mark units whose values are all zero as removed (-1): no code is spent on them. A
    zero kernel inside a non-zero unit keeps its id (zero values), so ids stay identical
    within a block."""
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    zero = np.logical_not(vals.any(axis=-1))
    empty = to_filters(per_block(np.logical_and, zero, block), ids.shape[0], block)
    cleared = np.where(zero[..., None], np.float32(0.0), vals).astype(np.float32)  # no -0.0
    return np.where(empty, -1, ids).astype(np.int8), cleared
