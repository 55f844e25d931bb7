"""The target passes (plan-buffers, parallelize, layout-weights) keep the loop-level module's
meaning: random small networks (convs, activations, pools, residual adds) run in the
interpreter before and after each pass with bit-identical outputs, and each pass's own
promise holds (buffers one layer uses never overlap; weights aligned and in the blob)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import onnx
import pytest
from conftest import make_model, model_inputs
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, StringAttr, UnitAttr, f32
from xdsl.ir import Operation

from patcc.constants import dense_attr
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.passes.layout_weights import LayoutWeightsPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.parallelize import ParallelizePass
from patcc.passes.plan_buffers import PlanBuffersPass
from patcc.semantics import run_function
from patcc.targets import weights_blob
from patcc.targets.attrs import (
    BLOB_OFFSET_ATTR,
    PARALLEL_ATTR,
    UNPLANNED_BYTES_ATTR,
    WEIGHTS_BYTES_ATTR,
    WORKSPACE_BYTES_ATTR,
)
from patcc.targets.c_module import main_function
from patcc.targets.layers import root_buffer, split_layers
from patcc.targets.weights import global_bytes

CTX = make_context()


@st.composite
def networks(draw: st.DrawFn) -> onnx.ModelProto:
    """A chain of 2-5 small layers; adds reach back to an earlier value of the same shape,
    so some buffers stay live across layers."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c, h, w = draw(st.integers(1, 3)), draw(st.integers(3, 7)), draw(st.integers(3, 10))
    values: list[tuple[str, tuple[int, ...]]] = [("x", (1, c, h, w))]
    nodes, inits = [], {}
    for i in range(draw(st.integers(2, 5))):
        name, shape = values[-1]
        kind = draw(st.sampled_from(["conv", "conv", "relu", "sigmoid", "pool", "add"]))
        out = f"t{i}"
        if kind == "conv":
            o, k = draw(st.integers(1, 4)), draw(st.sampled_from([1, 3]))
            s, p = draw(st.integers(1, 2)), (draw(st.integers(0, 1)) if k == 3 else 0)
            oh, ow = (shape[2] + 2 * p - k) // s + 1, (shape[3] + 2 * p - k) // s + 1
            if oh < 1 or ow < 1:
                continue
            inits[f"w{i}"] = rng.standard_normal((o, shape[1], k, k)).astype(np.float32)
            inits[f"b{i}"] = rng.standard_normal(o).astype(np.float32)
            attrs: dict[str, Any] = {"kernel_shape": [k, k], "strides": [s, s], "pads": [p] * 4}
            nodes.append(helper.make_node("Conv", [name, f"w{i}", f"b{i}"], [out], **attrs))
            shape = (1, o, oh, ow)
        elif kind == "pool":
            if shape[2] < 2 or shape[3] < 2:
                continue
            attrs: dict[str, Any] = {"kernel_shape": [2, 2], "strides": [2, 2]}
            nodes.append(helper.make_node("MaxPool", [name], [out], **attrs))
            shape = (1, shape[1], shape[2] // 2, shape[3] // 2)
        elif kind == "add":
            same = [v for v, s in values[:-1] if s == shape]
            if not same:
                continue
            nodes.append(helper.make_node("Add", [name, draw(st.sampled_from(same))], [out]))
        else:
            nodes.append(helper.make_node(kind.capitalize(), [name], [out]))
        values.append((out, shape))
    nodes.append(helper.make_node("Identity", [values[-1][0]], ["output"]))
    return make_model(nodes, {"x": [1, c, h, w]}, ["output"], inits)


def _view_range(view: memref.ViewOp) -> tuple[int, int]:
    shift = view.byte_shift.owner
    assert isinstance(shift, arith.ConstantOp)
    start = shift.value
    assert isinstance(start, IntegerAttr)
    typ = view.result.type
    assert isinstance(typ, MemRefType)
    return start.value.data, start.value.data + math.prod(typ.get_shape()) * 4


def check_plan(module: ModuleOp) -> None:
    fn = main_function(module)
    assert not any(isinstance(op, memref.AllocOp) for op in module.walk())
    peak = fn.attributes[WORKSPACE_BYTES_ATTR]
    unplanned = fn.attributes[UNPLANNED_BYTES_ATTR]
    assert isinstance(peak, IntegerAttr) and isinstance(unplanned, IntegerAttr)
    views = [op for op in fn.body.block.ops if isinstance(op, memref.ViewOp)]
    aligned = sum(-(-(b - a) // 64) * 64 for a, b in map(_view_range, views))
    assert peak.value.data <= aligned
    assert unplanned.value.data <= aligned
    for layer in split_layers(fn.body.block):
        used = {
            root_buffer(v).owner
            for top in layer.ops
            for op in top.walk()
            for v in op.operands
            if isinstance(root_buffer(v).owner, memref.ViewOp)
        }
        ranges = sorted(_view_range(v) for v in used if isinstance(v, memref.ViewOp))
        for (_, end), (start, _) in itertools.pairwise(ranges):
            assert end <= start, f"buffers of one layer overlap: {ranges}"


def check_weights(module: ModuleOp) -> None:
    blob = weights_blob(module)
    spans = []
    for glob in module.ops:
        if isinstance(glob, memref.GlobalOp):
            offset = glob.attributes[BLOB_OFFSET_ATTR]
            assert isinstance(offset, IntegerAttr) and offset.value.data % 64 == 0
            data = global_bytes(glob)
            start = offset.value.data
            assert blob[start : start + len(data)] == data
            spans.append((start, start + len(data)))
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise([(0, 0), *spans, (len(blob), 0)]):
        assert end <= start
        assert blob[end:start] == bytes(start - end)  # zero padding between the globals
    assert len(blob) % 64 == 0


@settings(max_examples=8, deadline=None)
@given(networks(), st.sampled_from([1, 4, 8]), st.integers(0, 3))
def test_target_passes_keep_the_outputs(model: onnx.ModelProto, vl: int, threads: int) -> None:
    module = import_model(model)
    LowerToLoopsPass(vector_length=vl).apply(CTX, module)
    inputs = model_inputs(model)
    before = run_function(module, inputs)
    passes = [PlanBuffersPass(), ParallelizePass(threads=threads), LayoutWeightsPass()]
    checks = [check_plan, lambda m: None, check_weights]
    for p, check in zip(passes, checks, strict=True):
        p.apply(CTX, module)
        check(module)
        after = run_function(module, inputs)
        for name, value in before.items():
            np.testing.assert_array_equal(after[name], value, err_msg=p.name)


def test_parallel_loops_only_in_conv_gemm_and_pool_layers() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1] * 4),
        helper.make_node("MaxPool", ["y"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Relu", ["p"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["output"]),
    ]
    module = import_model(make_model(nodes, {"x": [1, 2, 4, 8]}, ["output"], {"w": w}))
    LowerToLoopsPass(vector_length=4).apply(CTX, module)
    ParallelizePass().apply(CTX, module)
    marked = [op for op in module.walk() if PARALLEL_ATTR in op.attributes]
    assert marked and all(isinstance(op, scf.ForOp) for op in marked)

    def layer_label(op: Operation) -> str:  # a marked loop may sit inside its layer's nest
        while "nn.layer" not in op.attributes:
            parent = op.parent_op()
            assert parent is not None
            op = parent
        return str(op.attributes["nn.layer"])

    kinds = {label.split(": nn ")[1].split()[0] for label in map(layer_label, marked)}
    assert kinds == {"conv2d", "max_pool"}  # not the relu, not the global pool's reduction


def test_weights_blob_refuses_overlapping_globals() -> None:
    module = ModuleOp([])
    for name, offset in (("a", 0), ("b", 4)):  # 8 bytes each: b starts inside a
        glob = memref.GlobalOp.get(
            StringAttr(name),
            MemRefType(f32, [2]),
            dense_attr(np.array([1.0, 2.0]), f32),
            constant=UnitAttr(),
        )
        glob.attributes[BLOB_OFFSET_ATTR] = IntegerAttr(offset, 64)
        module.body.block.add_op(glob)
    module.attributes[WEIGHTS_BYTES_ATTR] = IntegerAttr(64, 64)
    with pytest.raises(PatccError, match="overlaps"):
        weights_blob(module)
