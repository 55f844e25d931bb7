"""Helpers shared by the interpreter functions."""

from __future__ import annotations

from typing import Any

import numpy as np


def f32_result(y: Any) -> tuple[np.ndarray]:
    """An op's one result as the interpreter returns it: a float32 array in a 1-tuple."""
    return (np.asarray(y, dtype=np.float32),)
