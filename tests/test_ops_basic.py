"""Activation, binary, pool and linear ops: ONNX import + interpreter against ONNX Runtime.

Each case is a tiny single- or few-node ONNX model; where ONNX changed an op's form between
opsets (Clip bounds, Softmax axis, Dropout inputs) both forms are checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import Rand, make_model, run_ort
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from xdsl.utils.exceptions import VerifyException

from patcc.dialects.nn import activation, binary, linear, pool
from patcc.dialects.nn.base import int_attr, ints_attr, tensor_f32
from patcc.errors import PatccError
from patcc.frontend import import_model
from patcc.semantics import run_function

rand = Rand(0)


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-5) -> None:
    expected = np.asarray(expected, dtype=np.float32)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    finite = expected[np.isfinite(expected)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def check(
    nodes: Sequence[onnx.NodeProto],
    feeds: Mapping[str, np.ndarray],
    outputs: Sequence[str] = ("y",),
    initializers: Mapping[str, np.ndarray] | None = None,
    opset: int = 17,
    rtol: float = 1e-5,
) -> None:
    """Import, interpret and compare every output with ONNX Runtime."""
    model = make_model(nodes, {k: v.shape for k, v in feeds.items()}, outputs, initializers, opset)
    ours = run_function(import_model(model), feeds)
    theirs = run_ort(model, feeds)
    for name in outputs:
        assert_close(ours[name], theirs[name], rtol)


def node(
    op_type: str, inputs: Sequence[str], outputs: Sequence[str] = ("y",), /, **attrs: Any
) -> onnx.NodeProto:
    return helper.make_node(op_type, list(inputs), list(outputs), **attrs)


def import_error(
    nodes: Sequence[onnx.NodeProto],
    inputs: Mapping[str, Sequence[int]],
    outputs: Sequence[str] = ("y",),
    initializers: Mapping[str, np.ndarray] | None = None,
    opset: int = 17,
) -> str:
    with pytest.raises(PatccError) as info:
        import_model(make_model(nodes, inputs, outputs, initializers, opset))
    return str(info.value)


# ---- activations ------------------------------------------------------------------------

X4 = {"x": rand(2, 3, 4, 5, scale=3.0)}


@pytest.mark.parametrize(
    ("op_type", "attrs", "opset"),
    [
        ("Relu", {}, 17),
        ("Relu", {}, 6),
        ("LeakyRelu", {}, 17),
        ("LeakyRelu", {"alpha": 0.3}, 17),
        ("Sigmoid", {}, 17),
        ("Tanh", {}, 17),
        ("HardSigmoid", {}, 17),
        ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 17),
        ("HardSwish", {}, 17),
        ("Elu", {}, 17),
        ("Elu", {"alpha": 0.5}, 17),
        ("Softplus", {}, 17),
    ],
)
def test_unary_activation(op_type: str, attrs: dict[str, Any], opset: int) -> None:
    check([node(op_type, ["x"], **attrs)], X4, opset=opset)


def test_activations_extreme_inputs() -> None:
    x = np.array([[-1e4, -100.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 100.0, 1e4]], np.float32)
    for op_type in ("Sigmoid", "Tanh", "Softplus", "Elu", "HardSwish", "HardSigmoid"):
        check([node(op_type, ["x"])], {"x": x})


def test_silu_from_sigmoid_mul() -> None:
    nodes = [node("Sigmoid", ["x"], ["s"]), node("Mul", ["x", "s"])]
    model = make_model(nodes, {"x": X4["x"].shape}, ["y"])
    module = import_model(model)
    assert "nn.silu" in str(module)
    assert_close(run_function(module, X4)["y"], run_ort(model, X4)["y"])


@pytest.mark.parametrize("slope_shape", [(1,), (3, 1, 1), (5,), (4, 5), (1, 3, 4, 5)])
def test_prelu_constant_slope(slope_shape: tuple[int, ...]) -> None:
    slope = rand(*slope_shape)
    check([node("PRelu", ["x", "slope"])], X4, initializers={"slope": slope})


def test_prelu_runtime_slope() -> None:
    check([node("PRelu", ["x", "slope"])], {**X4, "slope": rand(3, 1, 1)})


def test_prelu_slope_must_broadcast_to_input() -> None:
    message = import_error(
        [node("PRelu", ["x", "slope"])], {"x": (1, 3, 4, 5)}, initializers={"slope": rand(3)}
    )
    assert "slope shape 3 must broadcast to 1x3x4x5" in message


def test_prelu_opset6_per_channel_slope() -> None:
    x, slope = X4["x"], rand(3)
    model = make_model(
        [node("PRelu", ["x", "slope"])], {"x": x.shape}, ["y"], {"slope": slope}, opset=6
    )
    expected = np.where(x >= 0, x, x * slope.reshape(3, 1, 1))
    assert_close(run_function(import_model(model), X4)["y"], expected)


@pytest.mark.parametrize("attrs", [{}, {"min": -0.5}, {"max": 0.7}, {"min": -1.0, "max": 2.0}])
def test_clip_opset6_attributes(attrs: dict[str, float]) -> None:
    check([node("Clip", ["x"], **attrs)], X4, opset=6)


@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("bounds", [(None, None), (-0.5, None), (None, 0.7), (-1.0, 2.0)])
def test_clip_input_bounds(opset: int, bounds: tuple[float | None, float | None]) -> None:
    inits = {}
    names = ["x", "", ""]
    for i, (name, value) in enumerate(zip(("lo", "hi"), bounds, strict=True)):
        if value is not None:
            inits[name] = np.array(value, np.float32)
            names[i + 1] = name
    while names[-1] == "":
        names.pop()
    check([node("Clip", names)], X4, initializers=inits, opset=opset)


def test_clip_min_above_max_gives_max() -> None:
    inits = {"lo": np.array(1.0, np.float32), "hi": np.array(0.0, np.float32)}
    check([node("Clip", ["x", "lo", "hi"])], X4, initializers=inits, opset=13)


def test_clip_runtime_bound_is_refused() -> None:
    message = import_error([node("Clip", ["x", "lo"])], {"x": (2, 3), "lo": ()}, opset=13)
    assert "Clip's min ('lo') must be a constant" in message


def test_identity_and_dropout() -> None:
    nodes = [
        node("Identity", ["x"], ["a"]),
        node("Dropout", ["a", "ratio"], ["b", "mask"]),
        node("Relu", ["b"], ["y"]),
    ]
    check(nodes, X4, initializers={"ratio": np.array(0.5, np.float32)}, opset=13)
    check([node("Dropout", ["x"], ["b"], ratio=0.3), node("Relu", ["b"])], X4, opset=7)


def test_dropout_training_mode_is_refused() -> None:
    message = import_error(
        [node("Dropout", ["x", "ratio", "train"])],
        {"x": (2, 3)},
        initializers={"ratio": np.array(0.5, np.float32), "train": np.array(True)},
        opset=13,
    )
    assert "(Dropout): training_mode = true is not supported" in message


def test_dropout_mask_output_cannot_be_used() -> None:
    message = import_error(
        [node("Dropout", ["x"], ["b", "mask"]), node("Identity", ["mask"], ["y"])],
        {"x": (2, 3)},
        opset=13,
    )
    assert "input 'mask' is not produced by any earlier node" in message


# ---- binary -----------------------------------------------------------------------------

SHAPE_PAIRS = [
    ((2, 3, 4), (2, 3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((1,), (2, 3)),
    ((), (2, 3)),
    ((5, 1, 3, 1), (4, 1, 6)),
]


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div", "Max", "Min"])
@pytest.mark.parametrize(("a", "b"), SHAPE_PAIRS)
def test_binary_broadcast(op_type: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    check([node(op_type, ["a", "b"])], {"a": rand(*a), "b": rand(*b) + 3.0})


@pytest.mark.parametrize("op_type", ["Add", "Sub", "Mul", "Div"])
def test_binary_constant_operand(op_type: str) -> None:
    check([node(op_type, ["c", "x"])], X4, initializers={"c": rand(3, 1, 1) + 3.0})
    check([node(op_type, ["x", "c"])], X4, initializers={"c": np.array(2.5, np.float32)})


def test_div_by_zero_is_ieee() -> None:
    a = np.array([1.0, -1.0, 0.0, 2.0], np.float32)
    b = np.array([0.0, 0.0, 0.0, 4.0], np.float32)
    model = make_model([node("Div", ["a", "b"])], {"a": (4,), "b": (4,)}, ["y"])
    ours = run_function(import_model(model), {"a": a, "b": b})["y"]
    np.testing.assert_array_equal(ours, run_ort(model, {"a": a, "b": b})["y"])


@pytest.mark.parametrize("op_type", ["Sum", "Max", "Min", "Mean"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_variadic(op_type: str, count: int) -> None:
    shapes = [(2, 3, 4), (3, 1), (4,)][:count]
    feeds = {f"i{k}": rand(*s) for k, s in enumerate(shapes)}
    nodes = [node(op_type, list(feeds), ["s"]), node("Identity", ["s"])]
    check(nodes, feeds, opset=13)


def test_binary_shape_mismatch_message() -> None:
    message = import_error([node("Add", ["a", "b"])], {"a": (2, 3), "b": (4, 3)})
    assert "node 'y' (Add)" in message
    assert "operand shapes 2x3 and 4x3 are not broadcastable" in message
    assert "got 2 and 4 at axis -2" in message


def test_legacy_broadcast_axis() -> None:
    x, b = X4["x"], rand(3, 4)
    model = make_model(
        [node("Add", ["x", "b"], broadcast=1, axis=1)], {"x": x.shape}, ["y"], {"b": b}, opset=6
    )
    assert_close(run_function(import_model(model), X4)["y"], x + b.reshape(3, 4, 1))


# ---- pools ------------------------------------------------------------------------------

POOL_CASES = [
    {"kernel_shape": [2, 2], "strides": [2, 2]},
    {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
    {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1},
    {"kernel_shape": [3, 2], "strides": [2, 1], "pads": [1, 0, 2, 1], "ceil_mode": 1},
    {"kernel_shape": [3, 3], "strides": [1, 1], "auto_pad": "SAME_UPPER"},
    {"kernel_shape": [2, 3], "strides": [2, 2], "auto_pad": "SAME_LOWER"},
    {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "VALID"},
    {"kernel_shape": [2, 2], "strides": [1, 1], "dilations": [2, 2], "pads": [1, 1, 1, 1]},
]


@pytest.mark.parametrize("attrs", POOL_CASES)
def test_max_pool(attrs: dict[str, Any]) -> None:
    check([node("MaxPool", ["x"], **attrs)], {"x": rand(2, 3, 7, 8)})


@pytest.mark.parametrize("count_include_pad", [0, 1])
@pytest.mark.parametrize("attrs", POOL_CASES)
def test_avg_pool(attrs: dict[str, Any], count_include_pad: int) -> None:
    opset = 19 if "dilations" in attrs else 17
    attrs = {**attrs, "count_include_pad": count_include_pad}
    check([node("AveragePool", ["x"], **attrs)], {"x": rand(2, 3, 7, 8)}, opset=opset)


def test_pools_opset7_forms() -> None:
    x = {"x": rand(1, 2, 6, 6)}
    check([node("MaxPool", ["x"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], x, opset=7)
    attrs = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}
    check([node("AveragePool", ["x"], **attrs)], x, opset=7)


@pytest.mark.parametrize("op_type", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 6), (2, 3, 7), (1, 2, 3, 4, 5)])
def test_global_pool(op_type: str, shape: tuple[int, ...]) -> None:
    check([node(op_type, ["x"])], {"x": rand(*shape)})


def test_max_pool_indices_output_is_refused() -> None:
    message = import_error(
        [node("MaxPool", ["x"], ["y", "idx"], kernel_shape=[2, 2])], {"x": (1, 1, 4, 4)}
    )
    assert "the Indices output is not supported" in message


def test_pool_of_3d_input_is_refused() -> None:
    message = import_error([node("MaxPool", ["x"], kernel_shape=[2])], {"x": (1, 1, 4)})
    assert "only 2-D pools (4-D NCHW input) are supported, got rank 3" in message


@st.composite
def pool_params(draw: st.DrawFn) -> dict[str, Any]:
    kernel = [draw(st.integers(1, 4)) for _ in range(2)]
    dilations = [draw(st.integers(1, 2)) for _ in range(2)]
    strides = [draw(st.integers(1, 3)) for _ in range(2)]
    # ONNX Runtime requires each pad to be smaller than the kernel.
    pads = [draw(st.integers(0, kernel[i % 2] - 1)) for i in range(4)]
    size = []
    for i in range(2):  # the input must hold at least one whole window with the pads
        eff = dilations[i] * (kernel[i] - 1) + 1
        low = max(1, eff - pads[i] - pads[i + 2])
        size.append(draw(st.integers(low, low + 7)))
    return {
        "shape": (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size),
        "op_type": draw(st.sampled_from(["MaxPool", "AveragePool"])),
        "attrs": {
            "kernel_shape": kernel,
            "strides": strides,
            "pads": pads,
            "dilations": dilations,
            "ceil_mode": draw(st.integers(0, 1)),
        },
        "count_include_pad": draw(st.integers(0, 1)),
    }


@settings(deadline=None, max_examples=30)
@given(pool_params())
def test_pools_against_onnxruntime(params: dict[str, Any]) -> None:
    attrs = dict(params["attrs"])
    if params["op_type"] == "AveragePool":
        attrs["count_include_pad"] = params["count_include_pad"]
    check(
        [node(params["op_type"], ["x"], **attrs)],
        {"x": rand(*params["shape"]) + 1.0},
        opset=19,
    )


# ---- linear -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attrs",
    [{}, {"transA": 1}, {"transB": 1}, {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0}],
)
@pytest.mark.parametrize("c_shape", [None, (), (5,), (1, 5), (4, 1), (4, 5)])
def test_gemm(attrs: dict[str, Any], c_shape: tuple[int, ...] | None) -> None:
    a = rand(3, 4) if attrs.get("transA") else rand(4, 3)
    b = rand(5, 3) if attrs.get("transB") else rand(3, 5)
    inits = {"b": b}
    inputs = ["a", "b"]
    if c_shape is not None:
        inits["c"] = rand(*c_shape)
        inputs.append("c")
    check([node("Gemm", inputs, **attrs)], {"a": a}, initializers=inits, opset=13)


def test_gemm_opset6_broadcast_attribute() -> None:
    # ONNX Runtime has no Gemm before opset 7: numpy is the reference.
    a, b, c = rand(4, 3), rand(3, 5), rand(5)
    model = make_model(
        [node("Gemm", ["a", "b", "c"], broadcast=1)], {"a": a.shape}, ["y"], {"b": b, "c": c}, 6
    )
    assert_close(run_function(import_model(model), {"a": a})["y"], a @ b + c)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((4, 3), (3, 5)),
        ((3,), (3, 5)),
        ((4, 3), (3,)),
        ((3,), (3,)),
        ((2, 4, 3), (3, 5)),
        ((2, 1, 4, 3), (6, 3, 5)),
        ((3,), (2, 3, 5)),
        ((2, 4, 3), (3,)),
    ],
)
def test_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    check([node("MatMul", ["a", "b"])], {"a": rand(*a), "b": rand(*b)})


def test_matmul_inner_mismatch_message() -> None:
    message = import_error([node("MatMul", ["a", "b"])], {"a": (4, 3), "b": (2, 5)})
    assert "inner dimensions must agree: lhs 4x3 has 3 columns, rhs 2x5 has 2 rows" in message


@pytest.mark.parametrize("op_type", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, -2])
def test_softmax(op_type: str, opset: int, axis: int | None) -> None:
    attrs = {} if axis is None else {"axis": axis}
    check([node(op_type, ["x"], **attrs)], {"x": rand(2, 3, 4, scale=5.0)}, opset=opset)


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn(size: int) -> None:
    check([node("LRN", ["x"], size=size)], X4)
    check([node("LRN", ["x"], size=size, alpha=0.01, beta=0.5, bias=2.0)], X4)


@pytest.mark.parametrize("size", [2, 4])
def test_lrn_even_size(size: int) -> None:
    # ONNX Runtime refuses even sizes and onnx's reference evaluator loops over the batch
    # instead of the channels: the spec's formula, channel by channel, is the reference.
    attrs = {"size": size, "alpha": 0.01, "beta": 0.5, "bias": 2.0}
    model = make_model([node("LRN", ["x"], **attrs)], {"x": X4["x"].shape}, ["y"])
    x = X4["x"].astype(np.float64)
    channels = x.shape[1]
    square_sum = np.zeros_like(x)
    for c in range(channels):
        lo, hi = max(0, c - (size - 1) // 2), min(channels - 1, c + size // 2)
        square_sum[:, c] = (x[:, lo : hi + 1] ** 2).sum(axis=1)
    expected = x / (2.0 + 0.01 / size * square_sum) ** 0.5
    assert_close(run_function(import_model(model), X4)["y"], expected)


@pytest.mark.parametrize("opset", [9, 15])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3), (2, 3, 4)])
def test_batch_norm(opset: int, shape: tuple[int, ...]) -> None:
    c = shape[1]
    inits = {
        "scale": rand(c),
        "bias": rand(c),
        "mean": rand(c),
        "var": np.abs(rand(c)) + 0.1,
    }
    nodes = [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], epsilon=1e-3)]
    check(nodes, {"x": rand(*shape)}, initializers=inits, opset=opset)


def test_batch_norm_training_outputs_are_refused() -> None:
    c = 3
    inits = {n: np.ones(c, np.float32) for n in ("scale", "bias", "mean", "var")}
    message = import_error(
        [node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y", "m", "v"])],
        {"x": (1, c, 2, 2)},
        initializers=inits,
        opset=15,
    )
    assert "only the inference form with one output is supported" in message


# ---- verifier messages ------------------------------------------------------------------


def _arg(shape: tuple[int, ...]):
    from xdsl.ir import Block

    return Block(arg_types=[tensor_f32(shape)]).args[0]


def test_verifier_names_op_and_rule() -> None:
    a, b = _arg((2, 3)), _arg((4, 3))
    bad = binary.AddOp.build(operands=[a, b], result_types=[tensor_f32((2, 3))])
    with pytest.raises(VerifyException, match=r"'nn.add': operand shapes 2x3 and 4x3 are not"):
        bad.verify()

    x = _arg((1, 2, 8, 8))
    props = {
        "kernel": ints_attr([2, 2]),
        "strides": ints_attr([0, 1]),
        "pads": ints_attr([0, 0, 0, 0]),
        "dilations": ints_attr([1, 1]),
    }
    bad_pool = pool.MaxPoolOp.build(
        operands=[x], result_types=[tensor_f32((1, 2, 4, 4))], properties=props
    )
    with pytest.raises(VerifyException, match=r"'nn.max_pool': strides must be 2 positive"):
        bad_pool.verify()

    relu = activation.ReluOp.build(operands=[x], result_types=[tensor_f32((1, 2, 8, 7))])
    with pytest.raises(VerifyException, match=r"'nn.relu': result shape 1x2x8x7 does not match"):
        relu.verify()

    avg = pool.AvgPoolOp.build(
        operands=[x],
        result_types=[tensor_f32((1, 2, 7, 7))],
        properties={**props, "strides": ints_attr([1, 1]), "count_include_pad": int_attr(2)},
    )
    with pytest.raises(VerifyException, match=r"'nn.avg_pool': count_include_pad must be 0 or 1"):
        avg.verify()

    matmul_ok = linear.MatMulOp.inferred([_arg((4, 3)), _arg((3, 5))])
    matmul_ok.verify()
