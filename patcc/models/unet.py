"""U-Net-style segmenter: a conv + max-pool encoder, and a decoder that upsamples once with
a stride-2 ConvTranspose and once with a linear Resize, each followed by a Concat skip."""

from __future__ import annotations

import onnx

from .graph import GraphBuilder


def _double_conv(g: GraphBuilder, x: str, cout: int) -> str:
    """(conv3x3 + BN + ReLU) x 2, the U-Net building block."""
    for _ in range(2):
        x = g.relu(g.bn(g.conv(x, cout, 3, bias=False)))
    return x


def unet_style(
    size: int = 32,
    width: int = 8,
    in_channels: int = 3,
    num_classes: int = 3,
    resize_transform: str = "half_pixel",
    seed: int = 0,
) -> onnx.ModelProto:
    """Two down steps; up by ConvTranspose (k2 s2), then by bilinear Resize + 1x1 conv.

    `resize_transform` is the Resize coordinate mode: "half_pixel" is torch's
    `align_corners=False` export, "align_corners" its `align_corners=True`.
    """
    if size % 4:
        raise ValueError(f"unet_style: size must be a multiple of 4, got {size}")
    g = GraphBuilder("unet_style", seed)
    e1 = _double_conv(g, g.input((1, in_channels, size, size)), width)
    e2 = _double_conv(g, g.maxpool(e1, 2, 2), 2 * width)
    mid = _double_conv(g, g.maxpool(e2, 2, 2), 4 * width)
    up2 = g.conv_transpose(mid, 2 * width, 2, 2)
    d2 = _double_conv(g, g.concat([up2, e2]), 2 * width)
    up1 = g.conv(g.resize(d2, 2, "linear", resize_transform), width, 1)
    d1 = _double_conv(g, g.concat([up1, e1]), width)
    out = g.conv(d1, num_classes, 1, gain=1.0)
    return g.build({"output": out}, doc=f"unet_style, seed {seed}")
