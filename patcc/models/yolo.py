"""YOLOv8-style detector, as torch exports it: BN already fused into conv biases, SiLU as
Sigmoid + Mul, C2f blocks (channel split by Split or Slice), SPPF (three chained 5x5 max
pools + Concat), nearest x2 Resize + Concat with a skip, and a detection head per level."""

from __future__ import annotations

import onnx

from .graph import GraphBuilder


def _conv(g: GraphBuilder, x: str, cout: int, k: int, stride: int = 1) -> str:
    """ultralytics `Conv`: conv (BN fused in) + SiLU."""
    return g.silu(g.conv(x, cout, k, stride=stride))


def _bottleneck(g: GraphBuilder, x: str, shortcut: bool) -> str:
    c = g.shape(x)[1]
    y = _conv(g, _conv(g, x, c, 3), c, 3)
    return g.add(x, y) if shortcut else y


def _c2f(
    g: GraphBuilder,
    x: str,
    cout: int,
    n: int = 1,
    *,
    shortcut: bool = True,
    use_slice: bool = False,
) -> str:
    """cv1 -> split in two halves -> n bottlenecks on the second -> concat all -> cv2.

    Newer exports split with `Split`; older ones (and `chunk` in some versions) with two
    `Slice` nodes: `use_slice` picks which, so both forms are covered.
    """
    c = cout // 2
    y = _conv(g, x, 2 * c, 1)
    parts = [g.slice(y, 0, c), g.slice(y, c, 2 * c)] if use_slice else g.split(y, [c, c])
    for _ in range(n):
        parts.append(_bottleneck(g, parts[-1], shortcut))
    return _conv(g, g.concat(parts), cout, 1)


def _sppf(g: GraphBuilder, x: str) -> str:
    c = g.shape(x)[1]
    y = _conv(g, x, c // 2, 1)
    pools = [y]
    for _ in range(3):
        pools.append(g.maxpool(pools[-1], 5, 1, pad=2))
    return _conv(g, g.concat(pools), c, 1)


def _detect(g: GraphBuilder, x: str, outputs: int) -> str:
    """Per-level head: conv3x3 + SiLU, then a 1x1 conv to box + class channels, flattened."""
    c = g.shape(x)[1]
    y = g.conv(_conv(g, x, c, 3), outputs, 1, gain=1.0)
    n, ch, h, w = g.shape(y)
    return g.reshape(y, (n, ch, h * w))


def yolo_style(
    size: int = 32, width: int = 8, num_classes: int = 4, seed: int = 0
) -> onnx.ModelProto:
    """Backbone to stride 8 and 16, SPPF, a top-down neck, detection at both strides.

    Output: [1, 4 + num_classes, (size/8)^2 + (size/16)^2] (boxes, class logits per anchor).
    """
    if size % 16:
        raise ValueError(f"yolo_style: size must be a multiple of 16, got {size}")
    g = GraphBuilder("yolo_style", seed)
    x = _conv(g, g.input((1, 3, size, size)), width, 3, 2)
    x = _conv(g, x, 2 * width, 3, 2)
    p3 = _c2f(g, x, 2 * width)  # stride 8
    x = _conv(g, p3, 4 * width, 3, 2)
    x = _c2f(g, x, 4 * width, use_slice=True)
    p4 = _sppf(g, x)  # stride 16
    up = g.resize(p4, 2, "nearest", "asymmetric", nearest_mode="floor")
    n3 = _c2f(g, g.concat([up, p3]), 2 * width, shortcut=False)
    heads = [_detect(g, n3, 4 + num_classes), _detect(g, p4, 4 + num_classes)]
    return g.build({"output": g.concat(heads, axis=2)}, doc=f"yolo_style, seed {seed}")
