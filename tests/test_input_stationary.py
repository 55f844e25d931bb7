"""Pattern convs input-stationary (patcc/lowering/input_stationary.py) compute what the
tensor level does, and take the nest only where it applies."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from conftest import applied, assert_close, named_module, pat_conv_ops, pruned_pat_layers
from hypothesis import event, given, settings
from hypothesis import strategies as st
from xdsl.dialects import memref
from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Block

from patcc.dialects.nn.base import tensor_f32
from patcc.lowering import input_stationary
from patcc.lowering.input_stationary import (
    MIN_LANES,
    channel_major,
    filter_blocks,
    filters_per_channel,
    filters_within,
    kernels_per_pair,
    rows_within,
    tile_rows,
)
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.semantics import run_function

TOL = 1e-5


def _module(layer: dict) -> object:
    block = Block(arg_types=[tensor_f32((1, layer["c"], *layer["hw"]))])
    ops, conv = pat_conv_ops(block.args[0], layer)
    block.add_ops(ops)
    module = named_module(block, [conv.result])
    return applied(module, ReorderFiltersPass(group_size=2), PackFkwPass())


def _allocs(module: object) -> list[str | None]:
    return [op.memref.name_hint for op in module.walk() if isinstance(op, memref.AllocOp)]  # type: ignore[attr-defined]


# small pruned layers, images up to 12 rows taller than the kernel's reach (several row
# blocks, remainders)
LAYERS = pruned_pat_layers(
    max_filters=6,
    max_patterns=8,
    rates=(1.0, 2.0, 3.6),
    hw=lambda d: st.tuples(st.integers(2 * d + 1, 2 * d + 12), st.integers(2 * d + 4, 18)),
)


@settings(max_examples=25, deadline=None)
@given(layer=LAYERS, vl=st.sampled_from([8, 16]))
def test_input_stationary_matches_tensor_level(layer: dict, vl: int) -> None:
    module = _module(layer)
    x = np.random.default_rng(layer["seed"] + 1).standard_normal((1, layer["c"], *layer["hw"]))
    inputs = {"x": x.astype(np.float32)}
    want = run_function(module, inputs)["y"]
    lowered = applied(
        module, LowerToLoopsPass(vector_length=vl, input_stationary=1, shared_groups=False)
    )
    assert_close(run_function(lowered, inputs)["y"], want, TOL)
    (h, w), pads, (sh, sw) = layer["hw"], layer["pads"], layer["strides"]
    out_h = (h + pads[0] + pads[2] - 2 * layer["dilations"][0] - 1) // sh + 1
    out_w = (w + pads[1] + pads[3] - 2 * layer["dilations"][1] - 1) // sw + 1
    row_vl = vl if out_w >= vl else vl // 2  # rows narrower than a vector: half vectors
    rows_form = row_vl >= MIN_LANES and out_w >= row_vl
    # else one wide row over the (phase planes of the) padded image, (out_h - 1) * pitch +
    # out_w outputs, in vectors of 8 or more lanes when it holds one
    pitch = -(-(w + pads[1] + pads[3]) // sw)
    wide_form = out_w < MIN_LANES and (out_h - 1) * pitch + out_w >= MIN_LANES
    applies = list(layer["dilations"]) == [1, 1] and (rows_form or wide_form)
    used = "is_tile" in _allocs(lowered)
    form = "rows" if rows_form else "wide" if wide_form else "none"
    event(f"input-stationary: {used}, {form}, strides {layer['strides']}")
    assert used == (applies and layer["ids"].max() >= 0)


def test_channel_major_orders_kernels_by_channel_pattern_filter() -> None:
    """Two reordered filters (output channels 1, 0), patterns 0 and 1 over 3 channels: the
    kernels by (channel, pattern, output channel), and where each pair's run begins."""
    offset = np.array([0, 3, 5])  # filter j=0 (o=1): kernels 0-2, j=1 (o=0): 3-4
    stride = np.array([[0, 2, 3], [0, 1, 2]])  # j=0: pattern 0 for 0-1, 1 for 2; j=1: 3 | 4
    index = np.array([0, 2, 1, 2, 2])  # each kernel's channel
    kernels, filters, start = channel_major(offset, index, stride, np.array([1, 0]), 3)
    assert kernels.tolist() == [
        0,
        2,
        3,
        1,
        4,
    ]  # (c0,p0,o1) (c1,p1,o1) (c2,p0,o0) (c2,p0,o1) (c2,p1,o0)
    assert filters.tolist() == [1, 1, 0, 1, 0]
    assert start.tolist() == [0, 1, 1, 1, 2, 4, 5]  # pairs (c, p) = c*2 + p
    assert kernels_per_pair(start) == 5 / 4


def test_filter_blocks_regroup_the_kernels_by_block_then_channel() -> None:
    """channel_major's arrays of the test above in blocks of 1 output channel: output
    channel 0's kernels first, each block's pairs in (channel, pattern) order."""
    filters, start = np.array([1, 1, 0, 1, 0]), np.array([0, 1, 1, 1, 2, 4, 5])
    values = np.arange(5)[:, None] * np.ones((1, 4), np.float32)
    f, s, v = filter_blocks(filters, start, values, 1, 2)
    assert f.tolist() == [0, 0, 1, 1, 1]
    assert s.tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 4, 5, 5]  # block 0: c2 p0, c2 p1
    assert v[:, 0].tolist() == [2, 4, 0, 1, 3]
    same = filter_blocks(filters, start, values, 2, 2)  # one block: the arrays unchanged
    assert same[0].tolist() == filters.tolist() and same[1].tolist() == start.tolist()
    # 4 output channels in blocks of 2: the second block keeps no kernel, and still has its
    # pairs' starts (the nest reads them)
    assert filter_blocks(filters, start, values, 2, 4)[1].tolist() == [*start, *[5] * 6]
    assert [filters_within(b, 4, 8, 12) for b in (0, 1, 128, 640, 10**6)] == [12, 1, 1, 5, 12]


@pytest.mark.parametrize("vl", [8, 16])
def test_filter_blocks_keep_every_sum_bit_for_bit(vl: int) -> None:
    """12 filters x 3 channels, one pattern, every kernel kept (12 a pair): in blocks of 6
    filters (6 kernels a block's pair, MIN_BLOCK_KERNELS) the channels are swept twice and
    every output equals the one-sweep nest's exactly (the same order of each sum); in
    blocks of 3 (3 a pair) the nest stays one sweep."""
    rng = np.random.default_rng(7)
    layer = {
        "o": 12, "c": 3, "patterns": [(0, 1, 4, 5)], "ids": np.zeros((12, 3), np.int8),
        "values": rng.standard_normal((12, 3, 4)).astype(np.float32),
        "bias": rng.standard_normal(12).astype(np.float32), "activation": "relu",
        "hw": (9, 20), "strides": [1, 1], "pads": [1, 1, 1, 1], "dilations": [1, 1], "seed": 0,
    }  # fmt: skip
    module = _module(layer)
    x = {"x": rng.standard_normal((1, 3, 9, 20)).astype(np.float32)}

    def lowered(block_bytes: int) -> tuple[np.ndarray, int]:
        low = applied(
            module,
            LowerToLoopsPass(
                vector_length=vl,
                input_stationary=1,
                shared_groups=False,
                input_stationary_filter_bytes=block_bytes,
            ),
        )
        (start,) = [
            op for op in low.walk() if getattr(op, "sym_name", None) == StringAttr("is_start")
        ]
        return run_function(low, x)["y"], start.type.get_shape()[0]  # type: ignore[attr-defined]

    one, pairs = lowered(0)
    rows = tile_rows(9)  # 9 rows: tiles of 9
    blocked, entries = lowered(6 * rows * vl * 4)
    assert entries - 1 == 2 * (pairs - 1)  # 2 blocks of the 3 pairs
    np.testing.assert_array_equal(blocked, one)
    assert lowered(3 * rows * vl * 4)[1] == pairs  # 3 a pair: one sweep
    assert_close(one, run_function(module, x)["y"], TOL)


@settings(max_examples=20, deadline=None)
@given(layer=LAYERS, per_block=st.integers(1, 6))
def test_any_filter_blocks_keep_every_sum(layer: dict, per_block: int) -> None:
    """With MIN_BLOCK_KERNELS lifted, blocks of any size (some filters, or whole blocks,
    without a kept kernel) give the one-sweep nest's outputs bit for bit."""
    module = _module(layer)
    x = np.random.default_rng(layer["seed"] + 1).standard_normal((1, layer["c"], *layer["hw"]))
    inputs = {"x": x.astype(np.float32)}

    def run(block_bytes: int) -> np.ndarray:
        lowering = LowerToLoopsPass(
            vector_length=8,
            input_stationary=1,
            shared_groups=False,
            input_stationary_filter_bytes=block_bytes,
        )
        return run_function(applied(module, lowering), inputs)["y"]

    with mock.patch.object(input_stationary, "MIN_BLOCK_KERNELS", 0):
        blocked = run(per_block * 8 * 8 * 4)  # tiles of at most 8 rows x 8 lanes
    np.testing.assert_array_equal(blocked, run(0))


def test_tile_rows_split_the_rows_into_an_even_number_of_blocks() -> None:
    """The most rows in 4..8 with an even block count (two threads share the blocks
    equally), else the most that divide the rows, else 8 and a shorter last block."""
    cases = {224: 8, 112: 8, 56: 7, 28: 7, 14: 7, 8: 4, 6: 6, 5: 5, 12: 6, 13: 8, 3: 3}
    assert {rows: tile_rows(rows) for rows in cases} == cases


def test_tile_bytes_bound_the_rows() -> None:
    """A channel feeding 256 filters at 16 lanes (16 KB of tiles a row): 256 KB hold 16
    rows, so 8; 64 KB 4; 32 KB 2; 8 KB half a row, so the floor of 2; 0 leaves 8. With 8
    rows at most the 28 rows of a layer are 4 blocks of 7, with 4 at most 7 blocks of 4, with
    3 at most 14 blocks of 2 (3 does not divide 28)."""
    cases = {256 << 10: 8, 64 << 10: 4, 32 << 10: 2, 8 << 10: 2, 0: 8}
    assert {b: rows_within(b, 256.0, 16) for b in cases} == cases
    assert [tile_rows(28, most) for most in (8, 4, 3, 2)] == [7, 4, 2, 2]
    start = np.array([0, 2, 3, 3, 3, 4, 8])  # 3 channels x 2 patterns: 3, 0 and 5 kernels
    assert filters_per_channel(start, 3) == 4.0


def test_layers_below_the_threshold_keep_the_per_filter_nest() -> None:
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 2, size=(4, 3)).astype(np.int8)
    layer = {
        "o": 4, "c": 3, "patterns": [(0, 1, 4, 5), (1, 3, 4, 7)], "ids": ids,
        "values": rng.standard_normal((4, 3, 4)).astype(np.float32), "bias": None,
        "activation": "relu", "hw": (4, 10), "strides": [1, 1], "pads": [1, 1, 1, 1],
        "dilations": [1, 1], "seed": 0,
    }  # fmt: skip
    module = _module(layer)
    pairs = 3 * 2
    for threshold, used in ((1, True), (4 * 3 // pairs + 1, False)):
        lowered = applied(
            module,
            LowerToLoopsPass(vector_length=8, input_stationary=threshold, shared_groups=False),
        )
        assert ("is_tile" in _allocs(lowered)) == used


def test_x86_build_runs_wide_layers_input_stationary_and_matches_onnxruntime(
    tmp_path: Path,
) -> None:
    """The x86 target's default (`emit.INPUT_STATIONARY` for this host): a max pool, then 64 -> 64
    convs with relu at 14x14 (at 16 lanes over the wide row, rows of one vector at 8),
    pattern-only (8 kernels a pair); the build's model.c has the tiles, its outputs are
    ORT's on the same pruned model."""
    from conftest import make_model, model_inputs, run_ort
    from onnx import helper

    import patcc
    from patcc.compression.onnx_prune import prune
    from patcc.targets.emit import default_input_stationary

    assert 0 < default_input_stationary("x86")[0] <= 8  # this host's vendor takes 8 a pair
    rng = np.random.default_rng(7)
    weights = {w: rng.standard_normal((64, 64, 3, 3), dtype=np.float32) for w in ("w1", "w2")}
    nodes = [
        helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p", "w1"], ["h"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Conv", ["r", "w2"], ["y"], pads=[1, 1, 1, 1]),
    ]
    model = make_model(nodes, {"x": (1, 64, 28, 28)}, {"y": (1, 64, 14, 14)}, weights)
    pruned = prune(model, patterns=8, connectivity=1.0)
    compiled = patcc.compile(pruned, target="x86", patterns=None, out_dir=tmp_path / "b")
    assert (tmp_path / "b" / "model.c").read_text().count("is_tile") > 0
    inputs = model_inputs(pruned)
    want = run_ort(pruned, inputs)["y"]
    got = np.asarray(compiled.run(inputs, threads=1)["y"])
    assert_close(got, want, TOL)
    # the row blocks (2 of 7 rows) or the wide row's tiles, each its own slot, split over
    # two threads
    loop = "ohb" if _vector_length(tmp_path / "b") < 16 else "g"
    pragma = "#pragma omp parallel for schedule(static) num_threads(nthreads)\n"
    assert f"{pragma}    for (ptrdiff_t {loop}" in (tmp_path / "b" / "model.c").read_text()
    np.testing.assert_array_equal(np.asarray(compiled.run(inputs, threads=2)["y"]), got)


def test_x86_build_runs_strided_and_wide_row_layers_input_stationary(tmp_path: Path) -> None:
    """The x86 target's default on ResNet's shapes: a stride-2 conv to 14x14 (at 8 lanes rows
    through column phases, at 16 a wide row), a stride-2 conv to 7x7 and a 7x7 conv (rows
    narrower than a vector: the wide row through its phase planes / padded image, in
    WIDE_GROUPS tiles), pattern-only (4 kernels a pair). Every conv runs input-stationary,
    the wide rows' tiles split over the threads; the outputs are ORT's, the same on one
    thread and two."""
    import re

    from conftest import make_model, model_inputs, run_ort
    from onnx import helper

    import patcc
    from patcc.compression.onnx_prune import prune

    rng = np.random.default_rng(8)
    weights = {w: rng.standard_normal((32, 32, 3, 3), dtype=np.float32) for w in ("w1", "w2", "w3")}
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Conv", ["b", "w2"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c"], ["d"]),
        helper.make_node("Conv", ["d", "w3"], ["y"], pads=[1, 1, 1, 1]),
    ]
    model = make_model(nodes, {"x": (1, 32, 28, 28)}, {"y": (1, 32, 7, 7)}, weights)
    pruned = prune(model, patterns=8, connectivity=1.0)
    compiled = patcc.compile(pruned, target="x86", patterns=None, out_dir=tmp_path / "b")
    source = (tmp_path / "b" / "model.c").read_text()
    convs = re.findall(r"static void (layer\d+_fkw_conv2d\d+)\(([^)]*)\)", source)
    assert len(convs) == 3 and all("is_tile" in params for _, params in convs)
    pragma = "#pragma omp parallel for schedule(static) num_threads(nthreads)\n"
    wide = 3 if _vector_length(tmp_path / "b") >= 16 else 2
    assert (
        source.count(f"{pragma}    for (ptrdiff_t g = 0; g < {input_stationary.WIDE_GROUPS}")
        == wide
    )
    inputs = model_inputs(pruned)
    got = np.asarray(compiled.run(inputs, threads=1)["y"])
    assert_close(got, run_ort(pruned, inputs)["y"], TOL)
    np.testing.assert_array_equal(np.asarray(compiled.run(inputs, threads=2)["y"]), got)


def test_a_basic_block_at_7x7_adds_its_residual_over_the_wide_row(tmp_path: Path) -> None:
    """ResNet-18's basic block at 7x7 (conv, relu, conv, + input, relu), pattern-only: both
    convs run input-stationary over the wide row, the second one's residual add and relu
    fused into the crop's stores (residual.py); the outputs are ORT's."""
    from conftest import make_model, model_inputs, run_ort
    from onnx import helper

    import patcc
    from patcc.compression.onnx_prune import prune

    rng = np.random.default_rng(9)
    weights = {w: rng.standard_normal((32, 32, 3, 3), dtype=np.float32) for w in ("w1", "w2")}
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Conv", ["b", "w2"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c", "x"], ["d"]),
        helper.make_node("Relu", ["d"], ["y"]),
    ]
    model = make_model(nodes, {"x": (1, 32, 7, 7)}, {"y": (1, 32, 7, 7)}, weights)
    pruned = prune(model, patterns=8, connectivity=1.0)
    compiled = patcc.compile(pruned, target="x86", patterns=None, out_dir=tmp_path / "b")
    source = (tmp_path / "b" / "model.c").read_text()
    assert source.count(f"for (ptrdiff_t g = 0; g < {input_stationary.WIDE_GROUPS}") == 2
    inputs = model_inputs(pruned)
    got = np.asarray(compiled.run(inputs, threads=2)["y"])
    assert_close(got, run_ort(pruned, inputs)["y"], TOL)


def test_wide_tiles_split_a_wide_row_in_equal_tiles() -> None:
    """ResNet-50's 7x7 row (61 outputs) at 16 lanes: 4 vectors, 2 tiles of 2; at 8 lanes 8
    vectors, 2 of 4; 5 vectors: 2 tiles of 3 (the last repeats a vector); one vector: 1."""
    assert input_stationary.WIDE_GROUPS == 2
    assert input_stationary.wide_tiles(61, 16) == (2, 2)
    assert input_stationary.wide_tiles(61, 8) == (2, 4)
    assert input_stationary.wide_tiles(70, 16) == (2, 3)
    assert input_stationary.wide_tiles(8, 8) == (1, 1)


def _vector_length(build: Path) -> int:
    """The vector length a build was compiled for (its report)."""
    import json

    return int(json.loads((build / "report.json").read_text())["vector_length"])


def _two_pattern_layer(seed: int, activation: str, rows: int) -> dict:
    """4 filters x 3 channels, 2 patterns, kernels kept at random, rows x 10 pixels."""
    rng = np.random.default_rng(seed)
    return {
        "o": 4, "c": 3, "patterns": [(0, 1, 4, 5), (1, 3, 4, 7)],
        "ids": rng.integers(0, 2, size=(4, 3)).astype(np.int8),
        "values": rng.standard_normal((4, 3, 4)).astype(np.float32), "bias": None,
        "activation": activation, "hw": (rows, 10), "strides": [1, 1], "pads": [1, 1, 1, 1],
        "dilations": [1, 1], "seed": seed,
    }  # fmt: skip


def _lowered_with_schedule(layer: dict, schedule: object, rule: int) -> tuple[object, object]:
    """The layer's module with `schedule` as its conv's `pat.schedule`, and that module
    lowered with the input-stationary rule `rule`."""
    from patcc.dialects.pat import FkwConv2dOp
    from patcc.lowering.layers import SCHEDULE_ATTR
    from patcc.tune.apply import schedule_attr

    module = _module(layer)
    conv = next(op for op in module.walk() if isinstance(op, FkwConv2dOp))  # type: ignore[attr-defined]
    conv.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)  # type: ignore[arg-type]
    lowering = LowerToLoopsPass(vector_length=8, input_stationary=rule, shared_groups=False)
    return module, applied(module, lowering)


def test_a_tuned_schedule_picks_the_nest_over_the_rule() -> None:
    """`pat.schedule` st = 1 runs a layer input-stationary with the rule off (0), st = -1
    keeps the per-filter nest where the rule would take it; the outputs stay the tensor
    level's (what `patcc tune` measures as the `st` knob)."""
    from patcc.tune.space import Schedule

    layer = _two_pattern_layer(5, "none", 4)
    inputs = {"x": np.random.default_rng(5).standard_normal((1, 3, 4, 10)).astype(np.float32)}
    for knob, rule, used in ((1, 0, True), (-1, 1, False), (0, 1, True)):
        module, lowered = _lowered_with_schedule(layer, Schedule(st=knob), rule)
        assert ("is_tile" in _allocs(lowered)) == used
        assert_close(run_function(lowered, inputs)["y"], run_function(module, inputs)["y"], TOL)


def test_a_tuned_schedule_caps_the_tile_rows() -> None:
    """`pat.schedule` sr (`patcc tune`'s knob) caps the tile's rows over the rule: 8 output
    rows in tiles of 4 by the rule, of 2 with sr = 2; the outputs stay the tensor level's."""
    from patcc.tune.space import Schedule

    layer = _two_pattern_layer(6, "relu", 8)
    inputs = {"x": np.random.default_rng(6).standard_normal((1, 3, 8, 10)).astype(np.float32)}
    for sr, rows in ((0, 4), (2, 2)):
        module, lowered = _lowered_with_schedule(layer, Schedule(st=1, sr=sr), 0)
        (tile,) = [
            op.memref.type.get_shape()  # type: ignore[attr-defined]
            for op in lowered.walk()  # type: ignore[attr-defined]
            if isinstance(op, memref.AllocOp) and op.memref.name_hint == "is_tile"
        ]
        assert tile == (8 // rows, 4, rows, 8)
        assert_close(run_function(lowered, inputs)["y"], run_function(module, inputs)["y"], TOL)


def test_wide_rows_prefetch_the_next_channel() -> None:
    """Rows of 4 vectors or more (HINT_VECTORS) prefetch the next channel's rows, narrower
    ones do not; a tuned pf = 1 asks for the hints on any layer, pf = -1 on none. The
    outputs stay the tensor level's (the hints read nothing)."""
    from patcc.dialects.pat.prefetch import PrefetchOp
    from patcc.tune.space import Schedule

    for width, pf, hinted in ((32, 0, True), (10, 0, False), (10, 1, True), (32, -1, False)):
        layer = _two_pattern_layer(7, "relu", 4)
        layer["hw"] = (4, width)
        _, lowered = _lowered_with_schedule(layer, Schedule(st=1, pf=pf), 0)
        hints = [op for op in lowered.walk() if isinstance(op, PrefetchOp)]  # type: ignore[attr-defined]
        assert bool(hints) == hinted, (width, pf)
    x = np.random.default_rng(7).standard_normal((1, 3, 4, 32)).astype(np.float32)
    module, lowered = _lowered_with_schedule(layer, Schedule(st=1), 0)  # 32 wide: hinted
    assert_close(run_function(lowered, {"x": x})["y"], run_function(module, {"x": x})["y"], TOL)
