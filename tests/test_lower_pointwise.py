"""The 1x1 conv as a packed-panel GEMM (patcc/lowering/pointwise.py): same outputs as the
reference interpreter on random layers, its tiles, and the same bits as the general dense
tile (every output keeps its FMA chain: bias, then the channels in order)."""

from __future__ import annotations

import math
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func, memref, scf, vector

from patcc.frontend import make_context
from patcc.lowering import pointwise
from patcc.lowering.pointwise import VECTOR_TILE, filter_block, panel_widths
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.parallelize import ParallelizePass
from patcc.semantics import run_function
from patcc.targets.attrs import PARALLEL_ATTR
from patcc.targets.layers import root_buffer
from tests.test_lower_to_loops import ACTIVATIONS, _check, _conv_module, _lower


@st.composite
def pointwise_layers(draw: st.DrawFn) -> dict:
    vl = draw(st.sampled_from([4, 8]))
    stride = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    return {
        "c": draw(st.integers(1, 6)),
        "o": draw(st.integers(1, 10)),
        "group": 1,
        "k": (1, 1),
        "hw": (h, w),
        "stride": (stride, stride),
        "dil": (1, 1),
        "pads": [0, 0, 0, 0],
        "bias": draw(st.booleans()),
        "act": draw(st.sampled_from([None, *ACTIVATIONS])),
        "vl": vl,
        "seed": draw(st.integers(0, 2**16)),
    }


@settings(max_examples=30, deadline=None)
@given(layer=pointwise_layers(), small_blocks=st.booleans())
def test_pointwise_preserves_semantics(layer: dict, small_blocks: bool) -> None:
    """Also with blocks of 4 filters forced (the real ones need C >= 16K)."""
    block_bytes = 1 if small_blocks else pointwise.WEIGHT_BLOCK_BYTES
    with patch.object(pointwise, "WEIGHT_BLOCK_BYTES", block_bytes):
        _check(_conv_module(layer), layer["seed"], layer["vl"])


def test_filter_block() -> None:
    assert filter_block(256, 64) == 256  # 64 KB of weights: one block
    assert filter_block(256, 1024) == 64  # 256 KB blocks of 1 MB
    assert filter_block(512, 2048) == 32
    assert filter_block(10, 8) == 8  # the 2 filters after the full tiles run apart
    assert filter_block(3, 8) == 4  # no full tile: no block loop at all


@given(n_vec=st.integers(1, 200), tile=st.integers(3, 8))
def test_panel_widths_cover_the_row_without_single_vector_tiles(n_vec: int, tile: int) -> None:
    full, rest = panel_widths(n_vec, tile)
    assert full * tile + sum(rest) == n_vec
    assert all(1 <= w <= tile for w in rest)
    if n_vec > 1:
        assert 1 not in rest
    assert panel_widths(n_vec) == panel_widths(n_vec, VECTOR_TILE)


@settings(max_examples=15, deadline=None)
@given(layer=pointwise_layers(), tile=st.sampled_from([(6, 4), (8, 3), (4, 6), (2, 2)]))
def test_small_image_tiles_keep_the_bits(layer: dict, tile: tuple[int, int]) -> None:
    """Any (filters, vectors) tile for an image of at most 4 vectors of 16: the reference's
    outputs, and the same bits as the 4 x 3 tile (each output is still bias, then the
    channels in order)."""
    h, w = layer["hw"]
    layer = {**layer, "vl": 16, "stride": (1, 1), "hw": (h + 2, w + 7)}  # 27 .. 176 pixels
    module = _conv_module(layer)
    rng = np.random.default_rng(layer["seed"])
    x = {"x0": rng.standard_normal((1, layer["c"], *layer["hw"])).astype(np.float32)}
    with patch.object(pointwise, "SMALL_IMAGE_TILE", (4, 3)):
        want = run_function(_lower(module, 16), x)["y0"]
    with patch.object(pointwise, "SMALL_IMAGE_TILE", tile):
        assert pointwise.gemm_tile(16, math.prod(layer["hw"])) == (
            tile if math.prod(layer["hw"]) <= tile[1] * 16 else (4, 3)
        )
        lowered = _check(module, layer["seed"], 16, x)
    assert np.array_equal(run_function(lowered, x)["y0"], want)


def test_gemm_tile_by_vector_length_and_image() -> None:
    small = pointwise.SMALL_IMAGE_TILE
    assert pointwise.gemm_tile(8, 49) == (pointwise.FILTER_TILE, VECTOR_TILE)
    assert pointwise.gemm_tile(16, 49) == small  # ResNet's 7x7: one panel of 4 vectors
    assert pointwise.gemm_tile(16, 64) == small
    assert pointwise.gemm_tile(16, 65) == (pointwise.FILTER_TILE, VECTOR_TILE)
    assert pointwise.gemm_tile(16, 196) == (pointwise.FILTER_TILE, VECTOR_TILE)


def test_wider_filter_tiles_only_where_the_panel_outgrows_l1() -> None:
    """`gemm_filters` (8 on Intel AVX-512 hosts) applies to panels larger than
    PANEL_L1_BYTES: ResNet-50's 14x14 1024 -> 256 (a 192 KB panel at 16 lanes), not its
    64-channel layers (12 KB) nor the 7x7 images (their own small-image tile)."""
    tile = pointwise.gemm_tile
    assert tile(16, 196, 8, 1024) == (8, VECTOR_TILE)
    assert tile(16, 196, 8, 256) == (8, VECTOR_TILE)
    assert tile(16, 3136, 8, 64) == (pointwise.FILTER_TILE, VECTOR_TILE)
    assert tile(16, 49, 8, 2048) == pointwise.SMALL_IMAGE_TILE
    assert tile(16, 196, 0, 1024) == (pointwise.FILTER_TILE, VECTOR_TILE)


@settings(max_examples=10, deadline=None)
@given(layer=pointwise_layers())
def test_wider_filter_tiles_keep_the_bits(layer: dict) -> None:
    """8 filters per tile (every panel forced over the L1 budget) store the same bits as
    4: each output's FMA chain is the same; the tiles carry 8 x 3 accumulators."""
    module = _conv_module(layer)
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(layer["seed"])
    x = {"x0": rng.standard_normal(fn.function_type.inputs.data[0].get_shape()).astype(np.float32)}
    want = run_function(_lower(module, layer["vl"]), x)["y0"]
    lowered = module.clone()
    with patch.object(pointwise, "PANEL_L1_BYTES", 0):
        LowerToLoopsPass(vector_length=layer["vl"], gemm_filters=8).apply(make_context(), lowered)
    np.testing.assert_array_equal(run_function(lowered, x)["y0"], want)


def test_wider_filter_tiles_hold_8_x_3_accumulators() -> None:
    """16 filters over 48 pixels at V = 4 (4 panels of 3 vectors): tiles of 8 x 3 with
    `gemm_filters = 8` once the panel is over the L1 budget, 4 x 3 below it."""
    module = _conv_module(_layer((4, 12), 5, 16, [0, 0, 0, 0]))

    def accumulators(budget: int) -> set[int]:
        lowered = module.clone()
        with patch.object(pointwise, "PANEL_L1_BYTES", budget):
            LowerToLoopsPass(vector_length=4, gemm_filters=8).apply(make_context(), lowered)
        return {len(op.iter_args) for op in lowered.walk() if isinstance(op, scf.ForOp)} - {0}

    assert accumulators(0) == {8 * VECTOR_TILE}
    assert accumulators(pointwise.PANEL_L1_BYTES) == {pointwise.FILTER_TILE * VECTOR_TILE}


def test_7x7_image_at_16_lanes_is_one_panel_of_6_filters_x_4_vectors() -> None:
    layer = {**_layer((7, 7), 3, 14, [0, 0, 0, 0]), "vl": 16}
    lowered = _check(_conv_module(layer), 7, 16)
    loops = [op for op in lowered.walk() if isinstance(op, scf.ForOp) and op.iter_args]
    # 2 tiles of 6 filters (24 accumulators), then the last 2 filters one at a time
    assert sorted(len(loop.iter_args) for loop in loops) == [4, 24]


def _layer(hw: tuple[int, int], c: int, o: int, pads: list[int]) -> dict:
    return {
        "c": c, "o": o, "group": 1, "k": (1, 1), "hw": hw, "stride": (1, 1), "dil": (1, 1),
        "pads": pads, "bias": True, "act": "relu", "vl": 4, "seed": 7,
    }  # fmt: skip


def test_7x7_image_runs_tiles_of_3_2_2_vectors_over_packed_panels() -> None:
    """49 pixels at V = 8: 7 vectors (the last overlaps) as tiles of 3, 2 and 2 vectors
    (never a 1-vector tile: 4 FMA chains are latency bound), 4 filters each; every FMA reads
    the packed panel, never the input."""
    layer = _layer((7, 7), 5, 4, [0, 0, 0, 0])
    lowered = _check(_conv_module(layer), 7, 8)
    ops = list(lowered.walk())
    fmas = [op for op in ops if isinstance(op, vector.FMAOp)]
    assert len(fmas) == 4 * (3 + 2 + 2)
    loads = [op for op in ops if isinstance(op, vector.LoadOp)]
    panel = next(op for op in ops if isinstance(op, memref.AllocOp)).memref
    assert panel.name_hint == "panel"
    fma_inputs = {f.lhs.owner for f in fmas}
    assert fma_inputs and all(ld in loads and root_buffer(ld.base) is panel for ld in fma_inputs)
    stores = [op for op in ops if isinstance(op, vector.StoreOp) and op.base is not panel]
    starts = sorted({int(s.indices[-1].owner.value.value.data) for s in stores})
    assert starts == [0, 8, 16, 24, 32, 40, 41]


def test_same_bits_as_the_general_dense_tile() -> None:
    """A 1x1 conv with a zero pad on the right takes the general tile (pads are not the
    GEMM's); without it, the GEMM. The pixels they share get bit-identical outputs."""
    x = np.random.default_rng(3).standard_normal((1, 37, 4, 9)).astype(np.float32)
    gemm = run_function(_lower(_conv_module(_layer((4, 9), 37, 6, [0, 0, 0, 0])), 4), {"x0": x})
    general = run_function(_lower(_conv_module(_layer((4, 9), 37, 6, [0, 0, 0, 1])), 4), {"x0": x})
    a, b = gemm["y0"], general["y0"]
    assert a.shape == (1, 6, 4, 9) and b.shape == (1, 6, 4, 10)
    assert np.array_equal(a, b[..., :9])


def test_filter_blocks_run_over_every_panel_and_keep_the_bits() -> None:
    """8 filters in blocks of 4 over a 7x7 image (panels of 3, 2 and 2 vectors, packed
    once): each block's tiles run over all three panels; the same bits as one block."""
    layer = _layer((7, 7), 5, 8, [0, 0, 0, 0])
    x = np.random.default_rng(9).standard_normal((1, 5, 7, 7)).astype(np.float32)
    single = run_function(_lower(_conv_module(layer), 8), {"x0": x})
    with patch.object(pointwise, "WEIGHT_BLOCK_BYTES", 1):
        lowered = _check(_conv_module(layer), 9, 8, {"x0": x})
    allocs = [op for op in lowered.walk() if isinstance(op, memref.AllocOp)]
    assert [a.memref.type.get_shape() for a in allocs] == [(3, 5, 24)]
    loops = [op for op in lowered.walk() if isinstance(op, scf.ForOp)]
    block = next(loop for loop in loops if loop.body.block.args[0].name_hint == "ob")
    inner = [op for op in block.walk() if isinstance(op, scf.ForOp) and op.iter_args]
    assert [len(loop.iter_args) for loop in inner] == [12, 8, 8]
    assert np.array_equal(run_function(lowered, {"x0": x})["y0"], single["y0"])


def test_parallel_regions_are_per_layer_not_per_panel() -> None:
    """parallelize marks the packing loop and the filter-block loop (with one block: the
    panel loop, and the filters of each static panel), never a loop inside the panels (an
    OpenMP region per panel costs ~0.3 us even on 1 thread)."""
    for block_bytes, want in ((1, ["t", "c", "ob"]), (1 << 20, ["t", "c", "p", "o", "o"])):
        layer = _layer((10, 10), 3, 8, [0, 0, 0, 0])  # 25 vectors of 4: panels 7 x 3, 2, 2
        with patch.object(pointwise, "WEIGHT_BLOCK_BYTES", block_bytes):
            lowered = _lower(_conv_module(layer), 4)
        ParallelizePass(threads=2).apply(make_context(), lowered)
        marked = [
            op
            for op in lowered.walk()
            if isinstance(op, scf.ForOp) and PARALLEL_ATTR in op.attributes
        ]
        assert [loop.body.block.args[0].name_hint for loop in marked] == want
        assert all(isinstance(loop.parent_op(), func.FuncOp) for loop in marked)
