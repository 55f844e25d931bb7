"""stream-stores marks only the stores it may stream, changes no value, and fences them.

Random small pruned convs (widths a multiple of the vector or not, 4 to 16 lanes) whose
output a max pool reads (a workspace buffer, not a halo), lowered with tiling and LRE,
planned and parallelized as the C targets build them: after the pass the interpreter's
outputs are bit-identical; every nontemporal store the interpreter runs writes an address
that is a multiple of its vector's bytes in the 64-byte aligned workspace (the streaming
stores fault otherwise); each sits in a loop whose body ends in a fence; and where the
rows are whole vectors the conv's stores are marked. A whole x86 build with a 4 MiB output
prints the streaming stores and its fence and matches ONNX Runtime on one thread and two.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pytest
from conftest import applied, make_model, run_ort, run_recorded
from hypothesis import example, given, settings
from hypothesis import strategies as st
from onnx import helper
from xdsl.dialects import func, memref, scf, vector
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls

import patcc
from patcc.dialects.pat.store_fence import StoreFenceOp
from patcc.driver import existing_pattern_count
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.lowering.jam import constant_int
from patcc.passes.parallelize import ParallelizePass
from patcc.passes.plan_buffers import PlanBuffersPass
from patcc.passes.stream_stores import ALIGNMENT, StreamStoresPass, _fenced_loop
from patcc.pipelines import patdnn
from patcc.semantics.loops import LoopFunctions


def conv_pool(c: int, o: int, h: int, w: int, seed: int) -> onnx.ModelProto:
    """Conv (3x3, pads 1) -> Relu -> MaxPool 2x2, pruned to 4 patterns (first layer too)."""
    rng = np.random.default_rng(seed)
    weights = {"w": rng.standard_normal((o, c, 3, 3), dtype=np.float32)}
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["h"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[2, 2], strides=[2, 2]),
    ]
    model = make_model(nodes, {"x": (1, c, h, w)}, {"y": (1, o, h // 2, w // 2)}, weights)
    return patcc.prune(model, patterns=4, connectivity=1.5, first_layer=True)


def lowered(model: onnx.ModelProto, vl: int) -> Any:
    module = import_model(model)
    ctx = make_context()
    passes = patdnn(existing_pattern_count(module) or 4, 1.0, vector_length=vl).passes
    for p in [*passes, PlanBuffersPass(), ParallelizePass()]:
        p.apply(ctx, module)
    return module


@register_impls
class _Recorder(InterpreterFunctions):
    """Logs (byte address in the workspace, vector bytes) of each nontemporal store run."""

    def __init__(self) -> None:
        self.log: list[tuple[int, int]] = []
        self.loops = LoopFunctions()

    @impl(vector.StoreOp)
    def run_vector_store(self, interpreter: Interpreter, op: vector.StoreOp, args: PythonValues):
        if op.nontemporal.value.data:
            mem, *indices = args[1:]
            view = op.base.owner
            assert isinstance(view, memref.ViewOp)
            shift = constant_int(view.byte_shift)
            assert shift is not None
            lanes = op.vector.type.get_shape()[0]
            self.log.append((shift + 4 * mem.offset(tuple(indices)), 4 * lanes))
        return LoopFunctions.run_vector_store(self.loops, interpreter, op, args).values


def _run(module: Any, inputs: dict[str, np.ndarray]) -> tuple[list[tuple[int, int]], Any]:
    recorder = _Recorder()
    return recorder.log, run_recorded(module, inputs, recorder)


def _fence_ends(loop: scf.ForOp) -> bool:
    ops = list(loop.body.block.ops)
    return len(ops) >= 2 and isinstance(ops[-2], StoreFenceOp)


@settings(max_examples=12, deadline=None)
@given(
    c=st.integers(1, 3),
    o=st.integers(1, 3),
    h=st.sampled_from([2, 4, 6]),
    w=st.sampled_from([4, 8, 12, 16, 20, 32]),
    vl=st.sampled_from([4, 8, 16]),
    seed=st.integers(0, 99),
)
@example(c=2, o=2, h=4, w=16, vl=8, seed=0)  # whole vectors: marked
@example(c=2, o=2, h=4, w=12, vl=8, seed=0)  # a clamped last vector, rows of 1.5 vectors
def test_streamed_stores_are_aligned_fenced_and_change_nothing(
    c: int, o: int, h: int, w: int, vl: int, seed: int
) -> None:
    if w < vl:
        vl = 4
    model = conv_pool(c, o, h, w, seed)
    before = lowered(model, vl)
    after = applied(before, StreamStoresPass(min_bytes=1))
    x = np.random.default_rng(seed).standard_normal((1, c, h, w)).astype(np.float32)
    _, want = _run(before, {"x": x})
    log, got = _run(after, {"x": x})
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])
    assert all(address % size == 0 and size <= ALIGNMENT for address, size in log)
    marked = [s for s in after.walk() if isinstance(s, vector.StoreOp) and s.nontemporal.value.data]
    fn = next(op for op in after.walk() if isinstance(op, func.FuncOp))
    loops = {_fenced_loop(store, fn) for store in marked}
    assert None not in loops and all(_fence_ends(loop) for loop in loops if loop is not None)
    fences = [op for op in after.walk() if isinstance(op, StoreFenceOp)]
    assert len(fences) == len(loops)
    if w % vl == 0:
        assert marked and log  # the conv's rows are whole vectors: its stores stream


def test_a_threshold_below_one_byte_is_an_error() -> None:
    with pytest.raises(PatccError, match="stream-stores: min-bytes must be >= 1, got 0"):
        applied(lowered(conv_pool(1, 1, 2, 8, 0), 4), StreamStoresPass(min_bytes=0))


def test_an_x86_build_streams_a_4_mib_output_and_matches_onnxruntime(tmp_path: Any) -> None:
    """16 channels of 256 x 256 (exactly 4 MiB) before a max pool: the x86 target streams
    the conv's stores at the host's vector width and fences them; the pool reads them."""
    model = conv_pool(16, 16, 256, 256, 1)
    compiled = patcc.compile(model, patterns=None, out_dir=tmp_path / "build")
    source = (tmp_path / "build" / "model.c").read_text()
    assert "_stream_ps(" in source and "_mm_sfence();" in source
    x = np.random.default_rng(2).standard_normal((1, 16, 256, 256)).astype(np.float32)
    want = run_ort(model, {"x": x})["y"]
    for threads in (1, 2):
        got = compiled.run({"x": x}, threads=threads)["y"]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    small = conv_pool(16, 16, 128, 128, 1)  # 1 MiB: under the threshold, plain stores
    patcc.compile(small, patterns=None, out_dir=tmp_path / "small")
    assert "_stream_ps(" not in (tmp_path / "small" / "model.c").read_text()
