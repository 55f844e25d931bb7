"""VGG: the built-in default model (VGG-16, the PatDNN paper's main CPU benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

import onnx

from .graph import GraphBuilder

# torchvision's configuration "D": conv widths, "M" = 2x2 max pool.
VGG16_LAYERS: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)  # fmt: skip


def _vgg(
    name: str,
    layers: Sequence[int | str],
    hidden: Sequence[int],
    *,
    size: int,
    in_channels: int,
    num_classes: int,
    seed: int,
) -> onnx.ModelProto:
    pools = sum(1 for layer in layers if layer == "M")
    if size < 2**pools:
        raise ValueError(f"{name}: size {size} is too small for {pools} 2x2 pools")
    g = GraphBuilder(name, seed)
    x = g.input((1, in_channels, size, size))
    for layer in layers:
        x = g.maxpool(x, 2, 2) if layer == "M" else g.relu(g.conv(x, int(layer), 3))
    # torchvision puts an AdaptiveAvgPool2d(7) here; at 224x224 it is the identity and the
    # exported graph has none, so neither have we (at other sizes the classifier adapts).
    x = g.flatten(x)
    for width in hidden:
        x = g.relu(g.gemm(x, width))
    x = g.gemm(x, num_classes, gain=1.0)
    return g.build({"output": x}, doc=f"{name}: random weights, seed {seed}")


def vgg16(size: int = 224, num_classes: int = 1000, seed: int = 0) -> onnx.ModelProto:
    """VGG-16: 13 conv3x3+ReLU, 5 max pools, 3 fully connected layers (138 M weights at 224).

    The first classifier layer has 512 * (size/32)^2 inputs, so any size divisible by 32
    works (size 32 pools down to 1x1 and keeps the test suite fast).
    """
    return _vgg(
        "vgg16",
        VGG16_LAYERS,
        (4096, 4096),
        size=size,
        in_channels=3,
        num_classes=num_classes,
        seed=seed,
    )


def vgg_style(
    size: int = 32,
    widths: Sequence[int | str] = (8, "M", 16, "M", 32, 32, "M"),
    hidden: Sequence[int] = (64,),
    num_classes: int = 10,
    seed: int = 0,
) -> onnx.ModelProto:
    """A small VGG (same layer kinds as VGG-16) for tests: conv3x3+ReLU stacks and pools."""
    return _vgg(
        "vgg_style",
        widths,
        hidden,
        size=size,
        in_channels=3,
        num_classes=num_classes,
        seed=seed,
    )
