"""Block-shared FKR groups: one kernel list feeds G filters (pattern_conv's shared nest).

Random block-pruned layers (ids rows identical within blocks of G original filters, the
last block possibly shorter; weights differ): reorder-filters keeps the blocks whole and
aligned, the lowering runs them in shared mode, and the interpreter's output equals the
tensor level and, bit for bit, the per-filter nest of the same layer
(`lower-to-loops{shared-groups=false}`), also after tiling and LRE. Plus the detection
(`shared_group_size`) and the block order (`filter_order(..., block)`).
"""

from __future__ import annotations

import numpy as np
from conftest import CANDIDATES, applied, assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import HAND_LAYER, TOL, _input, _module, layers
from xdsl.dialects import scf, vector
from xdsl.dialects.builtin import IntegerAttr, ModuleOp

from patcc.compression.fkw import filter_groups, filter_order, pack_fkw
from patcc.lowering.pattern_conv import CONV_ATTR
from patcc.lowering.shared_groups import GROUP_ATTR, SHARED_GROUP, shared_group_size
from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.passes.tile_conv import TileConvPass
from patcc.semantics import run_function


def block_ids(rng: np.random.Generator, o: int, c: int, k: int, g: int) -> np.ndarray:
    """(o, c) ids whose rows repeat within blocks of g filters (random rows per block)."""
    rows = rng.integers(-1, k, size=(-(-o // g), c)).astype(np.int8)
    return np.repeat(rows, g, axis=0)[:o]


def hand_layer(seed: int, o: int, c: int, k: int, g: int, hw: tuple[int, int]) -> dict:
    """A block-pruned layer of o filters (blocks of g), stride 1, pad 1, no bias."""
    rng = np.random.default_rng(seed)
    ids = block_ids(rng, o, c, k, g)
    values = rng.standard_normal((o, c, 4)).astype(np.float32) * (ids >= 0)[..., None]
    fields = {"o": o, "c": c, "hw": hw, "patterns": CANDIDATES[:k], "seed": seed}
    return {**HAND_LAYER, **fields, "ids": ids, "values": values}


@st.composite
def block_layers(draw: st.DrawFn) -> dict:
    """test_lower_pattern_conv's random layer, block-pruned: its ids rows repeated within
    blocks of g filters (the last block shorter when g does not divide o)."""
    layer = draw(layers())
    o, c = layer["o"], layer["c"]
    g = draw(st.integers(2, max(2, o)))
    rng = np.random.default_rng(layer["seed"])
    ids = block_ids(rng, o, c, len(layer["patterns"]), g)
    values = rng.standard_normal((o, c, 4)).astype(np.float32) * (ids >= 0)[..., None]
    return {**layer, "g": g, "ids": ids, "values": values}


def _accumulators(module: ModuleOp) -> set[int]:
    """How many accumulators the kernel loops carry (G in shared mode, 1 per filter)."""
    return {
        len(op.iter_args)
        for op in module.walk()
        if isinstance(op, scf.ForOp) and CONV_ATTR in op.attributes
    }


@settings(max_examples=25, deadline=None)
@given(
    layer=block_layers(),
    fkw=st.booleans(),
    vl=st.sampled_from([1, 4, 8]),
    tiles=st.tuples(st.integers(0, 2), st.integers(1, 3)),
)
def test_shared_groups_equal_reference_and_per_filter_bits(
    layer: dict, fkw: bool, vl: int, tiles: tuple[int, int]
) -> None:
    packing = (ReorderFiltersPass(group_size=layer["g"]), *([PackFkwPass()] if fkw else []))
    reordered = applied(_module(layer), *packing)
    inputs = _input(layer)
    want = run_function(_module(layer), inputs)["y"]
    shared = applied(reordered, LowerToLoopsPass(vector_length=vl))
    per_filter = applied(reordered, LowerToLoopsPass(vector_length=vl, shared_groups=False))
    got = run_function(shared, inputs)["y"]
    assert_close(got, want, TOL)
    np.testing.assert_array_equal(got, run_function(per_filter, inputs)["y"])
    oh, ow = tiles
    lre = applied(shared, TileConvPass(oc=2, oh=oh, ow=ow), EliminateLoadRedundancyPass())
    np.testing.assert_array_equal(run_function(lre, inputs)["y"], got)
    g = layer["g"]
    kept = bool((layer["ids"] >= 0).any())  # no kept kernel: no kernel loop at all
    # the block's filters share lists: groups of G's divisor nearest SHARED_GROUP run shared
    near = [d for d in range(2, min(g, 2 * SHARED_GROUP) + 1) if g % d == 0]
    d = min(near, key=lambda d: (abs(d - SHARED_GROUP), d), default=1)
    assert (d in _accumulators(shared)) == (kept and layer["o"] >= d and d > 1)
    assert _accumulators(per_filter) <= {1}


@settings(max_examples=15, deadline=None)
@given(layer=block_layers(), below=st.booleans())
def test_shared_min_items_keeps_small_layers_per_filter(layer: dict, below: bool) -> None:
    """`shared_min_items` (the opencl target's): a layer whose (filters / G) x rows x
    columns falls short of it runs per filter, one that reaches it shared; same bits."""
    reordered = applied(_module(layer), ReorderFiltersPass(group_size=layer["g"]))
    shared = applied(reordered, LowerToLoopsPass(vector_length=4))
    groups = _accumulators(shared) - {1}
    if not groups:
        return  # nothing shares here (no kept kernel, or fewer filters than a group)
    (g,) = groups  # the block's group, or its sub-groups (SHARED_GROUP)
    y = _module(layer).body.block.first_op.function_type.outputs.data[0]  # type: ignore[union-attr]
    _, filters, rows, cols = y.get_shape()
    items = filters // g * rows * cols
    limit = items + 1 if below else items
    gated = applied(reordered, LowerToLoopsPass(vector_length=4, shared_min_items=limit))
    assert (g in _accumulators(gated)) == (not below)
    inputs = _input(layer)
    got = run_function(gated, inputs)["y"]
    np.testing.assert_array_equal(got, run_function(shared, inputs)["y"])


def test_shared_nest_loads_each_vector_once_for_the_group() -> None:
    """4 filters in one block (same channels and patterns, different weights) at 4 lanes,
    oh = ow = 1: each kernel loop carries 4 accumulators and loads its 4 input vectors once
    (4 loads for 16 FMAs; per filter it is 4 loads for 4 FMAs)."""
    layer = hand_layer(0, 4, 3, 2, 4, (6, 8))
    layer["ids"][layer["ids"] < 0] = 0  # every kernel kept: no empty list
    layer["values"] = np.ones((4, 3, 4), np.float32)
    module = applied(_module(layer), ReorderFiltersPass(), PackFkwPass())
    loops = applied(module, LowerToLoopsPass(vector_length=4))
    kernels = [op for op in loops.walk() if isinstance(op, scf.ForOp) and op.iter_args]
    vectors = [k for k in kernels if isinstance(k.iter_args[0].type, vector.VectorType)]
    assert vectors and all(len(k.iter_args) == 4 for k in vectors)
    for k in vectors:
        ops = list(k.body.block.ops)
        assert sum(isinstance(o, vector.LoadOp) for o in ops) == 4
        assert sum(isinstance(o, vector.FMAOp) for o in ops) == 16
    assert {
        a.value.data
        for op in loops.walk()
        if isinstance(a := op.attributes.get(GROUP_ATTR), IntegerAttr)
    } == {4}


def test_detection_needs_identical_lists_in_every_full_group() -> None:
    rng = np.random.default_rng(1)
    ids = block_ids(rng, 10, 6, 4, 4)
    ids[ids[:, 0] < 0, 0] = 0  # no empty filter: the lists are not trivially equal
    order = filter_order(ids, 4, 4)
    fkw = pack_fkw(ids, np.zeros((*ids.shape, 4), np.float32), 4, order)
    arrays = (fkw.offset, fkw.index, fkw.stride)
    assert shared_group_size(*arrays, filter_groups(10, 4).tolist()) == 4
    assert shared_group_size(*arrays, filter_groups(10, 2).tolist()) == 2
    assert shared_group_size(*arrays, filter_groups(10, 1).tolist()) == 1
    assert shared_group_size(*arrays, [0, 4, 6]) == 1  # unequal groups
    # groups of 8 mix two blocks of 4: they run as their sub-groups, the blocks
    assert shared_group_size(*arrays, filter_groups(10, 8).tolist()) == 4
    assert shared_group_size(*arrays, filter_groups(10, 4).tolist(), preferred=3) == 2
    assert shared_group_size(*arrays, filter_groups(10, 4).tolist(), preferred=1) == 2
    other = ids.copy()
    other[order[5], 0] = (other[order[5], 0] + 1) % 4  # one filter of group 1 differs
    fkw = pack_fkw(other, np.zeros((*ids.shape, 4), np.float32), 4, order)
    assert shared_group_size(fkw.offset, fkw.index, fkw.stride, [0, 4, 8]) == 1


def test_block_order_keeps_blocks_whole_and_the_short_block_last() -> None:
    rng = np.random.default_rng(2)
    for o, g in ((14, 3), (16, 4), (9, 4), (5, 8)):
        ids = block_ids(rng, o, 5, 3, g)
        order = filter_order(ids, 3, g)
        assert sorted(order.tolist()) == list(range(o))
        blocks = order.reshape(-1, g) if o % g == 0 else None
        starts = order[::g]
        assert all(s % g == 0 for s in starts)  # every group starts a block ...
        for j in range(0, o, g):  # ... and runs through it
            assert order[j : j + g].tolist() == list(range(order[j], min(order[j] + g, o)))
        assert order[-1] == o - 1 or blocks is not None  # the short block last
        # blocks are ordered as their first filters would be
        heads = filter_order(ids[::g][: o // g], 3)
        assert (starts[: o // g] // g).tolist() == heads.tolist()
    # the short last block stays last even with more kernels than the block before it
    short_last = np.array([[0], [0], [0], [0], [-1], [-1], [0]], np.int8)
    assert filter_order(short_last, 1, 2).tolist() == list(range(7))
    ids = rng.integers(-1, 3, size=(8, 5)).astype(np.int8)
    ids[1] = (ids[0] + 1) % 3  # not block-identical: the per-filter order
    assert filter_order(ids, 3, 4).tolist() == filter_order(ids, 3).tolist()


def test_auto_rows_of_a_shared_group() -> None:
    """oh = 0 on a shared group of G filters: SHARED_ROWS // G rows at any vector width
    (G = 4: 2 rows, so 4 x 2 x 2 accumulators with ow = 2; G = 5, a prime block that runs whole: 1 row), and 1 row on rows
    of WIDE_ROW outputs or more (one output short of it: 2 rows), where the rows given up
    lie along the row: ow x SHARED_ROWS // G vectors (4 x 1 x 4; a remainder of two or more
    vectors is one tile of its own: 7 vectors are 4 + 3, 14 are 4 + 4 + 4 + 2). Tiled and
    jammed, the wide layer computes what it computed untiled."""
    from patcc.passes.tile_conv import WIDE_ROW

    cases = ((4, 16, 32, 2, {2}), (4, 8, 16, 2, {2}), (5, 8, 16, 1, {2}), (4, 8, 56, 1, {4, 3}))
    more = ((4, 8, WIDE_ROW - 8, 2, {2}), (5, 8, WIDE_ROW, 1, {2}), (4, 16, 224, 1, {4, 2}))
    for g, vl, width, rows, cols in (*cases, *more):
        layer = hand_layer(3, g, 2, 3, g, (9, width))
        module = applied(_module(layer), ReorderFiltersPass(group_size=g), PackFkwPass())
        loops = applied(module, LowerToLoopsPass(vector_length=vl))
        tiled = applied(loops, TileConvPass(oc=1, oh=0, ow=2))
        tiles = {
            (op.attributes["pat.loop"], op.attributes["pat.tile"])
            for op in tiled.walk()
            if "pat.tile" in op.attributes
        }
        got = {t.value.data for role, t in tiles if role.data == "rows"}  # type: ignore[attr-defined]
        assert got == ({rows} if rows > 1 else set()), (g, vl, tiles)
        got = {t.value.data for role, t in tiles if role.data == "cols"}  # type: ignore[attr-defined]
        assert got == cols, (g, vl, width, tiles)
        if width >= WIDE_ROW and g == 4 and vl == 8:
            inputs = _input(layer)
            jammed = applied(tiled, EliminateLoadRedundancyPass())
            want = run_function(loops, inputs)["y"]
            np.testing.assert_array_equal(run_function(jammed, inputs)["y"], want)
