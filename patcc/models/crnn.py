"""CRNN text recogniser: convs + pools down to height 1, the width becomes the sequence,
a bidirectional LSTM reads it, and a linear layer gives class scores per time step."""

from __future__ import annotations

import onnx

from .graph import GraphBuilder


def crnn(
    height: int = 32,
    width: int = 32,
    channels: tuple[int, int, int, int] = (8, 16, 32, 32),
    hidden: int = 16,
    num_classes: int = 11,
    seed: int = 0,
) -> onnx.ModelProto:
    """Grey-scale [1, 1, height, width] in, [width/4, 1, num_classes] logits out.

    As in Shi et al.'s CRNN: 2x2 pools, then 2x1 pools (keep the width, i.e. the sequence
    length), a BN conv, and a final conv with a kernel as tall as what is left of the height.
    Exported the torch way: Squeeze the height, Transpose to [seq, batch, features], LSTM,
    Transpose/Reshape the two directions together, MatMul + Add.
    """
    if height % 16 or width % 4:
        raise ValueError(f"crnn: need height % 16 == 0 and width % 4 == 0, got {height}x{width}")
    c1, c2, c3, c4 = channels
    g = GraphBuilder("crnn", seed)
    x = g.input((1, 1, height, width))
    x = g.maxpool(g.relu(g.conv(x, c1, 3)), 2, 2)
    x = g.maxpool(g.relu(g.conv(x, c2, 3)), 2, 2)
    x = g.relu(g.bn(g.conv(x, c3, 3, bias=False)))
    x = g.maxpool(g.relu(g.conv(x, c3, 3)), (2, 1), (2, 1))
    x = g.relu(g.bn(g.conv(x, c4, 3, bias=False)))
    x = g.maxpool(x, (2, 1), (2, 1))
    x = g.relu(g.conv(x, c4, (g.shape(x)[2], 1), pad=0))  # -> height 1
    x = g.transpose(g.squeeze(x, [2]), [2, 0, 1])  # [seq, batch, features]
    seq, batch, _ = g.shape(x)
    y = g.lstm(x, hidden, bidirectional=True)  # [seq, 2, batch, hidden]
    y = g.reshape(g.transpose(y, [0, 2, 1, 3]), (seq, batch, 2 * hidden))
    out = g.matmul_linear(y, num_classes)
    return g.build({"output": out}, doc=f"crnn, seed {seed}")
