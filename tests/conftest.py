"""Shared helpers: ONNX models built in tests, ONNX Runtime as the oracle, the shared
tolerance rule, random inputs, printed IR."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import strategies as st
from numpy.typing import ArrayLike
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.printer import Printer

from patcc.compression.connectivity import drop_empty_kernels, prune_connectivity
from patcc.compression.patterns import candidate_patterns
from patcc.constants import constant_op
from patcc.dialects.nn.activation import ReluOp
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr, str_attr, tensor_f32
from patcc.dialects.nn.linear import GemmOp
from patcc.dialects.pat import PatConv2dOp, PatternsAttr, ids_attr
from patcc.dialects.pat.conv import ACTIVATIONS
from patcc.frontend import make_context
from patcc.semantics import NAME_ATTR

TOLERANCE = 1e-4

# A dimension of a graph input or output: a size, or a name for a dynamic one ("N", "batch").
Dims = Sequence[int | str]


class Rand:
    """Standard-normal float32 arrays from one seeded generator: `rand(2, 3, scale=3.0)`.

    Each test module makes its own, so the values it draws do not depend on which other
    modules ran before it.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape: int, scale: float = 1.0) -> np.ndarray:
        return np.asarray(self.rng.standard_normal(shape) * scale, dtype=np.float32)


def make_model(
    nodes: Sequence[onnx.NodeProto],
    inputs: Mapping[str, Dims],
    outputs: Sequence[str] | Mapping[str, Dims | None],
    initializers: Mapping[str, ArrayLike] | None = None,
    opset: int = 17,
) -> onnx.ModelProto:
    """One float32 graph: `inputs` maps names to shapes, `outputs` names (shapes left to
    inference) or names to shapes; `initializers` are constants of any dtype.

    IR version 8, so that ONNX Runtime releases older than the installed onnx load it too.
    """
    out_shapes: Mapping[str, Dims | None] = (
        outputs if isinstance(outputs, Mapping) else dict.fromkeys(outputs)
    )
    graph = helper.make_graph(
        list(nodes),
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in inputs.items()],
        [
            helper.make_tensor_value_info(n, TensorProto.FLOAT, None if s is None else list(s))
            for n, s in out_shapes.items()
        ],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def model_inputs(model: onnx.ModelProto, seed: int = 1) -> dict[str, np.ndarray]:
    """Standard-normal float32 values for every (static) graph input that is no initializer."""
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    out: dict[str, np.ndarray] = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        out[inp.name] = rng.standard_normal(shape, dtype=np.float32)
    return out


def run_ort(model: onnx.ModelProto, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference: outputs of ONNX Runtime (CPU), keyed by graph output name, in the
    graph's output order."""
    ort = pytest.importorskip("onnxruntime")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # ORT warns when its shape inference disagrees with itself
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [o.name for o in model.graph.output]
    return dict(zip(names, session.run(names, dict(inputs)), strict=True))


def assert_close(actual: np.ndarray, expected: np.ndarray, tol: float = TOLERANCE) -> None:
    """max|diff| <= tol * max(1, max|expected|): relative to the output's magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    diff = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    assert diff <= tol * scale, f"max|diff| = {diff:.3g} > {tol:g} * {scale:.3g}"


def assert_outputs_close(
    actual: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray]
) -> None:
    assert set(actual) == set(expected), f"outputs {sorted(actual)} != {sorted(expected)}"
    for name in expected:
        assert_close(actual[name], expected[name])


def print_ir(ir: Operation | Attribute, generic: bool = False) -> str:
    """An op (a module) or an attribute as xDSL prints it, custom or generic syntax."""
    out = io.StringIO()
    printer = Printer(stream=out, print_generic_format=generic)
    if isinstance(ir, Operation):
        printer.print_op(ir)
    else:
        printer.print_attribute(ir)
    return out.getvalue()


def pat_conv_props(case: Mapping[str, Any]) -> dict[str, Attribute]:
    """The pattern and window properties of a `pat.conv2d` from a test case's `patterns`,
    `ids`, `strides`, `pads` and `dilations` (the caller adds `activation`)."""
    return {
        "patterns": PatternsAttr(case["patterns"]),
        "ids": ids_attr(case["ids"]),
        "strides": ints_attr(case["strides"]),
        "pads": ints_attr(case["pads"]),
        "dilations": ints_attr(case["dilations"]),
    }


def pat_conv_ops(x: SSAValue, layer: Mapping[str, Any]) -> tuple[list[Operation], PatConv2dOp]:
    """`pat.conv2d(x)` of a `pruned_pat_layers` layer: its values (and bias) as constants,
    its fused activation; the ops in order and the conv, for the caller to build on."""
    values = constant_op(layer["values"])
    ops: list[Operation] = [values]
    bias = None
    if layer["bias"] is not None:
        bias_op = constant_op(layer["bias"])
        ops.append(bias_op)
        bias = bias_op.result
    props = pat_conv_props(layer)
    if layer["activation"] != "none":
        props["activation"] = str_attr(layer["activation"])
    conv = PatConv2dOp.inferred([x, values.result, bias], **props)
    ops.append(conv)
    return ops, conv


def named_module(
    block: Block,
    outputs: Sequence[SSAValue],
    input_names: Sequence[str] = ("x",),
    output_names: Sequence[str] = ("y",),
) -> ModuleOp:
    """A verified module of one function `f`: `block` (its ops added) returning `outputs`,
    arguments and results named (`nn.name`) as `run_function` reads them."""
    block.add_op(func.ReturnOp(*outputs))
    fn = func.FuncOp(
        "f",
        ([a.type for a in block.args], [v.type for v in outputs]),
        Region(block),
        arg_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n in input_names]),
        res_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n in output_names]),
    )
    module = ModuleOp([fn])
    module.verify()
    return module


def gemm_module(
    w: np.ndarray,
    *,
    m: int = 1,
    trans_b: bool = True,
    c: np.ndarray | None = None,
    alpha: float = 1.0,
    beta: float = 1.0,
    relu: bool = False,
) -> ModuleOp:
    """f(x) = gemm(x, w, c) (+ relu): x is m x K, w N x K with trans_b, else K x N."""
    k = w.shape[1] if trans_b else w.shape[0]
    block = Block(arg_types=[tensor_f32((m, k))])
    w_op = constant_op(w.astype(np.float32))
    ops: list = [w_op]
    c_value = None
    if c is not None:
        ops.append(c_op := constant_op(c.astype(np.float32)))
        c_value = c_op.result
    gemm = GemmOp.inferred(
        [block.args[0], w_op.result, c_value],
        alpha=float_attr(alpha),
        beta=float_attr(beta),
        trans_a=int_attr(0),
        trans_b=int_attr(int(trans_b)),
    )
    ops.append(gemm)
    result = gemm.result
    if relu:
        ops.append(act := ReluOp.inferred([gemm.result]))
        result = act.result
    block.add_ops(ops)
    return named_module(block, [result])


def random_gemm_module(
    rng: np.random.Generator, k: int, n: int, *, trans_b: bool, bias: str, **kw: Any
) -> ModuleOp:
    """gemm_module of a random 1 x k -> n layer; bias "none", "row" (1 x n), "vector" (n,
    ONNX's usual C) or "scalar" (1,)."""
    w = rng.standard_normal((n, k) if trans_b else (k, n))
    shapes = {"row": (1, n), "vector": (n,), "scalar": (1,)}
    c = None if bias == "none" else rng.standard_normal(shapes[bias])
    return gemm_module(w, trans_b=trans_b, c=c, **kw)


def op_names(module: ModuleOp) -> list[str]:
    """The names of every op in `module`, in walk order: what a pass left or replaced."""
    return [op.name for op in module.walk()]


def run_recorded(
    module: ModuleOp, inputs: Mapping[str, np.ndarray], recorder: Any
) -> dict[str, np.ndarray]:
    """`run_function` with `recorder`'s op implementations (an `InterpreterFunctions`) over
    the interpreter's: a test logs what the ops it overrides do, then does what they do."""
    import patcc.semantics.interpret as interpret
    from patcc.semantics import run_function

    make = interpret.make_interpreter

    def recording(m: ModuleOp) -> Any:
        interpreter = make(m)
        interpreter.register_implementations(recorder, override=True)
        return interpreter

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(interpret, "make_interpreter", recording)
        return run_function(module, dict(inputs))


def applied(module: ModuleOp, *passes: ModulePass) -> ModuleOp:
    """A copy of `module` after `passes`, verified after each; the original stays as the
    'before' of a semantics-preservation check."""
    after = module.clone()
    ctx = make_context()
    for p in passes:
        p.apply(ctx, after)
        after.verify()
    return after


CANDIDATES = candidate_patterns()
"""Every 4-entry 3x3 pattern with the centre (56), in `candidate_patterns` order."""


def pattern_set_strategy(max_size: int = 56) -> st.SearchStrategy[list[tuple[int, ...]]]:
    """Pattern sets of 1..max_size distinct candidates (hypothesis)."""
    return st.lists(st.sampled_from(CANDIDATES), min_size=1, max_size=max_size, unique=True)


@st.composite
def pruned_pat_layers(
    draw: st.DrawFn,
    *,
    max_filters: int,
    max_patterns: int,
    rates: Sequence[float],
    hw: Callable[[int], st.SearchStrategy[tuple[int, int]]],
) -> dict[str, Any]:
    """A random pruned `pat.conv2d` layer: shapes, window, pattern set, ids and values
    (connectivity-pruned at one of `rates`, whole filters sometimes removed), bias, fused
    activation and the seed of its arrays. `hw(dilation)` draws the input's H x W, so each
    caller sizes the input to what it runs (the interpreter is slow on loops)."""
    o, c = draw(st.integers(1, max_filters)), draw(st.integers(1, 6))
    patterns = draw(pattern_set_strategy(max_patterns))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, len(patterns), size=(o, c)).astype(np.int8)
    values = rng.standard_normal((o, c, 4)).astype(np.float32)
    rate = draw(st.sampled_from(rates))
    ids, values = drop_empty_kernels(*prune_connectivity(ids, values, rate))
    if draw(st.booleans()):  # whole filters removed: empty runs, zero-length filters
        dead = rng.random(o) < 0.3
        ids[dead] = -1
        values[dead] = 0.0
    d = draw(st.integers(1, 2))
    return {
        "o": o,
        "c": c,
        "hw": draw(hw(d)),
        "patterns": patterns,
        "ids": ids,
        "values": values,
        "strides": [draw(st.integers(1, 2)), draw(st.integers(1, 2))],
        "pads": draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)),
        "dilations": [d, d],
        "bias": rng.standard_normal(o).astype(np.float32) if draw(st.booleans()) else None,
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "seed": seed,
    }
