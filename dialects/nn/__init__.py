"""The `nn` dialect: the graph level of patcc, on tensors inside `func.func`.

What the ONNX importer emits. Each op's shape rule lives in `infer_shapes` (see `base.py`).
"""

from xdsl.ir import Dialect, Operation

from . import activation, binary, conv, linear, pool, rnn, tensor_ops
from .base import NNOperation

ALL_OPS: list[type[NNOperation]] = [
    *conv.OPS,
    *activation.OPS,
    *binary.OPS,
    *pool.OPS,
    *tensor_ops.OPS,
    *linear.OPS,
    *rnn.OPS,
]

NN = Dialect("nn", list[type[Operation]](ALL_OPS), [])

__all__ = ["ALL_OPS", "NN", "NNOperation"]
