"""MobileNetV3-style: depthwise convs (group = C), HardSwish, squeeze-excitation, BN."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import onnx

from .graph import GraphBuilder


class Block(NamedTuple):
    """One inverted-residual block, as in the MobileNetV3 paper's tables."""

    kernel: int
    expand: int
    out: int
    se: bool
    hswish: bool
    stride: int


# A scaled-down MobileNetV3-Small (first block without expansion, SE + HardSwish later on).
SMALL_BLOCKS: tuple[Block, ...] = (
    Block(3, 16, 16, True, False, 2),
    Block(3, 32, 16, False, False, 1),
    Block(5, 48, 24, True, True, 2),
    Block(5, 64, 24, True, True, 1),
)


def _act(g: GraphBuilder, x: str, hswish: bool) -> str:
    return g.hardswish(x) if hswish else g.relu(x)


# Init gains by what follows a conv: HardSwish passes less of the signal's second moment
# than ReLU, and an SE-scaled input arrives halved, so those convs get larger gains.
_GAIN = {True: 2.5, False: 2.0, None: 1.0}


def _conv_bn_act(
    g: GraphBuilder,
    x: str,
    cout: int,
    k: int,
    *,
    stride: int = 1,
    group: int = 1,
    act: bool | None,
    boost: float = 1.0,
) -> str:
    """conv + BN, then HardSwish (act=True), ReLU (act=False) or nothing (act=None)."""
    gain = _GAIN[act] * boost
    y = g.bn(g.conv(x, cout, k, stride=stride, group=group, bias=False, gain=gain))
    return y if act is None else _act(g, y, act)


def _squeeze_excite(g: GraphBuilder, x: str) -> str:
    """x * HardSigmoid(conv(Relu(conv(GlobalAveragePool(x))))): channel attention."""
    c = g.shape(x)[1]
    s = g.global_avgpool(x)
    s = g.relu(g.conv(s, max(8, c // 4), 1))
    s = g.hardsigmoid(g.conv(s, c, 1, gain=1.0))
    return g.mul(x, s)


def _block(g: GraphBuilder, x: str, b: Block) -> str:
    cin = g.shape(x)[1]
    y = x if b.expand == cin else _conv_bn_act(g, x, b.expand, 1, act=b.hswish)
    y = _conv_bn_act(g, y, b.expand, b.kernel, stride=b.stride, group=b.expand, act=b.hswish)
    if b.se:
        y = _squeeze_excite(g, y)
    y = _conv_bn_act(g, y, b.out, 1, act=None, boost=2.0 if b.se else 1.0)
    return g.add(x, y) if b.stride == 1 and cin == b.out else y


def mobilenetv3_style(
    size: int = 32,
    blocks: Sequence[Block] = SMALL_BLOCKS,
    stem: int = 16,
    last: int = 64,
    hidden: int = 128,
    num_classes: int = 10,
    seed: int = 0,
) -> onnx.ModelProto:
    """Stem conv/2 + HardSwish, inverted residual blocks, 1x1 conv, pooled HardSwish head."""
    g = GraphBuilder("mobilenetv3_style", seed)
    x = _conv_bn_act(g, g.input((1, 3, size, size)), stem, 3, stride=2, act=True)
    for b in blocks:
        x = _block(g, x, b)
    x = _conv_bn_act(g, x, last, 1, act=True)
    x = g.flatten(g.global_avgpool(x))
    x = g.hardswish(g.gemm(x, hidden, gain=_GAIN[True]))
    x = g.gemm(x, num_classes, gain=1.0)
    return g.build({"output": x}, doc=f"mobilenetv3_style, seed {seed}")
