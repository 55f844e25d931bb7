"""A small ONNX graph builder with shape tracking, shared by the model families.

The builders read like the networks they describe (`x = g.conv(x, 64, 3)`) instead of a wall
of `onnx.helper` calls; every tensor's static shape is known at build time, so channel counts
and flatten sizes never have to be worked out by hand. Weights are drawn from one seeded
numpy generator with He-style scaling, so activations stay O(1) through deep nets and a
tolerance check against ONNX Runtime compares numbers of a meaningful size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

Shape = tuple[int, ...]

OPSET = 17
# IR version 8 pairs with opset 17; pinning it keeps the models loadable by older runtimes.
IR_VERSION = 8
CHECK_LIMIT_BYTES = 64 << 20


def conv_out(size: int, kernel: int, stride: int, pad_begin: int, pad_end: int, dil: int) -> int:
    """ONNX Conv/MaxPool output size (floor mode)."""
    return (size + pad_begin + pad_end - dil * (kernel - 1) - 1) // stride + 1


class GraphBuilder:
    """Accumulates nodes and initializers of one graph; each method returns the output name."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        # Initializers go straight into the graph proto: copying VGG-16's 138 M weights into
        # a new proto at the end (as make_graph/make_model do) would cost seconds.
        self.model = onnx.ModelProto()
        self.graph = self.model.graph
        self.graph.name = name
        self.inputs: list[onnx.ValueInfoProto] = []
        self.shapes: dict[str, Shape] = {}
        self._counts: dict[str, int] = {}

    # ---- naming and bookkeeping ---------------------------------------------------------
    def _fresh(self, stem: str) -> str:
        n = self._counts.get(stem, 0) + 1
        self._counts[stem] = n
        return f"{stem}_{n}"

    def shape(self, name: str) -> Shape:
        return self.shapes[name]

    def input(self, shape: Sequence[int], name: str = "input") -> str:
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        self.shapes[name] = tuple(shape)
        return name

    def param(self, stem: str, array: np.ndarray) -> str:
        """A float32 (or int64 for index-like data) initializer."""
        name = self._fresh(stem)
        arr = np.asarray(array)
        dtype = np.dtype("<i8") if arr.dtype.kind in "iu" else np.dtype("<f4")
        arr = np.ascontiguousarray(arr, dtype=dtype)  # no copy when it already is
        tensor = self.graph.initializer.add()
        tensor.name = name
        tensor.data_type = helper.np_dtype_to_tensor_dtype(dtype)
        tensor.dims.extend(arr.shape)
        tensor.raw_data = arr.tobytes()  # ONNX raw_data is little-endian
        self.shapes[name] = tuple(arr.shape)
        return name

    def ints(self, stem: str, values: Sequence[int]) -> str:
        return self.param(stem, np.array(list(values), dtype=np.int64))

    def floats(self, stem: str, values: Sequence[float]) -> str:
        return self.param(stem, np.array(list(values), dtype=np.float32))

    def node(
        self,
        op_type: str,
        inputs: Sequence[str],
        shapes: Sequence[Shape],
        **attrs: Any,
    ) -> list[str]:
        """Append one node with len(shapes) outputs of the given static shapes."""
        stem = op_type.lower()
        node_name = self._fresh(stem)
        outs = [f"{node_name}_out{i}" if len(shapes) > 1 else node_name for i in range(len(shapes))]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=node_name, **attrs))
        for out, shp in zip(outs, shapes, strict=True):
            self.shapes[out] = tuple(int(d) for d in shp)
        return outs

    def node1(self, op_type: str, inputs: Sequence[str], shape: Shape, **attrs: Any) -> str:
        return self.node(op_type, inputs, [shape], **attrs)[0]

    # ---- weights ------------------------------------------------------------------------
    def he(self, shape: Sequence[int], fan_in: int, gain: float = 2.0) -> np.ndarray:
        """He-uniform (torch's kaiming_uniform_): variance gain / fan_in.

        Gain 2 keeps the second moment of activations through conv + ReLU, 1 without an
        activation. Uniform rather than normal because it is 4x faster to draw (VGG-16 has
        138 M weights), with the same variance.
        """
        bound = np.float32(np.sqrt(3.0 * gain / fan_in))
        w = self.rng.random(tuple(shape), dtype=np.float32)
        w -= np.float32(0.5)
        w *= 2 * bound
        return w

    def small(self, shape: Sequence[int], scale: float = 0.1) -> np.ndarray:
        return (self.rng.standard_normal(tuple(shape), dtype=np.float32) * scale).astype(np.float32)

    # ---- layers -------------------------------------------------------------------------
    def conv(
        self,
        x: str,
        cout: int,
        kernel: int | tuple[int, int],
        *,
        stride: int | tuple[int, int] = 1,
        pad: int | tuple[int, int] | None = None,
        group: int = 1,
        bias: bool = True,
        gain: float = 2.0,
    ) -> str:
        """Conv with 'same'-style symmetric padding k//2 unless `pad` is given."""
        n, cin, h, w = self.shape(x)
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        if pad is None:
            ph, pw = kh // 2, kw // 2
        else:
            ph, pw = (pad, pad) if isinstance(pad, int) else pad
        fan_in = cin // group * kh * kw
        inputs = [x, self.param("w", self.he((cout, cin // group, kh, kw), fan_in, gain))]
        if bias:
            inputs.append(self.param("b", self.small((cout,), 0.05)))
        oh = conv_out(h, kh, sh, ph, ph, 1)
        ow = conv_out(w, kw, sw, pw, pw, 1)
        return self.node1(
            "Conv",
            inputs,
            (n, cout, oh, ow),
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=[ph, pw, ph, pw],
            group=group,
        )

    def conv_transpose(self, x: str, cout: int, kernel: int, stride: int) -> str:
        """ConvTranspose with pads 0 (kernel == stride doubles the size exactly)."""
        n, cin, h, w = self.shape(x)
        weight = self.he((cin, cout, kernel, kernel), cin * kernel * kernel // (stride * stride))
        inputs = [x, self.param("w", weight), self.param("b", self.small((cout,), 0.05))]
        oh = (h - 1) * stride + kernel
        ow = (w - 1) * stride + kernel
        return self.node1(
            "ConvTranspose",
            inputs,
            (n, cout, oh, ow),
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
        )

    def bn(self, x: str, *, gamma: tuple[float, float] = (0.7, 1.3)) -> str:
        """Inference-mode BatchNormalization with plausible running statistics."""
        c = self.shape(x)[1]
        rng = self.rng
        scale = rng.uniform(*gamma, size=c).astype(np.float32)
        beta = self.small((c,), 0.1)
        mean = self.small((c,), 0.1)
        var = rng.uniform(0.7, 1.3, size=c).astype(np.float32)
        inputs = [x] + [
            self.param(s, a)
            for s, a in zip(("gamma", "beta", "mean", "var"), (scale, beta, mean, var), strict=True)
        ]
        return self.node1("BatchNormalization", inputs, self.shape(x), epsilon=1e-5)

    def unary(self, op_type: str, x: str, **attrs: Any) -> str:
        return self.node1(op_type, [x], self.shape(x), **attrs)

    def relu(self, x: str) -> str:
        return self.unary("Relu", x)

    def silu(self, x: str) -> str:
        """SiLU the way torch exports it: Sigmoid then Mul."""
        return self.mul(x, self.unary("Sigmoid", x))

    def hardswish(self, x: str) -> str:
        return self.unary("HardSwish", x)

    def hardsigmoid(self, x: str) -> str:
        # torch.nn.Hardsigmoid = relu6(x + 3) / 6.
        return self.unary("HardSigmoid", x, alpha=1.0 / 6.0, beta=0.5)

    def _broadcast(self, a: str, b: str) -> Shape:
        return tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))

    def add(self, a: str, b: str) -> str:
        return self.node1("Add", [a, b], self._broadcast(a, b))

    def mul(self, a: str, b: str) -> str:
        return self.node1("Mul", [a, b], self._broadcast(a, b))

    def maxpool(
        self, x: str, kernel: int | tuple[int, int], stride: int | tuple[int, int], pad: int = 0
    ) -> str:
        n, c, h, w = self.shape(x)
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        shape = (n, c, conv_out(h, kh, sh, pad, pad, 1), conv_out(w, kw, sw, pad, pad, 1))
        return self.node1(
            "MaxPool",
            [x],
            shape,
            kernel_shape=[kh, kw],
            strides=[sh, sw],
            pads=[pad, pad, pad, pad],
        )

    def global_avgpool(self, x: str) -> str:
        n, c = self.shape(x)[:2]
        return self.node1("GlobalAveragePool", [x], (n, c, 1, 1))

    def flatten(self, x: str) -> str:
        shape = self.shape(x)
        return self.node1("Flatten", [x], (shape[0], int(np.prod(shape[1:]))), axis=1)

    def gemm(self, x: str, nout: int, *, gain: float = 2.0) -> str:
        """torch.nn.Linear as exported: Gemm with transB=1 (weight stored [out, in])."""
        n, nin = self.shape(x)
        w = self.param("fc_w", self.he((nout, nin), nin, gain))
        b = self.param("fc_b", self.small((nout,), 0.05))
        return self.node1("Gemm", [x, w, b], (n, nout), transB=1)

    def matmul_linear(self, x: str, nout: int, *, gain: float = 1.0) -> str:
        """torch.nn.Linear on a >2-D tensor as exported: MatMul by [in, out] then Add bias."""
        shape = self.shape(x)
        nin = shape[-1]
        w = self.param("mm_w", self.he((nin, nout), nin, gain))
        y = self.node1("MatMul", [x, w], (*shape[:-1], nout))
        return self.add(y, self.param("mm_b", self.small((nout,), 0.05)))

    def concat(self, xs: Sequence[str], axis: int = 1) -> str:
        shapes = [self.shape(x) for x in xs]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        return self.node1("Concat", list(xs), tuple(out), axis=axis)

    def split(self, x: str, sizes: Sequence[int], axis: int = 1) -> list[str]:
        """Split with sizes as an input (opset >= 13)."""
        shape = self.shape(x)
        outs = []
        for s in sizes:
            o = list(shape)
            o[axis] = s
            outs.append(tuple(o))
        return self.node("Split", [x, self.ints("split", sizes)], outs, axis=axis)

    def slice(self, x: str, start: int, end: int, axis: int = 1) -> str:
        """Slice with constant starts/ends/axes inputs, as torch exports `x[:, a:b]`."""
        shape = list(self.shape(x))
        shape[axis] = min(end, shape[axis]) - start
        inputs = [
            x,
            self.ints("starts", [start]),
            self.ints("ends", [end]),
            self.ints("axes", [axis]),
        ]
        return self.node1("Slice", inputs, tuple(shape))

    def resize(self, x: str, scale: int, mode: str, transform: str, **attrs: Any) -> str:
        """Resize by an integer factor in H and W through the scales input (roi left empty)."""
        n, c, h, w = self.shape(x)
        scales = self.floats("scales", [1.0, 1.0, float(scale), float(scale)])
        return self.node1(
            "Resize",
            [x, "", scales],
            (n, c, h * scale, w * scale),
            mode=mode,
            coordinate_transformation_mode=transform,
            **attrs,
        )

    def reshape(self, x: str, shape: Sequence[int]) -> str:
        """Reshape to a fully static target (no -1/0, so the tracked shape is exact)."""
        assert int(np.prod(shape)) == int(np.prod(self.shape(x))), (shape, self.shape(x))
        return self.node1("Reshape", [x, self.ints("shape", shape)], tuple(shape))

    def transpose(self, x: str, perm: Sequence[int]) -> str:
        shape = self.shape(x)
        return self.node1("Transpose", [x], tuple(shape[p] for p in perm), perm=list(perm))

    def squeeze(self, x: str, axes: Sequence[int]) -> str:
        shape = self.shape(x)
        assert all(shape[a] == 1 for a in axes)
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
        return self.node1("Squeeze", [x, self.ints("axes", axes)], out)

    def lstm(self, x: str, hidden: int, *, bidirectional: bool) -> str:
        """ONNX LSTM (layout 0: X is [seq, batch, in]); returns Y, [seq, dirs, batch, hidden].

        Weights are uniform(+-1/sqrt(hidden)) like torch.nn.LSTM's initialisation.
        """
        seq, batch, nin = self.shape(x)
        dirs = 2 if bidirectional else 1
        bound = 1.0 / np.sqrt(hidden)

        def uni(shape: Sequence[int]) -> np.ndarray:
            return self.rng.uniform(-bound, bound, size=tuple(shape)).astype(np.float32)

        w = self.param("lstm_w", uni((dirs, 4 * hidden, nin)))
        r = self.param("lstm_r", uni((dirs, 4 * hidden, hidden)))
        b = self.param("lstm_b", uni((dirs, 8 * hidden)))
        outs = self.node(
            "LSTM",
            [x, w, r, b],
            [(seq, dirs, batch, hidden), (dirs, batch, hidden), (dirs, batch, hidden)],
            hidden_size=hidden,
            direction="bidirectional" if bidirectional else "forward",
        )
        return outs[0]

    # ---- the model ----------------------------------------------------------------------
    def build(self, outputs: dict[str, str], doc: str = "") -> onnx.ModelProto:
        """The model; `outputs` maps the graph output names wanted to the tensors built.

        Tensors are renamed in place (no Identity nodes), so the graph stays as exported.
        """
        rename = {tensor: name for name, tensor in outputs.items()}
        for node in self.nodes:
            for i, o in enumerate(node.output):
                node.output[i] = rename.get(o, o)
            for i, n in enumerate(node.input):
                node.input[i] = rename.get(n, n)
        outs = [
            helper.make_tensor_value_info(name, TensorProto.FLOAT, list(self.shapes[tensor]))
            for name, tensor in outputs.items()
        ]
        graph = self.graph
        graph.node.extend(self.nodes)
        graph.input.extend(self.inputs)
        graph.output.extend(outs)
        model = self.model
        model.ir_version = IR_VERSION
        model.opset_import.append(helper.make_opsetid("", OPSET))
        model.producer_name = "patcc.models"
        model.doc_string = doc
        # The checker serialises the whole model: seconds for VGG-16's 553 MB. Large models
        # skip it here; the same builders at small sizes are checked by the test suite.
        if sum(len(t.raw_data) for t in graph.initializer) <= CHECK_LIMIT_BYTES:
            onnx.checker.check_model(model)
        return model


__all__ = ["OPSET", "GraphBuilder", "conv_out"]
