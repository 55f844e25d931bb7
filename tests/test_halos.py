"""Halos (patcc/lowering/halo.py): a producer writes straight into the bordered buffer its
one padded consumer reads. Semantics: the loop level in the interpreter (with its strided
subviews) equals the tensor level on random producer -> consumer chains, with halos,
without, and without with each padded copy in one nest (`pads_in_one_nest`); structure: the halo is taken exactly where the consumer pads and the producer
writes by index, and the C target computes the same as ONNX Runtime through it."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from xdsl.dialects import func, memref, scf
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp, StringAttr
from xdsl.ir import Block, Operation, Region, SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn import activation as act
from patcc.dialects.nn import conv, pool
from patcc.dialects.nn.base import int_attr, ints_attr, tensor_f32
from patcc.errors import PatccError
from patcc.frontend import make_context
from patcc.lowering.context import LoweringContext
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.semantics import NAME_ATTR, run_function

KINDS = ("conv", "conv_relu", "max", "avg")


def _layer(kind: str, x: SSAValue, pads: list[int], rng: np.random.Generator) -> list[Operation]:
    """A 3x3, stride-1 op of `kind` on x (2 channels in and out) with `pads`."""
    if kind.startswith("conv"):
        w = constant_op(rng.standard_normal((2, 2, 3, 3)).astype(np.float32))
        op = conv.Conv2dOp.inferred(
            [x, w.result, None],
            strides=ints_attr([1, 1]),
            pads=ints_attr(pads),
            dilations=ints_attr([1, 1]),
            group=int_attr(1),
        )
        return [w, op] + ([act.ReluOp.inferred([op.results[0]])] if kind == "conv_relu" else [])
    window = {
        "kernel": ints_attr([3, 3]),
        "strides": ints_attr([1, 1]),
        "pads": ints_attr(pads),
        "dilations": ints_attr([1, 1]),
    }
    if kind == "max":
        return [pool.MaxPoolOp.inferred([x], **window)]
    return [
        pool.AvgPoolOp.inferred(
            [x], **window, count_include_pad=int_attr(1), ceil_pads=ints_attr([0, 0])
        )
    ]


def _chain(kinds: tuple[str, str], pads: list[list[int]], hw: tuple[int, int], seed: int):
    """f(x) = second(first(x)) as a tensor-level module."""
    rng = np.random.default_rng(seed)
    block = Block(arg_types=[tensor_f32((1, 2, *hw))])
    ops = _layer(kinds[0], block.args[0], pads[0], rng)
    ops += _layer(kinds[1], ops[-1].results[0], pads[1], rng)
    result = ops[-1].results[0]
    block.add_ops([*ops, func.ReturnOp(result)])
    fn = func.FuncOp(
        "f",
        ([block.args[0].type], [result.type]),
        Region(block),
        arg_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr("x0")})]),
        res_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr("y0")})]),
    )
    module = ModuleOp([fn])
    module.verify()
    return module


def _lowered(module: ModuleOp, vl: int, halos: bool, pads_in_one_nest: bool = False) -> ModuleOp:
    lowered = module.clone()
    LowerToLoopsPass(vector_length=vl, halos=halos, pads_in_one_nest=pads_in_one_nest).apply(
        make_context(), lowered
    )
    lowered.verify()
    return lowered


@settings(max_examples=30, deadline=None)
@given(
    kinds=st.tuples(st.sampled_from(KINDS), st.sampled_from(KINDS)),
    pads=st.lists(st.lists(st.integers(0, 2), min_size=4, max_size=4), min_size=2, max_size=2),
    hw=st.tuples(st.integers(3, 6), st.integers(4, 12)),
    vl=st.sampled_from([1, 4, 8]),
    seed=st.integers(0, 2**16),
)
def test_halo_chains_preserve_semantics(
    kinds: tuple[str, str], pads: list[list[int]], hw: tuple[int, int], vl: int, seed: int
) -> None:
    for p in pads:  # a 3x3 window must fit: at least 3 rows and columns after padding
        p[2] += max(0, 3 - (hw[0] + p[0] + p[2]))
        p[3] += max(0, 3 - (hw[1] + p[1] + p[3]))
    mid = (hw[0] + pads[0][0] + pads[0][2] - 2, hw[1] + pads[0][1] + pads[0][3] - 2)
    pads[1][2] += max(0, 3 - (mid[0] + pads[1][0] + pads[1][2]))
    pads[1][3] += max(0, 3 - (mid[1] + pads[1][1] + pads[1][3]))
    module = _chain(kinds, pads, hw, seed)
    x = np.random.default_rng(seed + 1).standard_normal((1, 2, *hw)).astype(np.float32)
    want = run_function(module, {"x0": x})["y0"]
    with_halo = _lowered(module, vl, halos=True)
    one_nest = _lowered(module, vl, halos=False, pads_in_one_nest=True)
    for lowered in (with_halo, _lowered(module, vl, halos=False), one_nest):
        got = run_function(lowered, {"x0": x})["y0"]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # pads in one nest: one scf.if per padded op (its bordered copy)
    ifs = [op for op in one_nest.walk() if isinstance(op, scf.IfOp)]
    assert len(ifs) == sum(any(p) for p in pads)
    # the halo is taken exactly where the consumer pads and the producer stores by index
    # (a conv's rows narrower than a vector are computed wide and cropped: no halo)
    narrow = kinds[0].startswith("conv") and vl > 1 and mid[1] < vl
    expected = any(pads[1]) and not narrow
    views = [op for op in with_halo.walk() if isinstance(op, memref.SubviewOp)]
    assert len(views) == int(expected)


def test_views_of_a_halo_interior_are_refused() -> None:
    """A lowering that reshapes or copies a strided interior would address it as
    contiguous: the context refuses, rather than emit wrong code."""
    module = ModuleOp([])
    block = Block()
    fn = func.FuncOp("f", ([], []), Region(block))
    module.body.block.add_op(fn)
    ctx = LoweringContext(module, fn, block, 8, set())
    interior = ctx.halo_buffer((1, 2, 4, 16), (1, 1, 1, 1), 0.0)
    with pytest.raises(PatccError, match="strided"):
        ctx.view(interior, (1, 2, 64))
    with pytest.raises(PatccError, match="strided"):
        ctx.copy(interior, ctx.alloc((1, 2, 4, 16)))
    assert ctx.padded(interior, (1, 1, 1, 1), 0.0) is ctx.halos[interior][0]
    assert ctx.padded(interior, (1, 1, 1, 1), -1.0) is not ctx.halos[interior][0]


def test_x86_build_through_halos_matches_onnxruntime(tmp_path) -> None:
    """conv + relu -> max pool (pad 1) -> conv (pad 1) on the C target, against ORT."""
    import onnxruntime as ort

    from patcc.driver import compile

    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), name=n)
        for n, s in (("w0", (8, 3, 3, 3)), ("w1", (8, 8, 3, 3)))
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w0"], ["a"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("MaxPool", ["b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["c", "w1"], ["y"], pads=[1, 1, 1, 1]),
    ]
    x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 20, 20])
    y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 20, 20])
    graph = helper.make_graph(nodes, "halo", [x_info], [y_info], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    x = rng.standard_normal((1, 3, 20, 20)).astype(np.float32)
    want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    built = compile(model, target="x86", patterns=None, out_dir=tmp_path / "build")
    got = built.run({"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(np.abs(want).max()))
    source = (tmp_path / "build" / "model.c").read_text()
    assert source.count("padded") and "memcpy" not in source
