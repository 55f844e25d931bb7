"""hypothesis: random single-conv models (shapes, strides, pads, groups, pattern sets,
connectivity rates) compiled for x86 compute what the interpreter computes on the same IR.

Each example costs a C compile (~1 s), so there are few of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import assert_close, make_model
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from onnx import helper

import patcc
from patcc.driver import LOWER_TO_LOOPS, compression_passes
from patcc.frontend import import_model, make_context
from patcc.semantics import run_function


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    group = draw(st.sampled_from([1, 1, 1, 2]))
    cin = group * draw(st.integers(5, 9))
    cout = group * draw(st.integers(1, 6))
    kernel = draw(st.sampled_from([3, 3, 3, 1]))
    return {
        "cin": cin,
        "cout": cout,
        "group": group,
        "kernel": kernel,
        "size": (draw(st.integers(kernel, 13)), draw(st.integers(kernel, 13))),
        "stride": draw(st.sampled_from([1, 1, 2])),
        "pads": draw(st.lists(st.integers(0, 1), min_size=4, max_size=4)),
        "relu": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "patterns": draw(st.sampled_from([1, 2, 4, 8, 12])),
        "rate": draw(st.sampled_from([1.0, 1.5, 3.0])),
        "seed": draw(st.integers(0, 2**16)),
    }


def single_conv_model(case: dict):
    rng = np.random.default_rng(case["seed"])
    k, cin, cout = case["kernel"], case["cin"], case["cout"]
    inits = {"w": rng.standard_normal((cout, cin // case["group"], k, k)).astype(np.float32)}
    names = ["input", "w"]
    if case["bias"]:
        inits["b"] = rng.standard_normal(cout).astype(np.float32)
        names.append("b")
    conv_out = "conv" if case["relu"] else "output"
    nodes = [
        helper.make_node(
            "Conv",
            names,
            [conv_out],
            kernel_shape=[k, k],
            strides=[case["stride"]] * 2,
            pads=case["pads"],
            group=case["group"],
        )
    ]
    if case["relu"]:
        nodes.append(helper.make_node("Relu", ["conv"], ["output"]))
    h, w = case["size"]
    return make_model(nodes, {"input": [1, cin, h, w]}, ["output"], inits)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=conv_cases())
# one filter: canonicalize inlines the single-iteration filter loop into the function body,
# unlabelled (its loads then crossed layers in the C printer)
@example(
    case={
        "cin": 5,
        "cout": 1,
        "group": 1,
        "kernel": 3,
        "size": (4, 3),
        "stride": 1,
        "pads": [1, 0, 1, 0],
        "relu": False,
        "bias": False,
        "patterns": 1,
        "rate": 1.0,
        "seed": 0,
    }
)
# four filters, one tile: the bias broadcast of an inlined filter copy is built from a
# layer's load, so it is no shared value the printer may re-declare
@example(
    case={
        "cin": 5,
        "cout": 4,
        "group": 1,
        "kernel": 3,
        "size": (3, 8),
        "stride": 1,
        "pads": [0, 1, 0, 1],
        "relu": False,
        "bias": True,
        "patterns": 1,
        "rate": 1.0,
        "seed": 0,
    }
)
def test_compiled_conv_equals_interpreter(case: dict, tmp_path: Path) -> None:
    model = single_conv_model(case)
    compiled = patcc.compile(
        model, patterns=case["patterns"], connectivity=case["rate"], out_dir=tmp_path / "b"
    )
    module = import_model(model)
    ctx = make_context()
    for p in compression_passes(module, case["patterns"], case["rate"], vector_length=8):
        if p.name == LOWER_TO_LOOPS:
            break
        p.apply(ctx, module)
    x = np.random.default_rng(case["seed"] + 1).standard_normal(
        (1, case["cin"], *case["size"]), dtype=np.float32
    )
    expected = run_function(module, {"input": x})["output"]
    assert_close(compiled.run({"input": x})["output"], expected)
