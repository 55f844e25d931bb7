"""Connectivity pruning: remove whole kernels (input-to-output channel connections).

Works on the packed form of `patcc.compression.patterns` (ids (O, I) int8, -1 = removed;
values (O, I, 4) float32) and is deterministic bit for bit. The caller picks the rate per
layer (or one rate for the model).
"""

from __future__ import annotations

import math

import numpy as np


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


def prune_connectivity(
    ids: np.ndarray, values: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the `kept_kernel_count(O*I, rate)` kernels with the largest L2 norm of values.

    Ties: the lower flat (row-major) index is kept. Kernels already removed (id -1) stay
    removed and are never chosen, so at most the currently kept kernels survive; this makes
    pruning idempotent: prune(prune(x, r), r) == prune(x, r). Removed kernels get id -1 and
    zero values. Returns new arrays; the inputs are not modified.
    """
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    if ids.ndim != 2 or vals.shape[:2] != ids.shape or vals.ndim != 3:
        raise ValueError(
            f"ids (O, I) and values (O, I, n) do not match: {ids.shape} and {vals.shape}"
        )
    keep = kept_kernel_count(ids.size, rate)
    flat_ids = ids.reshape(-1)
    norm2 = np.square(vals.reshape(flat_ids.size, -1).astype(np.float64)).sum(axis=1)
    norm2[flat_ids < 0] = -1.0  # never chosen
    order = np.argsort(-norm2, kind="stable")  # stable: equal norms keep the lower index first
    present = int((flat_ids >= 0).sum())
    kept = np.zeros(flat_ids.size, dtype=bool)
    kept[order[: min(keep, present)]] = True
    out_ids = np.where(kept, flat_ids, -1).astype(np.int8).reshape(ids.shape)
    out_vals = np.where(kept.reshape(*ids.shape, 1), vals, np.float32(0.0)).astype(np.float32)
    return out_ids, out_vals


def drop_empty_kernels(ids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mark kernels whose values are all zero as removed (-1): no code is spent on them."""
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    empty = np.logical_not(vals.any(axis=-1))
    cleared = np.where(empty[..., None], np.float32(0.0), vals).astype(np.float32)  # no -0.0
    return np.where(empty, -1, ids).astype(np.int8), cleared
