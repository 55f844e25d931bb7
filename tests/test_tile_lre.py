"""tile-conv and eliminate-load-redundancy keep the loop-level pattern convs' results.

Random small pruned layers (the strategy of test_lower_pattern_conv: shapes, strides, pads,
dilations, pattern sets, connectivity, bias, fused activations), random tile sizes and
vector lengths: the interpreter's output after each pass is bit-identical to the one before
it (each accumulator still sums its taps in the same order). Plus the structure: tile sizes
recorded on the loops, remainders, and the load counts of a hand-sized register tile.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import applied
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import HAND_LAYER, PACKINGS, _input, _module, layers
from xdsl.dialects import scf, vector
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr

from patcc.errors import PatccError
from patcc.lowering.pattern_conv import LOOP_ATTR, TILE_ATTR, UNROLL_ATTR
from patcc.lowering.stats import inner_body_stats
from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.tile_conv import TileConvPass
from patcc.semantics import run_function


@settings(max_examples=20, deadline=None)
@given(
    layer=layers(),
    packing=st.sampled_from(["fkr+fkw", "unpacked"]),
    vl=st.sampled_from([1, 4, 8]),
    tiles=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3)),
    min_items=st.sampled_from([0, 0, 1, 16, 64]),
)
def test_tile_and_lre_keep_results(
    layer: dict, packing: str, vl: int, tiles: tuple[int, int, int], min_items: int
) -> None:
    """`min_items` > 0: rows by the work items left (the GPU's auto rows), as the opencl
    target tiles."""
    loops = applied(_module(layer), *PACKINGS[packing], LowerToLoopsPass(vector_length=vl))
    inputs = _input(layer)
    want = run_function(loops, inputs)["y"]
    oc, oh, ow = tiles
    oh = 0 if min_items else oh
    tiled = applied(loops, TileConvPass(oc=oc, oh=oh, ow=ow, min_items=min_items))
    np.testing.assert_array_equal(run_function(tiled, inputs)["y"], want)
    lre = applied(tiled, EliminateLoadRedundancyPass())
    assert not any(UNROLL_ATTR in op.attributes for op in lre.walk())
    np.testing.assert_array_equal(run_function(lre, inputs)["y"], want)
    before, after = inner_body_stats(tiled), inner_body_stats(lre)
    for name, stats in after.items():  # never more loads per output than before
        assert stats.loads_per_fma <= before[name].loads_per_fma


def _layer(o: int = 2, h: int = 6, w: int = 8) -> dict:
    """o filters x 2 channels; patterns [0, 1, 3, 4] (rows +0/+1, columns +0/+1 of the
    padded input) and [4, 5, 7, 8] (rows, columns +1/+2); every kernel kept."""
    ids = np.array([[0, 1], [1, 0]] * (o // 2) + [[0, 0]] * (o % 2), np.int8)
    values = np.arange(o * 8, dtype=np.float32).reshape(o, 2, 4)
    return {**HAND_LAYER, "o": o, "hw": (h, w), "ids": ids, "values": values}


def _loops(layer: dict, vl: int = 4) -> ModuleOp:
    return applied(_module(layer), PackFkwPass(), LowerToLoopsPass(vector_length=vl))


def _tiles(module: ModuleOp) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for op in module.walk():
        role, tile = op.attributes.get(LOOP_ATTR), op.attributes.get(TILE_ATTR)
        if isinstance(role, StringAttr) and isinstance(tile, IntegerAttr):
            out.setdefault(role.data, []).append(tile.value.data)
    return out


def test_tile_sizes_live_on_the_loops() -> None:
    # 5 filters, 7 rows, 12 columns = 3 vectors of 4: every size leaves a remainder
    loops = _loops(_layer(o=5, h=7, w=12))
    tiled = applied(loops, TileConvPass(oc=2, oh=3, ow=2))
    tiles = _tiles(tiled)
    assert tiles["filters"] == [2]
    assert set(tiles["rows"]) == {3} and set(tiles["cols"]) == {2}
    # the remainders keep the original (untiled) loops
    roles = [
        op.attributes[LOOP_ATTR]
        for op in tiled.walk()
        if LOOP_ATTR in op.attributes and TILE_ATTR not in op.attributes
    ]
    assert {r.data for r in roles if isinstance(r, StringAttr)} == {"filters", "rows", "cols"}
    # tiles larger than the loops: each loop is one tile of all its trips (a row block's
    # last, shorter block keeps a register tile instead of running rolled)
    whole = applied(loops, TileConvPass(oc=8, oh=8, ow=4))
    assert _tiles(whole) == {"filters": [5], "rows": [7], "cols": [3]}
    inputs = _input(_layer(o=5, h=7, w=12))
    np.testing.assert_array_equal(
        run_function(whole, inputs)["y"], run_function(loops, inputs)["y"]
    )


def test_remainders_run_as_one_smaller_tile() -> None:
    """A remainder of two or more trips is one tile of its own (the 3 vectors left of a
    112-wide row at 16 lanes run with 3 accumulators per filter, not 1 at a time); a
    remainder of one keeps the original loop. Outputs bit-identical."""
    # 7 filters by 4: remainder 3; 6 rows by 4: remainder 2; 20 columns = 5 vectors of 4 by 2:
    # remainder 1
    layer = _layer(o=7, h=6, w=20)
    loops = _loops(layer)
    tiled = applied(loops, TileConvPass(oc=4, oh=4, ow=2))
    tiles = _tiles(tiled)
    assert sorted(tiles["filters"]) == [3, 4] and set(tiles["rows"]) == {2, 4}
    assert set(tiles["cols"]) == {2}
    untiled = {
        op.attributes[LOOP_ATTR]
        for op in tiled.walk()
        if LOOP_ATTR in op.attributes and TILE_ATTR not in op.attributes
    }
    assert untiled == {StringAttr("cols")}
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(tiled, inputs)["y"], run_function(loops, inputs)["y"]
    )


def test_tile_sizes_must_be_positive() -> None:
    for bad in (TileConvPass(oc=0), TileConvPass(oh=0, ow=0), TileConvPass(oh=-1)):
        with pytest.raises(PatccError, match="tile sizes"):
            applied(_loops(_layer()), bad)
    with pytest.raises(PatccError, match="min-items must be >= 0, got -1"):
        applied(_loops(_layer()), TileConvPass(oh=0, min_items=-1))


@pytest.mark.parametrize(
    ("h", "min_items", "rows"),
    [(8, 32, {4}), (8, 33, {2}), (8, 64, {2}), (8, 65, set()), (6, 1, {2}), (7, 1, set())],
)
def test_gpu_rows_by_the_work_items_left(h: int, min_items: int, rows: set[int]) -> None:
    """min_items > 0 (the opencl target): the largest of 4 and 2 rows that divides the rows
    loop and leaves min_items work items (2 filters x h rows x 8 columns / R), else none;
    the scalar column loop stays whole (ow = 1, no factor along the row)."""
    layer = _layer(h=h, w=8)
    loops = _loops(layer, 1)
    tiled = applied(loops, TileConvPass(oc=1, oh=0, ow=1, min_items=min_items))
    tiles = _tiles(tiled)
    assert set(tiles.get("rows", [])) == rows and "cols" not in tiles
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(tiled, inputs)["y"], run_function(loops, inputs)["y"]
    )


@pytest.mark.parametrize(("vl", "width", "rows"), [(16, 32, 8), (8, 16, 4), (4, 8, 4), (1, 5, 4)])
def test_auto_rows_follow_the_vector_width(vl: int, width: int, rows: int) -> None:
    """oh = 0: 8-row tiles where a layer runs 16 lanes (32 AVX-512 registers hold 8 x 2
    accumulators), 4 elsewhere."""
    layer = _layer(h=17, w=width)
    loops = _loops(layer, vl)
    tiled = applied(loops, TileConvPass(oc=2, oh=0, ow=2))
    assert set(_tiles(tiled)["rows"]) == {rows}
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(tiled, inputs)["y"], run_function(loops, inputs)["y"]
    )


@pytest.mark.parametrize(
    ("vl", "width", "rows", "vectors"),
    [(16, 56, {4}, {4}), (16, 112, {4}, {4, 3}), (16, 48, {8}, {2}), (8, 56, {4}, {2})],
)
def test_wide_per_filter_rows_lay_half_their_rows_along_the_row(
    vl: int, width: int, rows: set[int], vectors: set[int]
) -> None:
    """oh = 0 on the per-filter nest: at 16 lanes rows of WIDE_ROW (56) outputs or more take
    4 rows x 4 vectors (WIDE_FILTER_ROWS; a 56-wide row is one tile of its 4 vectors, a
    112-wide one 4 + 3) instead of 8 x 2, narrower rows and 8-lane builds keep theirs.
    Outputs bit-identical."""
    layer = _layer(o=1, h=9, w=width)
    loops = _loops(layer, vl)
    tiled = applied(loops, TileConvPass(oc=1, oh=0, ow=2))
    tiles = _tiles(tiled)
    assert set(tiles["rows"]) == rows and set(tiles["cols"]) == vectors
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(tiled, inputs)["y"], run_function(loops, inputs)["y"]
    )


@pytest.mark.parametrize(
    ("vl", "size", "oh", "vectors"),
    [(16, 7, 0, [4]), (16, 14, 0, [14]), (8, 5, 0, [5]), (16, 14, 3, [6, 2])],
)
def test_wide_rows_tile_their_vectors(vl: int, size: int, oh: int, vectors: list[int]) -> None:
    """A narrow layer's one wide row (no rows loop) takes its rows tile along the row, at
    most the whole row: with auto rows 7x7 at 16 lanes is one tile of its 4 vectors (61 =
    6 * 9 + 7 outputs), 14x14 one of its 14; a rows tile of 3 gives tiles of 3 x 2 vectors
    (14x14: 222 outputs in 14 vectors, two tiles of 6 and a remainder tile of 2). Outputs
    bit-identical."""
    layer = _layer(h=size, w=size)
    loops = _loops(layer, vl)
    tiled = applied(loops, TileConvPass(oc=1, oh=oh, ow=2))
    assert _tiles(tiled) == {"cols": vectors}
    inputs = _input(layer)
    np.testing.assert_array_equal(
        run_function(tiled, inputs)["y"], run_function(loops, inputs)["y"]
    )


def test_lre_shares_the_loads_of_a_wide_row() -> None:
    """A 14x14 layer at 16 lanes: one wide row of 14 vectors over 16-wide padded rows, so
    tap (kh + 1, kw) of vector v is tap (kh, kw) of vector v + 1. The single tile's vector
    starts are constants (the last one clamped to 206), and LRE keeps one load per address:
    pattern [0, 1, 3, 4] reads 16v + {0, 1, 16, 17} for v < 13 and 206 + {0, 1, 16, 17}:
    32 loads for 56 FMAs, not 56."""
    tiled = applied(_loops(_layer(h=14, w=14), 16), TileConvPass(oc=1, oh=0, ow=2))
    lre = applied(tiled, EliminateLoadRedundancyPass())
    bodies = inner_body_stats(lre)["conv0"].bodies
    assert bodies and all((b.accumulators, b.fmas, b.input_loads) == (14, 56, 32) for b in bodies)


def test_lre_register_tile_load_counts() -> None:
    """oh = 4 rows x ow = 2 vectors: a kernel of pattern [0, 1, 3, 4] reads padded rows
    r + {0, 1} at columns x + {0, 1}, for r in 0..3 and x in {x0, x0 + 4}: 5 rows x 4
    columns = 20 distinct vectors for 32 FMAs (32 loads before LRE)."""
    tiled = applied(_loops(_layer()), TileConvPass(oc=2, oh=4, ow=2))
    lre = applied(tiled, EliminateLoadRedundancyPass())
    full = [b for b in inner_body_stats(lre)["conv0"].bodies if b.accumulators == 8]
    assert full and all((b.input_loads, b.fmas, b.index_loads) == (20, 32, 1) for b in full)
    assert all(b.weight_loads == 4 for b in full)  # the 4 weights once for the whole tile
    before = [b for b in inner_body_stats(tiled)["conv0"].bodies if b.vector]
    assert all((b.input_loads, b.fmas, b.accumulators) == (4, 4, 1) for b in before)
    fused = [op for op in lre.walk() if isinstance(op, scf.ForOp) and len(op.iter_args) == 8]
    assert all(
        sum(isinstance(o, vector.LoadOp) for o in loop.body.block.ops) == 20 for loop in fused
    )
