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


def two_convs(channels: int = 8, size: int = 8) -> onnx.ModelProto:
    """Two 3x3 convs (pads 1) in a row, named conv_a and conv_b: `bench --layers` rows."""
    rng = np.random.default_rng(2)
    weights = {
        w: rng.standard_normal((channels, channels, 3, 3), dtype=np.float32) for w in ("wa", "wb")
    }
    nodes = [
        helper.make_node("Conv", ["x", "wa"], ["h"], name="conv_a", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["h", "wb"], ["y"], name="conv_b", pads=[1, 1, 1, 1]),
    ]
    shape = (1, channels, size, size)
    return make_model(nodes, {"x": shape}, {"y": shape}, weights)
