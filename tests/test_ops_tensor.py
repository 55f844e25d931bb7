"""Data-movement ops, conv_transpose and lstm: ONNX import + interpreter against ONNX Runtime.

Each model is a few nodes built with onnx.helper, in the current opset form and in the older
form where ONNX moved an attribute to an input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import Rand, make_model, run_ort
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import ArrayLike
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from patcc.errors import PatccError
from patcc.frontend import import_model
from patcc.semantics import run_function

rand = Rand(0)


def check(
    model: onnx.ModelProto,
    feeds: dict[str, np.ndarray],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> None:
    """patcc's import + interpreter give ONNX Runtime's outputs (shapes included)."""
    module = import_model(model)
    got = run_function(module, feeds)
    want = run_ort(model, feeds)
    for info in model.graph.output:
        actual, expected = got[info.name], want[info.name]
        assert actual.shape == expected.shape, info.name
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=info.name)


def i64(values: ArrayLike) -> np.ndarray:
    return np.array(values, dtype=np.int64)


# ---- concat ---------------------------------------------------------------------------------


@pytest.mark.parametrize("opset", [11, 17])
def test_concat_with_constant_and_negative_axis(opset: int) -> None:
    node = helper.make_node("Concat", ["a", "b", "k"], ["y"], axis=-3)
    model = make_model(
        [node],
        {"a": [1, 2, 3, 4], "b": [1, 3, 3, 4]},
        ["y"],
        opset=opset,
        initializers={"k": rand(1, 1, 3, 4)},
    )
    check(model, {"a": rand(1, 2, 3, 4), "b": rand(1, 3, 3, 4)})


# ---- slice ----------------------------------------------------------------------------------

SLICE_CASES = [
    # starts, ends, axes, steps
    ([0, 1], [2, 3], [2, 3], [1, 1]),
    ([-1], [-1000], [3], [-1]),  # reverse W completely
    ([5, 0], [1, 9999], [-1, 1], [-2, 2]),
    ([1, -3], [2**63 - 1, -1], [0, 2], [1, 1]),
    ([10], [-10], [3], [-3]),
]


@pytest.mark.parametrize("case", SLICE_CASES)
def test_slice_inputs(case: tuple[list[int], ...]) -> None:
    starts, ends, axes, steps = case
    node = helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])
    consts = {"s": i64(starts), "e": i64(ends), "a": i64(axes), "t": i64(steps)}
    model = make_model([node], {"x": [2, 3, 5, 7]}, ["y"], initializers=consts)
    check(model, {"x": rand(2, 3, 5, 7)})


def test_slice_without_axes_and_steps() -> None:
    node = helper.make_node("Slice", ["x", "s", "e"], ["y"])
    model = make_model(
        [node], {"x": [4, 6]}, ["y"], initializers={"s": i64([1, -4]), "e": i64([3, 99])}
    )
    check(model, {"x": rand(4, 6)})


def test_slice_attributes_opset9() -> None:
    node = helper.make_node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[1, 3])
    model = make_model([node], {"x": [2, 4, 5, 6]}, ["y"], opset=9)
    check(model, {"x": rand(2, 4, 5, 6)})


# ---- split ----------------------------------------------------------------------------------


def test_split_sizes_input_opset13() -> None:
    node = helper.make_node("Split", ["x", "sp"], ["a", "b", "c"], axis=1)
    model = make_model(
        [node], {"x": [1, 6, 2]}, ["a", "b", "c"], initializers={"sp": i64([1, 3, 2])}
    )
    check(model, {"x": rand(1, 6, 2)})


def test_split_attribute_opset11() -> None:
    node = helper.make_node("Split", ["x"], ["a", "b"], axis=-1, split=[3, 1])
    model = make_model([node], {"x": [2, 4]}, ["a", "b"], opset=11)
    check(model, {"x": rand(2, 4)})


@pytest.mark.parametrize("opset", [11, 17])
def test_split_equal(opset: int) -> None:
    node = helper.make_node("Split", ["x"], ["a", "b", "c"], axis=0)
    model = make_model([node], {"x": [6, 2]}, ["a", "b", "c"], opset=opset)
    check(model, {"x": rand(6, 2)})


def test_split_num_outputs_opset18_uneven() -> None:
    node = helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)
    model = make_model([node], {"x": [2, 7]}, ["a", "b", "c"], opset=18)
    check(model, {"x": rand(2, 7)})


# ---- pad ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad_inputs(mode: str) -> None:
    node = helper.make_node("Pad", ["x", "p", "v"], ["y"], mode=mode)
    consts = {"p": i64([0, 1, 2, 1, 0, 0, 1, 3]), "v": np.array(1.5, dtype=np.float32)}
    model = make_model([node], {"x": [1, 2, 4, 5]}, ["y"], initializers=consts)
    check(model, {"x": rand(1, 2, 4, 5)})


def test_pad_negative_crops() -> None:
    node = helper.make_node("Pad", ["x", "p"], ["y"])
    model = make_model(
        [node], {"x": [1, 2, 4, 5]}, ["y"], initializers={"p": i64([0, 0, -1, 2, 0, 0, 1, -2])}
    )
    check(model, {"x": rand(1, 2, 4, 5)})


def test_pad_axes_opset18() -> None:
    node = helper.make_node("Pad", ["x", "p", "", "ax"], ["y"], mode="reflect")
    consts = {"p": i64([1, 2, 2, 1]), "ax": i64([-1, 2])}
    model = make_model([node], {"x": [1, 2, 4, 5]}, ["y"], opset=18, initializers=consts)
    check(model, {"x": rand(1, 2, 4, 5)})


@pytest.mark.parametrize("mode", ["constant", "edge"])
def test_pad_attributes_opset10(mode: str) -> None:
    node = helper.make_node(
        "Pad", ["x"], ["y"], mode=mode, pads=[0, 0, 1, 2, 0, 0, 2, 1], value=-2.0
    )
    model = make_model([node], {"x": [1, 3, 4, 4]}, ["y"], opset=10)
    check(model, {"x": rand(1, 3, 4, 4)})


# ---- resize / upsample ----------------------------------------------------------------------


def resize_model(
    mode: str,
    coordinate_mode: str,
    nearest_mode: str,
    shape: Sequence[int],
    *,
    scales: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    opset: int = 17,
) -> onnx.ModelProto:
    consts: dict[str, np.ndarray] = {"roi": np.zeros(0, dtype=np.float32)}
    inputs = ["x", "roi", "", ""]
    if scales is not None:
        consts["sc"] = np.array(scales, dtype=np.float32)
        inputs[2] = "sc"
    else:
        assert sizes is not None
        consts["sz"] = i64(sizes)
        inputs[3] = "sz"
        if opset < 13:
            consts["sc"] = np.zeros(0, dtype=np.float32)
            inputs[2] = "sc"
    node = helper.make_node(
        "Resize",
        [n for n in inputs if n] if scales is not None and opset >= 13 else inputs,
        ["y"],
        mode=mode,
        coordinate_transformation_mode=coordinate_mode,
        nearest_mode=nearest_mode,
    )
    return make_model([node], {"x": list(shape)}, ["y"], opset=opset, initializers=consts)


@pytest.mark.parametrize("opset", [11, 17])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_sizes(opset: int, mode: str) -> None:
    model = resize_model(
        mode, "half_pixel", "round_prefer_ceil", [1, 2, 3, 5], sizes=[1, 2, 7, 4], opset=opset
    )
    check(model, {"x": rand(1, 2, 3, 5)})


@pytest.mark.parametrize("opset", [11, 17])
def test_resize_scales_align_corners(opset: int) -> None:
    model = resize_model(
        "linear", "align_corners", "floor", [1, 1, 4, 4], scales=[1, 1, 2, 0.5], opset=opset
    )
    check(model, {"x": rand(1, 1, 4, 4)})


def test_resize_axes_opset18() -> None:
    node = helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="nearest", axes=[3, 2])
    model = make_model(
        [node],
        {"x": [1, 2, 3, 4]},
        ["y"],
        opset=18,
        initializers={"sc": np.array([2.0, 3.0], np.float32)},
    )
    check(model, {"x": rand(1, 2, 3, 4)})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("scales", [[2, 3], [0.5, 0.6], [2, 0.5], [0.4, 3]])
def test_resize_opset10(mode: str, scales: list[float]) -> None:
    """Resize-10 rounds down when enlarging, up when shrinking, per axis."""
    node = helper.make_node("Resize", ["x", "sc"], ["y"], mode=mode)
    model = make_model(
        [node],
        {"x": [1, 2, 5, 7]},
        ["y"],
        opset=10,
        initializers={"sc": np.array([1, 1, *scales], np.float32)},
    )
    check(model, {"x": rand(1, 2, 5, 7)})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_upsample_opset9_input(mode: str) -> None:
    node = helper.make_node("Upsample", ["x", "sc"], ["y"], mode=mode)
    model = make_model(
        [node],
        {"x": [1, 2, 3, 4]},
        ["y"],
        opset=9,
        initializers={"sc": np.array([1, 1, 2, 2.5], np.float32)},
    )
    check(model, {"x": rand(1, 2, 3, 4)})


def test_upsample_opset7_attribute() -> None:
    node = helper.make_node("Upsample", ["x"], ["y"], mode="nearest", scales=[1.0, 1.0, 3.0, 2.0])
    model = make_model([node], {"x": [1, 2, 3, 4]}, ["y"], opset=7)
    check(model, {"x": rand(1, 2, 3, 4)})


RESIZE_SCALES = [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]


@settings(max_examples=30, deadline=None)
@given(
    mode=st.sampled_from(["nearest", "linear"]),
    coordinate_mode=st.sampled_from(
        ["asymmetric", "half_pixel", "align_corners", "pytorch_half_pixel"]
    ),
    nearest_mode=st.sampled_from(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]),
    hw=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    scales=st.tuples(st.sampled_from(RESIZE_SCALES), st.sampled_from(RESIZE_SCALES)),
    use_sizes=st.booleans(),
    out_hw=st.tuples(st.integers(1, 9), st.integers(1, 9)),
)
def test_resize_matches_onnxruntime(
    mode: str,
    coordinate_mode: str,
    nearest_mode: str,
    hw: tuple[int, int],
    scales: tuple[float, float],
    use_sizes: bool,
    out_hw: tuple[int, int],
) -> None:
    shape = [1, 2, *hw]
    if use_sizes:
        model = resize_model(mode, coordinate_mode, nearest_mode, shape, sizes=[1, 2, *out_hw])
    else:
        if min(int(s * d) for s, d in zip(scales, hw, strict=True)) < 1:
            return  # an empty output
        model = resize_model(mode, coordinate_mode, nearest_mode, shape, scales=[1, 1, *scales])
    check(model, {"x": rand(*shape)})


# ---- reshape family ---------------------------------------------------------------------------


@pytest.mark.parametrize("target", [[0, -1], [-1, 3, 4], [2, 0, 2, 2], [24]])
def test_reshape_zero_and_minus_one(target: list[int]) -> None:
    node = helper.make_node("Reshape", ["x", "s"], ["y"])
    model = make_model([node], {"x": [2, 3, 4]}, ["y"], initializers={"s": i64(target)})
    check(model, {"x": rand(2, 3, 4)})


def test_reshape_allowzero_keeps_zero_as_error() -> None:
    """allowzero=1 makes 0 a real size: a non-empty input cannot fit."""
    node = helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)
    model = make_model([node], {"x": [2, 3]}, ["y"], opset=14, initializers={"s": i64([0, 6])})
    with pytest.raises(PatccError, match="does not fit"):
        import_model(model)


def test_reshape_allowzero_without_zero() -> None:
    node = helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)
    model = make_model([node], {"x": [2, 3]}, ["y"], opset=14, initializers={"s": i64([3, -1])})
    check(model, {"x": rand(2, 3)})


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 4])
def test_flatten(axis: int) -> None:
    node = helper.make_node("Flatten", ["x"], ["y"], axis=axis)
    model = make_model([node], {"x": [2, 3, 4, 5]}, ["y"])
    check(model, {"x": rand(2, 3, 4, 5)})


@pytest.mark.parametrize("perm", [None, [0, 2, 3, 1], [3, 1, 0, 2]])
def test_transpose(perm: list[int] | None) -> None:
    kwargs: dict[str, Any] = {} if perm is None else {"perm": perm}
    node = helper.make_node("Transpose", ["x"], ["y"], **kwargs)
    model = make_model([node], {"x": [2, 3, 4, 5]}, ["y"])
    check(model, {"x": rand(2, 3, 4, 5)})


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_unsqueeze(opset: int) -> None:
    if opset < 13:
        nodes = [
            helper.make_node("Squeeze", ["x"], ["s"], axes=[-1, 1]),
            helper.make_node("Unsqueeze", ["s"], ["y"], axes=[0, -1]),
        ]
        consts = {}
    else:
        nodes = [
            helper.make_node("Squeeze", ["x", "a"], ["s"]),
            helper.make_node("Unsqueeze", ["s", "b"], ["y"]),
        ]
        consts = {"a": i64([-1, 1]), "b": i64([0, -1])}
    model = make_model(nodes, {"x": [2, 1, 3, 1]}, ["s", "y"], opset=opset, initializers=consts)
    check(model, {"x": rand(2, 1, 3, 1)})


def test_squeeze_all_unit_axes() -> None:
    node = helper.make_node("Squeeze", ["x"], ["y"])
    model = make_model([node], {"x": [1, 3, 1, 2]}, ["y"])
    check(model, {"x": rand(1, 3, 1, 2)})


# ---- gather ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("axis", "indices"),
    [(1, np.array(2)), (0, i64([1, 0, 1])), (-1, i64([-1, 0])), (2, i64([[0, 3], [2, 2]]))],
)
def test_gather_constant_indices(axis: int, indices: np.ndarray) -> None:
    node = helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)
    model = make_model([node], {"x": [2, 3, 4]}, ["y"], initializers={"i": indices})
    check(model, {"x": rand(2, 3, 4)})


def test_gather_runtime_indices_is_refused() -> None:
    node = helper.make_node("Gather", ["k", "x"], ["y"])
    model = make_model([node], {"x": [2]}, ["y"], initializers={"k": rand(5, 3)})
    with pytest.raises(PatccError, match="embedding lookup"):
        import_model(model)


# ---- constant folding and input shapes ----------------------------------------------------------


def test_shape_subgraph_folds_to_one_reshape() -> None:
    """torch.flatten's export: Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"]),
    ]
    consts = {"zero": np.array(0, np.int64), "axes0": i64([0]), "minus_one": i64([-1])}
    model = make_model(nodes, {"x": [2, 3, 4, 4]}, ["y"], opset=13, initializers=consts)
    module = import_model(model)
    names = [op.name for op in module.walk()]
    assert names.count("nn.reshape") == 1
    assert not {"nn.gather", "nn.concat"} & set(names)
    check(model, {"x": rand(2, 3, 4, 4)})


def test_dynamic_input_dimension_needs_input_shape() -> None:
    node = helper.make_node("Relu", ["x"], ["y"])
    model = make_model([node], {"x": ["batch", 3, 8, 8]}, ["y"])
    with pytest.raises(PatccError) as err:
        import_model(model)
    message = str(err.value)
    assert "\n" not in message
    assert "input 'x' dimension 0 ('batch') is dynamic" in message
    assert "--input-shape x=" in message
    module = import_model(model, {"x": [2, 3, 8, 8]})
    assert run_function(module, {"x": rand(2, 3, 8, 8)})["y"].shape == (2, 3, 8, 8)


# ---- conv_transpose -------------------------------------------------------------------------------


def conv_transpose_model(
    x_shape: Sequence[int], w: np.ndarray, b: np.ndarray | None, **attrs: Any
) -> onnx.ModelProto:
    consts = {"w": w} | ({} if b is None else {"b": b})
    inputs = ["x", "w"] + ([] if b is None else ["b"])
    node = helper.make_node("ConvTranspose", inputs, ["y"], **attrs)
    return make_model([node], {"x": list(x_shape)}, ["y"], initializers=consts)


def test_conv_transpose_output_shape_and_auto_pad() -> None:
    w = rand(2, 3, 3, 3)
    for attrs in (
        {"strides": [2, 2], "output_shape": [9, 10]},
        {"strides": [2, 3], "auto_pad": "SAME_UPPER"},
        {"strides": [2, 2], "auto_pad": "SAME_LOWER"},
        {"strides": [3, 2], "auto_pad": "VALID", "output_padding": [1, 0]},
    ):
        check(conv_transpose_model([1, 2, 4, 5], w, None, **attrs), {"x": rand(1, 2, 4, 5)})


@settings(max_examples=30, deadline=None)
@given(
    group=st.sampled_from([1, 2]),
    cpg=st.integers(1, 3),
    opg=st.integers(1, 3),
    hw=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilations=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    pads=st.tuples(*[st.integers(0, 2)] * 4),
    output_padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    bias=st.booleans(),
)
def test_conv_transpose_matches_onnxruntime(
    group: int,
    cpg: int,
    opg: int,
    hw: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    dilations: tuple[int, int],
    pads: tuple[int, int, int, int],
    output_padding: tuple[int, int],
    bias: bool,
) -> None:
    # ONNX Runtime requires output_padding < stride
    output_padding = (
        min(output_padding[0], strides[0] - 1),
        min(output_padding[1], strides[1] - 1),
    )
    out = [
        (hw[i] - 1) * strides[i]
        + dilations[i] * (kernel[i] - 1)
        + 1
        + output_padding[i]
        - pads[i]
        - pads[i + 2]
        for i in range(2)
    ]
    if min(out) < 1:
        return
    x_shape = [2, cpg * group, *hw]
    w = rand(cpg * group, opg, *kernel)
    b = rand(opg * group) if bias else None
    model = conv_transpose_model(
        x_shape,
        w,
        b,
        strides=list(strides),
        pads=list(pads),
        dilations=list(dilations),
        output_padding=list(output_padding),
        group=group,
    )
    check(model, {"x": rand(*x_shape)}, rtol=1e-4, atol=1e-4)


# ---- lstm -----------------------------------------------------------------------------------------


def lstm_model(
    direction: str,
    *,
    seq: int = 5,
    batch: int = 2,
    size: int = 3,
    hidden: int = 4,
    layout: int = 0,
    peepholes: bool = False,
    outputs: Sequence[str] = ("y", "y_h", "y_c"),
    **attrs: Any,
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    d = 2 if direction == "bidirectional" else 1
    consts = {
        "W": rand(d, 4 * hidden, size) * 0.5,
        "R": rand(d, 4 * hidden, hidden) * 0.5,
        "B": rand(d, 8 * hidden) * 0.5,
        "lens": np.full(batch, seq, dtype=np.int32),
    }
    if peepholes:
        consts["P"] = rand(d, 3 * hidden)
    x_shape = [batch, seq, size] if layout else [seq, batch, size]
    state = [batch, d, hidden] if layout else [d, batch, hidden]
    node = helper.make_node(
        "LSTM",
        ["x", "W", "R", "B", "lens", "h0", "c0"] + (["P"] if peepholes else []),
        list(outputs),
        hidden_size=hidden,
        direction=direction,
        layout=layout,
        **attrs,
    )
    model = make_model(
        [node],
        {"x": x_shape, "h0": state, "c0": state},
        [o for o in outputs if o],
        opset=14,
        initializers=consts,
    )
    return model, {"x": rand(*x_shape), "h0": rand(*state), "c0": rand(*state)}


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_lstm_with_initial_states(direction: str) -> None:
    model, feeds = lstm_model(direction)
    check(model, feeds, rtol=1e-4, atol=1e-5)


def test_lstm_peepholes_clip() -> None:
    model, feeds = lstm_model("bidirectional", peepholes=True, clip=0.7)
    check(model, feeds, rtol=1e-4, atol=1e-5)


def test_lstm_batch_major_against_reference() -> None:
    """layout=1 (ONNX Runtime refuses it): against onnx's reference evaluator."""
    model, feeds = lstm_model("bidirectional", layout=1, peepholes=True)
    got = run_function(import_model(model), feeds)
    want = ReferenceEvaluator(model).run(None, feeds)
    for info, expected in zip(model.graph.output, want, strict=True):
        np.testing.assert_allclose(got[info.name], np.asarray(expected), rtol=1e-4, atol=1e-5)


def test_lstm_input_forget_and_missing_outputs() -> None:
    model, feeds = lstm_model("forward", input_forget=1, outputs=("", "y_h"))
    check(model, feeds, rtol=1e-4, atol=1e-5)


def test_lstm_other_activations_are_refused() -> None:
    model, _ = lstm_model("forward", activations=["Sigmoid", "Relu", "Tanh"])
    with pytest.raises(PatccError, match="activations"):
        import_model(model)


def test_lstm_ragged_sequence_lengths_are_refused() -> None:
    model, _ = lstm_model("forward")
    for init in model.graph.initializer:
        if init.name == "lens":
            init.CopyFrom(numpy_helper.from_array(np.array([5, 3], dtype=np.int32), "lens"))
    with pytest.raises(PatccError, match="sequence_lens"):
        import_model(model)
