"""The residual add (+ activation) fused into the conv's stores (patcc/lowering/residual.py):
same outputs as the reference interpreter, the same bits as the unfused lowering, fused only
where it is valid, and the skip buffer never shares memory with the output it is read into."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, model_inputs, run_ort
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import arith, func, memref, vector
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

import patcc
from patcc.dialects.nn import activation as act
from patcc.dialects.nn import binary, conv
from patcc.dialects.nn.base import int_attr, ints_attr
from patcc.lowering import residual
from patcc.lowering.layers import LAYER_ATTR
from patcc.models import resnet_style
from patcc.passes import lower_to_loops
from patcc.passes.plan_buffers import _buffers, first_fit
from patcc.runtime import CompiledModel
from patcc.semantics import run_function
from patcc.targets.layers import root_buffer
from tests.test_lower_to_loops import ACTIVATIONS, _check, _const, _lower, _module


def _conv(ops: list[Operation], x: SSAValue, w: np.ndarray, k: int, stride: int = 1) -> SSAValue:
    pad = k // 2
    y = conv.Conv2dOp.inferred(
        [x, _const(ops, w), None],
        strides=ints_attr((stride, stride)),
        pads=ints_attr([pad] * 4),
        dilations=ints_attr((1, 1)),
        group=int_attr(1),
    )
    ops.append(y)
    return y.result


def _add_act(ops: list[Operation], a: SSAValue, b: SSAValue, act_name: str | None) -> SSAValue:
    s = binary.AddOp.inferred([a, b])
    ops.append(s)
    if act_name is None:
        return s.result
    op_type, props = ACTIVATIONS[act_name]
    r = op_type.inferred([s.result], **props)
    ops.append(r)
    return r.result


def _block(layer: dict) -> ModuleOp:
    """add(conv(x0), x1) (+ act), the operands in either order."""
    rng = np.random.default_rng(layer["seed"])
    c, o, k = layer["c"], layer["o"], layer["k"]
    h, w = layer["hw"]

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        y = _conv(ops, xs[0], rng.standard_normal((o, c, k, k)), k)
        a, b = (xs[1], y) if layer["skip_first"] else (y, xs[1])
        return [_add_act(ops, a, b, layer["act"])]

    return _module([(1, c, h, w), (1, o, h, w)], build)


def _unfused(module: ModuleOp, vector_length: int) -> ModuleOp:
    with patch.object(lower_to_loops, "RESIDUAL_PRODUCERS", set()):
        return _lower(module, vector_length)


def _fused_labels(module: ModuleOp) -> set[str]:
    return {
        label.data
        for op in module.walk()
        if (label := op.attributes.get(LAYER_ATTR)) is not None and " + add" in label.data  # type: ignore[union-attr]
    }


@st.composite
def blocks(draw: st.DrawFn) -> dict:
    return {
        "c": draw(st.integers(1, 3)),
        "o": draw(st.integers(1, 6)),
        "k": draw(st.sampled_from([1, 3])),  # 1: the packed-panel GEMM; 3: the dense tile
        "hw": (draw(st.integers(1, 6)), draw(st.integers(1, 11))),
        "skip_first": draw(st.booleans()),
        "act": draw(st.sampled_from([None, "relu", "relu", "clip", "silu"])),
        "vl": draw(st.sampled_from([4, 8])),
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=30, deadline=None)
@given(layer=blocks())
def test_fused_residual_matches_reference_and_unfused_bits(layer: dict) -> None:
    module = _block(layer)
    fused = _check(module, layer["seed"], layer["vl"])
    assert _fused_labels(fused), "the add was not fused"
    names = [op.name for op in fused.walk()]
    assert "linalg.generic" not in names and "nn.add" not in names
    h, w = layer["hw"]
    if (w if layer["k"] == 3 else h * w) < layer["vl"] or layer["act"] == "silu":
        return  # the interpreter's scalar chains and exp run in f64: no f32 bits to compare
    rng = np.random.default_rng(layer["seed"])
    inputs = {
        f"x{i}": rng.standard_normal(shape).astype(np.float32)
        for i, shape in enumerate([(1, layer["c"], *layer["hw"]), (1, layer["o"], *layer["hw"])])
    }
    want = run_function(_unfused(module, layer["vl"]), inputs)["y0"]
    got = run_function(fused, inputs)["y0"]
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_store_reads_skip_at_its_indices() -> None:
    layer = {"c": 2, "o": 3, "k": 3, "hw": (4, 10), "skip_first": False, "act": "relu"}
    lowered = _lower(_block({**layer, "vl": 8, "seed": 0}))
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    skip, out = fn.body.block.args[1], fn.body.block.args[2]
    stores = [op for op in fn.walk() if isinstance(op, vector.StoreOp) and op.base is out]
    assert len(stores) == 2
    for store in stores:
        relu = store.vector.owner
        add = relu.operands[0].owner  # type: ignore[union-attr]
        load = add.operands[1].owner  # type: ignore[union-attr]
        assert isinstance(load, vector.LoadOp) and load.base is skip
        assert list(load.indices) == list(store.indices)


@pytest.mark.parametrize("act_name", [None, "relu"])
def test_a_conv_that_reads_its_output_gets_the_add_in_place_after_it(act_name: str | None) -> None:
    """If the conv's lowering used its output other than by final stores, the stores are
    left alone and the add (+ activation) run in place after the conv: same bits."""
    layer = {"c": 2, "o": 3, "k": 3, "hw": (4, 10), "skip_first": True, "act": act_name}
    layer = {**layer, "vl": 8, "seed": 5}
    module = _block(layer)
    with patch.object(residual, "final_stores", lambda layer, out: None):
        lowered = _check(module, 5, 8)
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    skip = fn.body.block.args[1]
    conv_stores = [op for op in fn.walk() if isinstance(op, vector.StoreOp)]
    assert conv_stores and all(
        not isinstance(op.vector.owner, arith.AddfOp | arith.MaximumfOp) for op in conv_stores
    )
    assert any(isinstance(op, memref.LoadOp) and op.memref is skip for op in fn.walk())
    rng = np.random.default_rng(5)
    x = {"x0": rng.standard_normal((1, 2, 4, 10)), "x1": rng.standard_normal((1, 3, 4, 10))}
    x = {k: v.astype(np.float32) for k, v in x.items()}
    want = run_function(_unfused(module, 8), x)["y0"]
    np.testing.assert_array_equal(run_function(lowered, x)["y0"], want)


def test_later_of_two_convs_takes_the_sum_and_a_later_skip_is_not_fused() -> None:
    """ResNet's downsampling block: add(main, shortcut), the shortcut conv lowered last."""
    rng = np.random.default_rng(1)

    def downsample(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        main = _conv(ops, xs[0], rng.standard_normal((4, 2, 3, 3)), 3, stride=2)
        short = _conv(ops, xs[0], rng.standard_normal((4, 2, 1, 1)), 1, stride=2)
        return [_add_act(ops, main, short, "relu")]

    labels = _fused_labels(_check(_module([(1, 2, 8, 8)], downsample)))
    assert len(labels) == 1 and "1x2x8x8 -> 1x4x4x4 + add + relu" in labels.pop()

    def late_skip(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        y = _conv(ops, xs[0], rng.standard_normal((2, 2, 3, 3)), 3)
        r = act.ReluOp.inferred([xs[0]])  # computed after the conv: not fusable into it
        ops.append(r)
        return [_add_act(ops, y, r.result, None)]

    lowered = _check(_module([(1, 2, 5, 9)], late_skip))
    assert not _fused_labels(lowered)
    assert "linalg.generic" not in [op.name for op in lowered.walk()]  # lowered to loops


def test_skip_buffer_is_not_reused_for_the_output() -> None:
    """s = relu(conv(x)); u = conv(x); t = relu(conv(u) + s); conv(t): only the fused
    stores read s after its own layer, so plan-buffers must count them to keep s and t apart."""
    rng = np.random.default_rng(2)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        s = _conv(ops, xs[0], rng.standard_normal((4, 4, 3, 3)), 3)
        r = act.ReluOp.inferred([s])
        ops.append(r)
        u = _conv(ops, xs[0], rng.standard_normal((4, 4, 3, 3)), 3)
        t = _add_act(ops, _conv(ops, u, rng.standard_normal((4, 4, 3, 3)), 3), r.result, "relu")
        return [_conv(ops, t, rng.standard_normal((4, 4, 3, 3)), 3)]

    lowered = _check(_module([(1, 4, 6, 9)], build))
    assert len(_fused_labels(lowered)) == 1
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    buffers = _buffers(fn)
    first_fit(buffers)
    by_value = {b.alloc.memref: b for b in buffers}
    pairs = set()  # (skip, output) buffers of the fused stores, both workspace buffers
    for store in fn.walk():
        if isinstance(store, vector.StoreOp) and root_buffer(store.base) in by_value:
            relu = store.vector.owner
            add = relu.operands[0].owner if isinstance(relu, arith.MaximumfOp) else None
            load = add.operands[1].owner if isinstance(add, arith.AddfOp) else None
            if isinstance(load, vector.LoadOp) and root_buffer(load.base) in by_value:
                pairs.add((root_buffer(load.base), root_buffer(store.base)))
    assert len(pairs) == 1
    s, t = (by_value[v] for v in pairs.pop())
    assert s is not t and s.first < t.first <= s.last
    assert s.offset + s.size <= t.offset or t.offset + t.size <= s.offset


# ---- end to end ----------------------------------------------------------------------------


def _compile(model: onnx.ModelProto, out: Path, fuse: bool) -> CompiledModel:
    producers = lower_to_loops.RESIDUAL_PRODUCERS if fuse else set()
    with patch.object(lower_to_loops, "RESIDUAL_PRODUCERS", producers):
        return patcc.compile(model, patterns=None, out_dir=out)


@pytest.mark.parametrize("variant", ["pruned", "dense"])
def test_resnet_block_bit_identical_to_unfused_build_and_close_to_ort(
    tmp_path: Path, variant: str
) -> None:
    """Identity blocks (the sum in a 3x3 conv: a pattern conv when pruned) and downsampling
    blocks (the sum in the strided 1x1 shortcut GEMM), compiled for x86."""
    model = resnet_style(size=16, widths=(8, 16), blocks=(1, 1))
    if variant == "pruned":
        model = patcc.prune(model, patterns=8, connectivity=2.0)
    inputs = model_inputs(model)
    fused = _compile(model, tmp_path / "fused", True)
    plain = _compile(model, tmp_path / "plain", False)
    assert (fused.build_dir / "model.c").read_text().count(" + add + relu") >= 2
    assert " + add" not in (plain.build_dir / "model.c").read_text()
    got, want = fused.run(inputs), plain.run(inputs)
    for name in want:
        np.testing.assert_array_equal(got[name].view(np.uint32), want[name].view(np.uint32))
    assert_outputs_close(got, run_ort(model, inputs))
