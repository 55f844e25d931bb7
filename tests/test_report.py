"""The per-layer table (`patcc.report`) against counts worked out from the ONNX model."""

from __future__ import annotations

import numpy as np

from patcc.frontend import import_model
from patcc.models import crnn, resnet_style, vgg_style
from patcc.report import format_table, layer_table


def test_vgg_style_macs_and_params() -> None:
    model = vgg_style(size=16, widths=(4, "M", 8), hidden=(6,), num_classes=3)
    rows = layer_table(import_model(model))
    assert [r.name for r in rows if r.macs] == ["conv2d_1", "conv2d_2", "gemm_1", "gemm_2"]
    # conv 3->4 at 16x16, conv 4->8 at 8x8, gemm 512->6, gemm 6->3.
    expected = [16 * 16 * 4 * 3 * 9, 8 * 8 * 8 * 4 * 9, 8 * 8 * 8 * 6, 6 * 3]
    assert [r.macs for r in rows if r.macs] == expected
    assert sum(r.params for r in rows) == sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert rows[0].shapes == ((1, 4, 16, 16),) and rows[0].detail == "3x3"


def test_batchnorm_is_folded_so_it_counts_as_conv_bias() -> None:
    rows = layer_table(import_model(resnet_style(size=8, widths=(4,), blocks=(1,))))
    assert not any("batch" in r.op for r in rows)
    conv = rows[0]
    assert conv.op == "nn.conv2d" and conv.params == 4 * 3 * 9 + 4


def test_lstm_macs() -> None:
    model = crnn(height=16, width=8, hidden=4)
    lstm = next(r for r in layer_table(import_model(model)) if "lstm" in r.op)
    seq, features = 2, 32  # width 8 / 4; the last conv's channels
    assert lstm.macs == seq * 1 * 2 * 4 * 4 * (features + 4)


def test_format_table_has_totals() -> None:
    rows = layer_table(import_model(vgg_style()))
    text = format_table(rows)
    total = f"{sum(r.macs for r in rows):,}"
    assert total in text.splitlines()[-3]
    assert "conv2d_1" in text and "1x8x32x32" in text
