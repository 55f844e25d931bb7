"""A model small enough that `patcc bench` and `patcc tune` compile it in seconds."""

from __future__ import annotations

import numpy as np
import onnx
from conftest import make_model
from onnx import helper


def tiny_conv(channels: int = 8, size: int = 8) -> onnx.ModelProto:
    """One 3x3 conv (pads 1), `channels` in and out, `size` x `size`."""
    w = np.random.default_rng(1).standard_normal((channels, channels, 3, 3), dtype=np.float32)
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])
    shape = (1, channels, size, size)
    return make_model([conv], {"x": shape}, {"y": shape}, {"w": w})
