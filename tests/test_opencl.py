"""The opencl target: map-to-ndrange keeps results and marks valid nests; every model family,
pruned and dense, built as OpenCL kernels and run on an OpenCL device (PoCL on CI) matches
ONNX Runtime; `patcc compile/run --target opencl`; one-line errors without a device.

PoCL's kernel compiles dominate the cost, so the family builds skip tiling and LRE (small
kernels; the default LRE schedule is run once, through `patcc.compile`) and the kernels
are built with -cl-opt-disable (PATCC_OPENCL_OPTIONS): the tensors here are tiny.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import applied, assert_outputs_close, model_inputs, run_ort
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import HAND_LAYER, PACKINGS, _input, _module, layers
from xdsl.dialects import scf
from xdsl.dialects.builtin import IntegerAttr, StringAttr

import patcc
from patcc.errors import PatccError
from patcc.fileio import read_npz, write_npz
from patcc.frontend import import_model, make_context
from patcc.lowering.pattern_conv import LOOP_ATTR
from patcc.models import FAMILIES
from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
from patcc.passes.layout_weights import LayoutWeightsPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.map_to_ndrange import MapToNDRangePass, parallel_band
from patcc.passes.plan_buffers import PlanBuffersPass
from patcc.passes.tile_conv import TileConvPass
from patcc.runtime import CompiledModel, build
from patcc.runtime.opencl_runner import OPTIONS_ENV, opencl_devices
from patcc.semantics import run_function
from patcc.targets.attrs import GLOBAL_DIM_ATTR
from patcc.targets.opencl_module import ndrange_loops, print_opencl
from patcc.targets.opencl_target import (
    COARSEN,
    LOCAL_SIZE,
    ROW_TILE_MIN_ITEMS,
    opencl_emitter,
)

NAMES = sorted(FAMILIES)
PRUNABLE = [n for n in NAMES if n != "mobilenet"]  # no prunable conv (see test_compile.py)


@cache
def _devices() -> list[str]:
    try:
        return [d.name.strip() for d in opencl_devices()]
    except PatccError:
        return []


needs_device = pytest.mark.skipif(
    not _devices(),
    reason="no OpenCL device (install pyopencl and an OpenCL driver, e.g. pocl-opencl-icd)",
)


@pytest.fixture(scope="module", autouse=True)
def _quick_kernel_builds() -> Iterator[None]:
    old = os.environ.get(OPTIONS_ENV)
    os.environ[OPTIONS_ENV] = "-cl-opt-disable"
    yield
    if old is None:
        del os.environ[OPTIONS_ENV]
    else:
        os.environ[OPTIONS_ENV] = old


@cache
def family_model(name: str, variant: str) -> onnx.ModelProto:
    model = FAMILIES[name]()
    return model if variant == "dense" else patcc.prune(model, patterns=8, connectivity=2.0)


def quick_build(
    model: onnx.ModelProto, out: Path, ndrange: MapToNDRangePass | None = None
) -> CompiledModel:
    """patcc.compile's flow for opencl with untiled pattern convs (small kernels), the
    target's graph passes and its NDRange mapping unless `ndrange` replaces it."""
    from patcc.driver import existing_pattern_count
    from patcc.pipelines import patdnn

    module = import_model(model)
    emitter = opencl_emitter()
    k = existing_pattern_count(module)
    if k is None:
        passes = [LowerToLoopsPass(vector_length=emitter.vector_length)]
    else:
        passes = list(patdnn(k, 1.0, vector_length=emitter.vector_length, tiles=None).passes)
    ctx = make_context()
    target_passes = [
        ndrange if ndrange is not None and p.name == "map-to-ndrange" else p for p in emitter.passes
    ]
    for p in [*emitter.graph_passes, *passes, *target_passes]:
        p.apply(ctx, module)
    build(emitter.emit(module), "opencl", out, cflags=())
    return CompiledModel(out)


def check_against_onnxruntime(model: CompiledModel, onnx_model: onnx.ModelProto) -> None:
    inputs = model_inputs(onnx_model)
    assert_outputs_close(model.run(inputs), run_ort(onnx_model, inputs))


@needs_device
@pytest.mark.parametrize(
    ("name", "variant"), [*((n, "pruned") for n in PRUNABLE), *((n, "dense") for n in NAMES)]
)
def test_family_matches_onnxruntime(name: str, variant: str, tmp_path: Path) -> None:
    model = family_model(name, variant)
    check_against_onnxruntime(quick_build(model, tmp_path / "b"), model)


@needs_device
@pytest.mark.parametrize(
    "ndrange",
    [MapToNDRangePass(max_dims=1), MapToNDRangePass(max_dims=2, collapse=True, local_size=8)],
    ids=["longest-loop", "collapsed-2d"],
)
def test_other_ndrange_mappings_match_onnxruntime(
    ndrange: MapToNDRangePass, tmp_path: Path
) -> None:
    """max-dims=1 without collapse: the band's longest loop is the NDRange, the band loops
    around and inside it run in every work item; collapsed into 2 dimensions: the outer band
    loops share dimension 1."""
    model = family_model("vgg", "pruned")
    compiled = quick_build(model, tmp_path / "b", ndrange)
    source = (tmp_path / "b" / "model.cl").read_text()
    assert "get_global_id(0)" in source and "get_global_id(2)" not in source
    assert ("get_global_id(1)" in source) == (ndrange.max_dims == 2)
    check_against_onnxruntime(compiled, model)


def _output_elements(label: str) -> int:
    """The output size in a layer label ('name: op 1x3x8x8 -> 1x4x8x8, ...')."""
    shape = label.split(" -> ")[1].split(",")[0].split()[0]
    return int(np.prod([int(d) for d in shape.split("x")]))


@needs_device
def test_compile_with_the_gpu_schedule_matches_onnxruntime(tmp_path: Path) -> None:
    """patcc.compile(target="opencl"): pruning, FKR/FKW, no tiles; every pattern conv (and
    the dense first conv, as patterns) one flat NDRange of one output per work item in
    groups of LOCAL_SIZE; the classifier gemms split along k; the launch plan in model.json."""
    model = FAMILIES["vgg"]()
    compiled = patcc.compile(model, target="opencl", connectivity=2.0, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, family_model("vgg", "pruned"))
    meta = json.loads((tmp_path / "b" / "model.json").read_text())
    source = (tmp_path / "b" / "model.cl").read_text()
    kernels = [s for s in meta["launch"] if s["kind"] == "kernel"]
    assert meta["target"] == "opencl" and kernels
    for step in kernels:
        assert f"__kernel void {step['name']}(" in source
        assert len(step["global"]) == 1 and step["global"][0] >= 0
        assert step["local"] in (None, [LOCAL_SIZE])
        assert {a["buffer"] for a in step["args"]} <= {"input", "output", "workspace", "weights"}
    convs = [s for s in kernels if s["layer"] and " pat " in s["layer"]]
    assert {s["layer"].split(":")[0] for s in convs} >= {"conv2d1"}  # the dense one
    for layer in {s["layer"] for s in convs}:
        last = [s for s in convs if s["layer"] == layer][-1]
        assert last["global"] == [_output_elements(layer)], layer
    assert any(s["layer"].startswith("matmul") for s in kernels if s["layer"])


@needs_device
def test_classifier_skipping_zero_inputs_on_opencl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With SKIP_MIN_BYTES at 0 the small VGG's split classifier layers skip their zero
    inputs (a test per input in the partial products' kernels, the weights read only
    under it), and the build still equals ONNX Runtime; by default they are too small."""
    from patcc.targets import opencl_target

    model = family_model("vgg", "pruned")

    def build(name: str) -> str:
        compiled = patcc.compile(model, target="opencl", patterns=None, out_dir=tmp_path / name)
        check_against_onnxruntime(compiled, model)
        return (tmp_path / name / "model.cl").read_text()

    def tests_inputs(source: str) -> bool:
        kernels = source.split("__kernel void ")[1:]
        return any(k.startswith("k_matmul") and "== 0.0f)" in k for k in kernels)

    assert not tests_inputs(build("default"))
    monkeypatch.setattr(opencl_target, "SKIP_MIN_BYTES", 0)
    assert tests_inputs(build("skipping"))


@needs_device
def test_cli_compile_and_run_on_a_named_device(tmp_path: Path) -> None:
    model = family_model("vgg", "dense")
    onnx.save(model, tmp_path / "m.onnx")
    inputs = model_inputs(model)
    write_npz(tmp_path / "in.npz", inputs)
    patcc_cmd = [sys.executable, "-m", "patcc.cli"]
    env = {**os.environ, OPTIONS_ENV: "-cl-opt-disable"}
    out = tmp_path / "build"
    proc = subprocess.run(
        [*patcc_cmd, "compile", tmp_path / "m.onnx", "-o", out, "--target", "opencl", "--no-prune"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    device = _devices()[0].split()[0]
    files = ["--inputs", tmp_path / "in.npz", "--outputs", tmp_path / "o.npz"]
    proc = subprocess.run(
        [*patcc_cmd, "run", out, *files, "--device", device],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert_outputs_close(read_npz(tmp_path / "o.npz"), run_ort(model, inputs))


@needs_device
def test_unknown_device_names_the_devices(tmp_path: Path) -> None:
    quick_build(family_model("vgg", "dense"), tmp_path / "b")
    with pytest.raises(PatccError, match=r"no device named 'no-such-gpu' \(devices: "):
        CompiledModel(tmp_path / "b", device="no-such-gpu")


def test_missing_pyopencl_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # import fails
    with pytest.raises(PatccError, match=r"pyopencl is not installed.*pocl-opencl-icd"):
        opencl_devices()


def _loop_module(layer: dict, tiles: tuple[int, int, int] | None):
    passes = [*PACKINGS["fkr+fkw"], LowerToLoopsPass(vector_length=4)]
    if tiles is not None:
        passes += [TileConvPass(*tiles), EliminateLoadRedundancyPass()]
    return applied(_module(layer), *passes)


_ONE_TILE_IDS = np.array([[-1], [0], [0], [0], [-1]], np.int8)
ONE_TILE = {  # a hypothesis find: the 3 filters with kernels are one tile of 3 (one trip)
    **HAND_LAYER,
    "o": 5,
    "c": 1,
    "patterns": [(0, 1, 2, 4)],
    "ids": _ONE_TILE_IDS,
    "values": np.arange(20, dtype=np.float32).reshape(5, 1, 4) * (_ONE_TILE_IDS >= 0)[..., None],
    "pads": [0, 0, 0, 0],
}


ONE_OUTPUT_ROW = {  # a hypothesis find: one filter, one row of one vector (every parallel
    # loop one trip), so the kernel loop carrying the accumulators is a top-level op of the
    # layer and the store of its result another: they must share a kernel
    **HAND_LAYER,
    "o": 1,
    "c": 1,
    "hw": (6, 7),
    "patterns": [(0, 1, 2, 4)],
    "ids": np.array([[0]], np.int8),
    "values": np.array([[[0.125, -0.25, 0.5, 0.75]]], np.float32),
    "strides": [2, 2],
    "pads": [0, 2, 0, 2],
    "dilations": [2, 2],
}


@settings(max_examples=15, deadline=None)
@example(layer=ONE_TILE, tiles=(3, 1, 1), max_dims=1, collapse=False, coarsen=1)
@example(layer=ONE_OUTPUT_ROW, tiles=None, max_dims=1, collapse=False, coarsen=1)
@given(
    layer=layers(),
    tiles=st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)),
    max_dims=st.integers(1, 3),
    collapse=st.booleans(),
    coarsen=st.integers(1, 4),
)
def test_map_to_ndrange_keeps_results_and_marks_nests(
    layer: dict, tiles: tuple[int, int, int] | None, max_dims: int, collapse: bool, coarsen: int
) -> None:
    before = _loop_module(layer, tiles)
    ndrange = MapToNDRangePass(max_dims=max_dims, collapse=collapse, coarsen=coarsen)
    after = applied(before, ndrange)
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(after, inputs)["y"], run_function(before, inputs)["y"]
    )
    fn = next(op for op in after.walk() if op.name == "func.func")
    for top in fn.regions[0].block.ops:
        if isinstance(top, scf.ForOp):
            nest = ndrange_loops(top)
            dims = {op.attributes[GLOBAL_DIM_ATTR] for op in nest}
            assert len(dims) <= max_dims
            assert len(nest) == len(dims) or collapse  # only collapse shares a dimension
            if collapse:  # the whole band, one work item per instance of its body
                assert nest[::-1] == parallel_band(top)
    assert any(GLOBAL_DIM_ATTR in op.attributes for op in after.walk())
    printed = applied(after, PlanBuffersPass(), LayoutWeightsPass())
    program = print_opencl(printed)
    assert program.source.count("__kernel void") == sum(
        step["kind"] == "kernel" for step in program.launch
    )
    # only 1-D ranges of loop-free kernels (the padding's) take several ids per work item
    for kernel in program.source.split("__kernel void")[1:]:
        if "get_global_size(0)" in kernel:
            assert coarsen > 1 and "get_global_id(1)" not in kernel
            inside = kernel.split("get_global_size(0)) {")[1]
            assert "for (" not in inside, kernel  # no loop inside the grid-stride loop


def test_row_blocked_pattern_conv_gets_a_3d_ndrange() -> None:
    """A 64x64 pattern conv's loop nest (row blocks, filter groups, row tiles, column
    tiles): all four run in parallel (an outer block's row is an invariant offset of the
    inner tile loop's rows), and the three longest are the NDRange."""
    from patcc.bench.layers import conv_layers
    from patcc.driver import compression_passes
    from patcc.models import vgg16

    layer = conv_layers(patcc.prune(vgg16(size=64), patterns=8, connectivity=3.6))[1]
    module = import_model(layer.model)
    ctx = make_context()
    cpu_schedule = compression_passes(module, None, 3.6, 4)  # tiles, LRE
    for p in [*cpu_schedule, PlanBuffersPass(), MapToNDRangePass(), LayoutWeightsPass()]:
        p.apply(ctx, module)
    program = print_opencl(module)
    conv = [s for s in program.launch if s["kind"] == "kernel" and "fkw" in (s["layer"] or "")]
    # border fill, padding copy, the row-blocked conv and its remainder rows
    assert [len(s["global"]) for s in conv] == [1, 3, 3, 3], [s["global"] for s in conv]


def test_gpu_schedule_gives_one_work_item_per_row_tile() -> None:
    """The opencl target's own schedule on the same layer (112x112, row blocked on a CPU):
    no row blocks (`row_blocks`: False), the filters, row tiles and columns in one flat
    NDRange, one work item per 4 rows of a column: the layer's 802k outputs leave 200k work
    items (>= ROW_TILE_MIN_ITEMS); before it, one kernel for its padded input."""
    from patcc.bench.layers import conv_layers
    from patcc.driver import compression_passes
    from patcc.models import vgg16

    layer = conv_layers(patcc.prune(vgg16(size=112), patterns=8, connectivity=3.6))[1]
    module = import_model(layer.model)
    emitter = opencl_emitter()
    ctx = make_context()
    passes = compression_passes(module, None, 3.6, emitter.vector_length, emitter.schedule)
    for p in [*passes, *emitter.passes]:
        p.apply(ctx, module)
    program = print_opencl(module)
    conv = [s for s in program.launch if s["kind"] == "kernel" and "fkw" in (s["layer"] or "")]
    pad, tiles = conv  # the bordered copy in one kernel (`pads_in_one_nest`), the conv
    assert pad["global"] == [64 * 114 * 114 // COARSEN]
    assert tiles["global"] == [64 * 112 * 112 // 4]
    assert ROW_TILE_MIN_ITEMS <= 64 * 112 * 112 // 4
    assert all(s["local"] == [LOCAL_SIZE] for s in conv)


def test_unpruned_model_takes_the_gpu_lowering_options() -> None:
    """A model with no pattern-prunable conv (the dense path of `compression_passes`) is
    lowered with the opencl schedule's options too: no halos, no row blocks, one kernel
    per padded copy, then tile-conv by the work items and LRE, as a pruned model (its
    dense 3x3 convs become pattern convs on the GPU)."""
    from patcc.driver import compression_passes

    module = import_model(FAMILIES["mobilenet"]())
    schedule = opencl_emitter().schedule
    lower, tile, lre, *_ = compression_passes(module, None, 3.6, 1, schedule)
    assert isinstance(lower, LowerToLoopsPass)
    assert isinstance(tile, TileConvPass) and tile.min_items == schedule["tiles"].min_items
    assert isinstance(lre, EliminateLoadRedundancyPass)
    assert (
        (lower.halos, lower.row_blocks, lower.pads_in_one_nest)
        == (False, False, True)
        == (schedule["halos"], schedule["row_blocks"], schedule["pads_in_one_nest"])
    )
    assert lower.shared_min_items == schedule["shared_min_items"]


@needs_device
def test_row_tiles_on_opencl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work items of 4 or 2 output rows (tile-conv's `min-items`, LRE sharing their loads):
    with ROW_TILE_MIN_ITEMS at 1 every pattern conv of a small VGG takes them, and the
    build still equals ONNX Runtime (on PoCL here; the GPU figures are in benchmarks.md)."""
    from patcc.driver import compression_passes
    from patcc.lowering.pattern_conv import TILE_ATTR
    from patcc.targets import opencl_target

    model = family_model("vgg", "pruned")

    def row_tiles() -> set[int]:
        module = import_model(model)
        for p in compression_passes(module, None, 2.0, 1, opencl_emitter().schedule):
            p.apply(make_context(), module)
        return {
            tile.value.data
            for op in module.walk()
            if op.attributes.get(LOOP_ATTR) == StringAttr("rows")
            and isinstance(tile := op.attributes.get(TILE_ATTR), IntegerAttr)
        }

    assert row_tiles() == set()  # the family's layers are too small for the default
    monkeypatch.setattr(opencl_target, "ROW_TILE_MIN_ITEMS", 1)
    assert row_tiles() & {2, 4}
    compiled = patcc.compile(model, target="opencl", patterns=None, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, model)


@needs_device
def test_row_tiles_of_an_unpruned_model_on_opencl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unpruned model's dense 3x3 convs, pattern convs on the GPU (the target's graph
    pass), take row tiles as a pruned model's do (ROW_TILE_MIN_ITEMS at 1 for the small
    VGG), and the build equals ONNX Runtime (PoCL here)."""
    from patcc.lowering.pattern_conv import TILE_ATTR
    from patcc.targets import opencl_target

    monkeypatch.setattr(opencl_target, "ROW_TILE_MIN_ITEMS", 1)
    model = family_model("vgg", "dense")
    compiled = patcc.compile(model, target="opencl", patterns=None, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, model)
    source = (tmp_path / "b" / "model.cl").read_text()
    assert "pat conv2d" in source  # the dense convs ran as pattern convs
    module = import_model(model)
    emitter = opencl_emitter()
    from patcc.driver import _apply, compression_passes

    passes = compression_passes(module, None, 3.6, 1, emitter.schedule)
    _apply(module, passes, None, emitter.graph_passes)
    tiles = {
        tile.value.data
        for op in module.walk()
        if op.attributes.get(LOOP_ATTR) == StringAttr("rows")
        and isinstance(tile := op.attributes.get(TILE_ATTR), IntegerAttr)
    }
    assert tiles & {2, 4}


@needs_device
def test_block_pruned_layer_on_opencl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block-pruned layer (groups of 4 filters sharing one kernel list): the shared nest
    prints and runs as OpenCL too (quick_build's pipeline); the target's own schedule keeps
    one output per work item on a layer of fewer group outputs than SHARED_MIN_ITEMS, and
    shares (G outputs per work item) from it on; all equal to ONNX Runtime."""
    from test_c_targets import block_pruned_layer

    from patcc.driver import compression_passes
    from patcc.lowering.shared_groups import GROUP_ATTR
    from patcc.targets import opencl_target

    model = block_pruned_layer()
    check_against_onnxruntime(quick_build(model, tmp_path / "shared"), model)

    def shares() -> bool:
        module = import_model(model)
        for p in compression_passes(module, None, 1.0, 1, opencl_emitter().schedule):
            p.apply(make_context(), module)
        return any(GROUP_ATTR in op.attributes for op in module.walk())

    assert not shares()
    compiled = patcc.compile(model, target="opencl", patterns=None, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, model)
    monkeypatch.setattr(opencl_target, "SHARED_MIN_ITEMS", 1)  # every layer is large enough
    assert shares()
    compiled = patcc.compile(model, target="opencl", patterns=None, out_dir=tmp_path / "c")
    check_against_onnxruntime(compiled, model)
