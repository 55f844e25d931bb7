"""hypothesis: random Conv nodes (shapes, strides, asymmetric pads, dilations, groups, bias,
auto_pad) through import + interpreter equal ONNX Runtime."""

from __future__ import annotations

import numpy as np
from conftest import assert_close, make_model, run_ort
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from onnx import helper

from patcc.frontend import import_model
from patcc.semantics import run_function


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    group = draw(st.sampled_from([1, 1, 2, 3]))
    depthwise = draw(st.booleans()) and group > 1
    c = group * (1 if depthwise else draw(st.integers(1, 3)))
    o = group * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {
        "n": draw(st.integers(1, 2)),
        "c": c,
        "o": o,
        "group": group,
        "h": draw(st.integers(1, 12)),
        "w": draw(st.integers(1, 12)),
        "kernel": (kh, kw),
        "strides": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "dilations": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "pads": tuple(draw(st.integers(0, 3)) for _ in range(4)),
        "auto_pad": draw(
            st.sampled_from(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"])
        ),
        "bias": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def _fits(case: dict) -> bool:
    """The window must fit the (padded) input at least once, or ONNX Runtime refuses too."""
    for i, size in enumerate((case["h"], case["w"])):
        span = case["dilations"][i] * (case["kernel"][i] - 1) + 1
        pad = case["pads"][i] + case["pads"][i + 2] if case["auto_pad"] == "NOTSET" else 0
        if case["auto_pad"] in ("SAME_UPPER", "SAME_LOWER"):
            continue
        if size + pad < span:
            return False
    return True


@settings(max_examples=60, deadline=None)
@given(case=conv_cases())
def test_conv_matches_onnxruntime(case: dict) -> None:
    assume(_fits(case))
    # ONNX Runtime's SAME padding with dilation differs from the spec; patcc follows the spec.
    assume(case["auto_pad"] == "NOTSET" or case["dilations"] == (1, 1))
    rng = np.random.default_rng(case["seed"])
    kh, kw = case["kernel"]
    w = rng.standard_normal((case["o"], case["c"] // case["group"], kh, kw)).astype(np.float32)
    inits = {"w": w}
    if case["bias"]:
        inits["b"] = rng.standard_normal(case["o"]).astype(np.float32)
    attrs = {
        "strides": list(case["strides"]),
        "dilations": list(case["dilations"]),
        "group": case["group"],
        "kernel_shape": [kh, kw],
    }
    if case["auto_pad"] == "NOTSET":
        attrs["pads"] = list(case["pads"])
    else:
        attrs["auto_pad"] = case["auto_pad"]
    shape = [case["n"], case["c"], case["h"], case["w"]]
    model = make_model(
        [helper.make_node("Conv", ["x", *inits], ["y"], **attrs)], {"x": shape}, ["y"], inits
    )
    x = {"x": rng.standard_normal(shape).astype(np.float32)}
    assert_close(run_function(import_model(model), x)["y"], run_ort(model, x)["y"])
