"""Inference BatchNorm as a factor per filter of the conv before it.

`fold-batchnorm` multiplies a conv's filters by these factors at import, so `patcc.compile`
prunes the folded weights; `patcc.prune` ranks the same folded weights (and zeroes the
model's own), so both make the same decisions: connectivity ranks whole kernels across a
layer, and a filter scaled up by its BatchNorm keeps more of them. One function for both,
so the folded weights agree bit for bit.
"""

from __future__ import annotations

import numpy as np


def batchnorm_factor(scale: np.ndarray, var: np.ndarray, epsilon: float) -> np.ndarray:
    """scale / sqrt(var + epsilon) per channel, in float64."""
    return np.asarray(scale, np.float64) / np.sqrt(np.asarray(var, np.float64) + epsilon)


def folded_weight(weight: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """An OIHW conv weight with filter o multiplied by factor[o], as float32."""
    return (weight.astype(np.float64) * factor[:, None, None, None]).astype(np.float32)
