"""ResNets: BatchNormalization after every conv (unfused, as exported; patcc folds it at
import), residual Add, strided downsampling with a 1x1 conv + BN shortcut."""

from __future__ import annotations

from collections.abc import Sequence

import onnx

from .graph import GraphBuilder

# The last BN of a residual branch gets a small scale (like zero-init-residual training), so
# the sum x + f(x) grows slowly with depth and activations stay O(1) even in ResNet-50.
_BRANCH_END_GAMMA = (0.2, 0.5)


def _conv_bn(
    g: GraphBuilder,
    x: str,
    cout: int,
    k: int,
    stride: int = 1,
    *,
    relu: bool = True,
    last: bool = False,
) -> str:
    y = g.conv(x, cout, k, stride=stride, bias=False)
    y = g.bn(y, gamma=_BRANCH_END_GAMMA) if last else g.bn(y)
    return g.relu(y) if relu else y


def _shortcut(g: GraphBuilder, x: str, cout: int, stride: int) -> str:
    if stride == 1 and g.shape(x)[1] == cout:
        return x
    return _conv_bn(g, x, cout, 1, stride, relu=False)


def _basic_block(g: GraphBuilder, x: str, cout: int, stride: int) -> str:
    y = _conv_bn(g, x, cout, 3, stride)
    y = _conv_bn(g, y, cout, 3, relu=False, last=True)
    return g.relu(g.add(y, _shortcut(g, x, cout, stride)))


def _bottleneck(g: GraphBuilder, x: str, width: int, stride: int, expansion: int = 4) -> str:
    """torchvision's ResNet v1.5 bottleneck: the stride sits on the 3x3 conv."""
    y = _conv_bn(g, x, width, 1)
    y = _conv_bn(g, y, width, 3, stride)
    y = _conv_bn(g, y, width * expansion, 1, relu=False, last=True)
    return g.relu(g.add(y, _shortcut(g, x, width * expansion, stride)))


def _head(g: GraphBuilder, x: str, num_classes: int) -> str:
    return g.gemm(g.flatten(g.global_avgpool(x)), num_classes, gain=1.0)


def resnet_style(
    size: int = 32,
    widths: Sequence[int] = (8, 16, 32),
    blocks: Sequence[int] = (1, 1, 1),
    num_classes: int = 10,
    seed: int = 0,
) -> onnx.ModelProto:
    """A small CIFAR-style ResNet of basic blocks; stages after the first halve the size."""
    g = GraphBuilder("resnet_style", seed)
    x = _conv_bn(g, g.input((1, 3, size, size)), widths[0], 3)
    for stage, (width, count) in enumerate(zip(widths, blocks, strict=True)):
        for i in range(count):
            x = _basic_block(g, x, width, 2 if stage > 0 and i == 0 else 1)
    return g.build({"output": _head(g, x, num_classes)}, doc=f"resnet_style, seed {seed}")


def resnet50(size: int = 224, num_classes: int = 1000, seed: int = 0) -> onnx.ModelProto:
    """ResNet-50: 7x7/2 stem + 3x3/2 max pool, bottleneck stages [3, 4, 6, 3] (25.6 M weights)."""
    g = GraphBuilder("resnet50", seed)
    x = g.input((1, 3, size, size))
    x = g.maxpool(_conv_bn(g, x, 64, 7, 2), 3, 2, pad=1)
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True)):
        for i in range(count):
            x = _bottleneck(g, x, width, 2 if stage > 0 and i == 0 else 1)
    return g.build({"output": _head(g, x, num_classes)}, doc=f"resnet50, seed {seed}")
