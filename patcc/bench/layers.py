"""Single-conv ONNX models cut out of a network: what `--layers` times and what the tuner
compiles to measure one layer's kernel with its real weights (and real pruning pattern)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference


@dataclass(frozen=True)
class ConvLayer:
    name: str
    model: onnx.ModelProto  # one Conv node, weights as initializers, static input shape
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    weight: np.ndarray

    @property
    def nonzero_macs(self) -> int:
        """Non-zero weights x output pixels (batch x height x width)."""
        n, _, h, w = self.output_shape
        return int(np.count_nonzero(self.weight)) * n * h * w


def _shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    graph = shape_inference.infer_shapes(model).graph
    out: dict[str, tuple[int, ...]] = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        dims = info.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            out[info.name] = tuple(int(d.dim_value) for d in dims)
    return out


def conv_layers(model: onnx.ModelProto) -> list[ConvLayer]:
    """Each Conv node with constant weights as its own model (input `x`, output `y`)."""
    shapes = _shapes(model)
    inits = {t.name: t for t in model.graph.initializer}
    opset = [o for o in model.opset_import if o.domain in ("", "ai.onnx")]
    layers = []
    for i, node in enumerate(model.graph.node):
        if node.op_type != "Conv" or node.input[1] not in inits:
            continue
        src, dst = node.input[0], node.output[0]
        if src not in shapes or dst not in shapes:
            continue
        consts = [inits[n] for n in node.input[1:] if n]
        conv = helper.make_node("Conv", ["x", *node.input[1:]], ["y"], name=node.name)
        conv.attribute.extend(node.attribute)
        graph = helper.make_graph(
            [conv],
            node.name or f"conv{i}",
            [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, shapes[src])],
            [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, shapes[dst])],
            initializer=consts,
        )
        one = helper.make_model(graph, opset_imports=opset, ir_version=model.ir_version)
        weight = numpy_helper.to_array(inits[node.input[1]])
        layers.append(ConvLayer(node.name or f"conv{i}", one, shapes[src], shapes[dst], weight))
    return layers
