"""The `pat` dialect: #pat.patterns and pat.conv2d round-trip, verify, and run.

Random pattern sets and random pat.conv2d ops go through print -> parse in the custom and
the generic form; each verifier rule is broken once and must be reported by name; the
interpreter must agree with a dense conv of an independently (loop-)unpacked weight.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import CANDIDATES, pat_conv_props, pattern_set_strategy, print_ir
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from patcc.constants import constant_op
from patcc.dialects.nn.base import str_attr, tensor_f32
from patcc.dialects.pat import PatConv2dOp, PatternsAttr, ids_array, position_offset
from patcc.frontend import make_context
from patcc.semantics import run_function
from patcc.semantics.numpy_conv import conv2d

CTX = make_context()

pattern_sets = pattern_set_strategy()


def _parse_module(text: str) -> ModuleOp:
    module = Parser(CTX, text).parse_module()
    module.verify()
    return module


# ---- #pat.patterns ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(patterns=pattern_sets)
def test_patterns_attr_round_trip(patterns: list[tuple[int, ...]]) -> None:
    attr = PatternsAttr(patterns)
    text = print_ir(attr)
    assert text.startswith("#pat.patterns<[")
    parsed = Parser(CTX, text).parse_attribute()
    assert parsed == attr
    assert isinstance(parsed, PatternsAttr)
    assert parsed.patterns == tuple(patterns)


INVALID_SETS = [
    ([[0, 1, 3]], "pattern 0 [0, 1, 3]: a pattern must keep exactly 4 positions, got 3"),
    ([[1, 3, 4, 5], [0, 1, 4, 9]], "pattern 1 [0, 1, 4, 9]: positions must be in 0..8, got 9"),
    ([[-1, 1, 3, 4]], "positions must be in 0..8, got -1"),
    ([[0, 1, 1, 4]], "pattern 0 [0, 1, 1, 4]: positions must be distinct"),
    ([[0, 1, 2, 3]], "a pattern must keep the centre position 4"),
    ([[1, 0, 3, 4]], "positions must be in ascending order"),
    ([[0, 1, 3, 4], [1, 3, 4, 5], [0, 1, 3, 4]], "pattern 2 [0, 1, 3, 4]: duplicate of pattern 0"),
    ([], "a pattern set must have 1 to 56 patterns, got 0"),
    ([[4, 5, 7, 8]] * 57, "a pattern set must have 1 to 56 patterns, got 57"),
]


@pytest.mark.parametrize(("patterns", "message"), INVALID_SETS)
def test_patterns_attr_rejects(patterns: list[list[int]], message: str) -> None:
    with pytest.raises(VerifyException, match=f"#pat.patterns: .*{re.escape(message)}"):
        PatternsAttr(patterns)
    text = "#pat.patterns<" + ", ".join(f"[{', '.join(map(str, p))}]" for p in patterns) + ">"
    with pytest.raises(ParseError, match=re.escape(message)):
        Parser(CTX, text).parse_attribute()


def test_position_offsets() -> None:
    assert [position_offset(p) for p in (0, 4, 5, 8)] == [(-1, -1), (0, 0), (0, 1), (1, 1)]


# ---- pat.conv2d -------------------------------------------------------------------------


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    """A random valid pat.conv2d: shapes, window, pattern set, ids (with -1), values."""
    patterns = draw(pattern_sets.filter(lambda p: len(p) <= 12))
    o, c = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilations = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = draw(st.lists(st.integers(0, 2), min_size=4, max_size=4))
    h = draw(st.integers(2 * dilations[0] + 1, 9))
    w = draw(st.integers(2 * dilations[1] + 1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ids = rng.integers(-1, len(patterns), size=(o, c)).astype(np.int8)
    values = rng.standard_normal((o, c, 4)).astype(np.float32)
    values[ids == -1] = 0.0
    return {
        "patterns": patterns,
        "ids": ids,
        "values": values,
        "bias": rng.standard_normal(o).astype(np.float32) if draw(st.booleans()) else None,
        "x": rng.standard_normal((draw(st.integers(1, 2)), c, h, w)).astype(np.float32),
        "strides": strides,
        "pads": tuple(pads),
        "dilations": dilations,
        "activation": draw(st.sampled_from([None, "none", "relu", "relu6"])),
    }


def _conv_module(case: dict) -> ModuleOp:
    """func @f(%x[, %b]) with a constant values operand and one pat.conv2d."""
    arg_types = [tensor_f32(case["x"].shape)]
    if case["bias"] is not None:
        arg_types.append(tensor_f32(case["bias"].shape))
    block = Block(arg_types=arg_types)
    values = constant_op(case["values"])
    props = pat_conv_props(case)
    if case["activation"] is not None:
        props["activation"] = str_attr(case["activation"])
    bias = block.args[1] if case["bias"] is not None else None
    conv = PatConv2dOp.inferred([block.args[0], values.result, bias], **props)
    block.add_ops([values, conv, func.ReturnOp(conv.result)])
    fn = func.FuncOp("f", (arg_types, [conv.result.type]), Region(block))
    module = ModuleOp([fn])
    module.verify()
    return module


@settings(max_examples=60, deadline=None)
@given(case=conv_cases())
def test_conv_round_trip(case: dict) -> None:
    module = _conv_module(case)
    custom = print_ir(module)
    assert "pat.conv2d %" in custom
    assert print_ir(_parse_module(custom)) == custom
    generic = print_ir(module, generic=True)
    assert '"pat.conv2d"' in generic
    reparsed = _parse_module(generic)
    assert print_ir(reparsed) == custom
    assert print_ir(reparsed, generic=True) == generic
    conv = next(op for op in reparsed.walk() if isinstance(op, PatConv2dOp))
    assert np.array_equal(ids_array(conv.ids), case["ids"])


def _dense_by_loops(ids: np.ndarray, values: np.ndarray, patterns: list) -> np.ndarray:
    """The weight a pat.conv2d stands for, written the slow obvious way (an oracle)."""
    o, c = ids.shape
    weight = np.zeros((o, c, 3, 3), dtype=np.float32)
    for i in range(o):
        for j in range(c):
            if ids[i, j] >= 0:
                for t, pos in enumerate(patterns[ids[i, j]]):
                    weight[i, j, pos // 3, pos % 3] = values[i, j, t]
    return weight


@settings(max_examples=60, deadline=None)
@given(case=conv_cases())
def test_conv_semantics(case: dict) -> None:
    module = _conv_module(case)
    inputs = {"arg0": case["x"]}
    if case["bias"] is not None:
        inputs["arg1"] = case["bias"]
    (got,) = run_function(module, inputs).values()
    expected = conv2d(
        case["x"],
        _dense_by_loops(case["ids"], case["values"], case["patterns"]),
        case["bias"],
        strides=case["strides"],
        pads=case["pads"],
        dilations=case["dilations"],
        group=1,
    )
    if case["activation"] == "relu":
        expected = np.maximum(expected, 0)
    elif case["activation"] == "relu6":
        expected = np.clip(expected, 0, 6)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


# One valid op, then one rule broken per case (the same rules as filecheck/pat/verify_errors).
VALID = {
    "x": "tensor<1x2x8x8xf32>",
    "v": "tensor<2x2x4xf32>",
    "vdef": None,
    "b": None,
    "patterns": "#pat.patterns<[0, 1, 3, 4], [1, 3, 4, 5]>",
    "ids": "dense<[[0, -1], [1, 0]]> : tensor<2x2xi8>",
    "strides": "1, 1",
    "pads": "1, 1, 1, 1",
    "dilations": "1, 1",
    "extra": "",
    "out": "tensor<1x2x8x8xf32>",
}


def _conv_text(**changes: str | None) -> str:
    p = {**VALID, **changes}
    lines = [f'%x = "test.op"() : () -> {p["x"]}']
    lines.append(p["vdef"] or f'%v = "test.op"() : () -> {p["v"]}')
    operands, types = "%x, %v", f"{p['x']}, {p['v']}"
    if p["b"]:
        lines.append(f'%b = "test.op"() : () -> {p["b"]}')
        operands, types = operands + ", %b", types + f", {p['b']}"
    lines.append(
        f"%y = pat.conv2d {operands} {{patterns = {p['patterns']}, ids = {p['ids']}, "
        f"strides = array<i64: {p['strides']}>, pads = array<i64: {p['pads']}>, "
        f"dilations = array<i64: {p['dilations']}>{p['extra']}}} : ({types}) -> {p['out']}"
    )
    return "\n".join(lines)


INVALID_CONVS = [
    ({"ids": "dense<0> : tensor<2x3xi8>"}, "ids must have shape 2x2 (O x C), got 2x3"),
    (
        {"ids": "dense<[[0, -1], [2, 0]]> : tensor<2x2xi8>"},
        "ids must be in [-1, 2) for 2 patterns, got 2 at [1, 0]",
    ),
    ({"ids": "dense<[[0, -2], [1, 0]]> : tensor<2x2xi8>"}, "got -2 at [0, 1]"),
    ({"ids": "dense<0> : tensor<2x2xi32>"}, "ids must have element type i8, got i32"),
    ({"v": "tensor<2x2x9xf32>"}, "values must be O x C x 4, got 2x2x9"),
    ({"v": "tensor<2x2xf32>"}, "values must be O x C x 4, got 2x2"),
    (
        {"v": "tensor<2x3x4xf32>", "ids": "dense<0> : tensor<2x3xi8>"},
        "values have 3 input channels, the input has 2",
    ),
    (
        {
            "vdef": "%v = arith.constant dense<[[[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.5, 0.0]], [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]> : tensor<2x2x4xf32>"
        },
        "values of a removed kernel (id -1) must be 0, kernel [0, 1] has non-zero values",
    ),
    ({"extra": ', activation = "gelu"'}, "activation must be one of none, relu, relu6, got 'gelu'"),
    ({"b": "tensor<3xf32>"}, "bias must have shape 2, got 3"),
    ({"strides": "0, 1"}, "strides must be 2 positive integers, got [0, 1]"),
    ({"pads": "1, 1, 1"}, "pads must be 4 non-negative integers"),
    ({"dilations": "1, 0"}, "dilations must be 2 positive integers, got [1, 0]"),
    ({"x": "tensor<1x2x8xf32>"}, "input must be 4-D NCHW, got rank 3"),
    ({"x": "tensor<1x2x1x8xf32>", "pads": "0, 0, 0, 0"}, "the window does not fit"),
    ({"out": "tensor<1x2x9x8xf32>"}, "result shape 1x2x9x8 does not match the shape 1x2x8x8"),
    ({"v": "tensor<2x2x4xf16>"}, "all operands and results must be f32 tensors"),
]


def test_valid_conv_text_verifies() -> None:
    Parser(CTX, _conv_text()).parse_module().verify()
    Parser(CTX, _conv_text(b="tensor<2xf32>")).parse_module().verify()


@pytest.mark.parametrize(("changes", "message"), INVALID_CONVS)
def test_conv_verifier_rejects(changes: dict, message: str) -> None:
    module = Parser(CTX, _conv_text(**changes)).parse_module()
    with pytest.raises(VerifyException, match=f"'pat.conv2d': .*{re.escape(message)}"):
        module.verify()


def test_large_conv_round_trips_through_hex() -> None:
    """Over 100 elements xDSL prints dense attributes as hex: ids must survive that too."""
    rng = np.random.default_rng(0)
    patterns = list(CANDIDATES[:8])
    ids = rng.integers(-1, 8, size=(16, 12)).astype(np.int8)
    values = rng.standard_normal((16, 12, 4)).astype(np.float32)
    values[ids == -1] = 0.0
    case = {
        "patterns": patterns,
        "ids": ids,
        "values": values,
        "bias": None,
        "x": np.zeros((1, 12, 6, 6), np.float32),
        "strides": (1, 1),
        "pads": (1, 1, 1, 1),
        "dilations": (1, 1),
        "activation": "relu",
    }
    custom = print_ir(_conv_module(case))
    assert 'ids = dense<"0x' in custom
    reparsed = _parse_module(custom)
    assert print_ir(reparsed) == custom
    conv = next(op for op in reparsed.walk() if isinstance(op, PatConv2dOp))
    assert np.array_equal(ids_array(conv.ids), ids)
