"""ONNX op type -> converter. One module per `nn` dialect module, merged here."""

from __future__ import annotations

from ..context import Converter
from . import activation, binary, conv, linear, pool, rnn, tensor_ops

CONVERTERS: dict[str, Converter] = {}
for _module in (conv, activation, binary, pool, tensor_ops, linear, rnn):
    for _op_type, _converter in _module.CONVERTERS.items():
        assert _op_type not in CONVERTERS, f"two converters for {_op_type}"
        CONVERTERS[_op_type] = _converter
