"""patcc.lowering.unroll_jam: LRE in one expansion leaves what unroll -> jam -> dedupe left.

Random tiled pattern-conv layers, per filter (the strategy of test_lower_pattern_conv) and
block-shared (test_shared_groups'), at random tiles: LRE with `unroll_and_jam` computes the
tiled module's output bit for bit, with the FMAs of the three steps it replaces
(`unroll_marked`, then `jam`, load deduplication and CSE on each nest) and at most their
loads; on layers of VGG-16's shapes at the default tiles it prints as they do (once
canonicalized). A tile that reads a buffer it writes keeps the plain unroll.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import applied
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import PACKINGS, _input, _module, layers
from test_shared_groups import block_layers, hand_layer
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    UnitAttr,
    f32,
)
from xdsl.ir import Block, Region
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

from patcc.lowering.jam import JamMemo, jam
from patcc.lowering.pattern_conv import CONV_ATTR, LOOP_ATTR, UNROLL_ATTR
from patcc.lowering.unroll import unroll_marked
from patcc.lowering.unroll_jam import unroll_and_jam
from patcc.passes.canonicalize_hoisted import CanonicalizeHoistedPass
from patcc.passes.eliminate_load_redundancy import (
    EliminateLoadRedundancyPass,
    _conv_nests,
    cse_pure,
    dedupe_loads,
)
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.passes.tile_conv import TileConvPass
from patcc.semantics import run_function


def _three_steps(module: ModuleOp) -> ModuleOp:
    """LRE as it ran before unroll_and_jam: unroll every marked loop, then per nest jam,
    deduplicate loads and CSE."""
    out = module.clone()
    unroll_marked(out.body.block)
    for nest in _conv_nests(out):
        memo = JamMemo()
        jam(nest.body.block, memo)
        dedupe_loads(nest.body.block, memo.effects)
        cse_pure(nest.body.block)
    return out


def _counts(module: ModuleOp) -> tuple[int, int]:
    """(loads, FMAs) in the kernel loops."""
    ops = [
        inner
        for loop in module.walk()
        if isinstance(loop, scf.ForOp) and CONV_ATTR in loop.attributes
        for inner in loop.body.block.ops
    ]
    loads = sum(isinstance(op, memref.LoadOp | vector.LoadOp) for op in ops)
    return loads, sum(isinstance(op, vector.FMAOp) for op in ops)


def _check(tiled: ModuleOp, inputs: dict[str, np.ndarray]) -> ModuleOp:
    """LRE's result: bit for bit the tiled module's output, the FMAs of the three steps and
    at most their loads (a copy's load that repeats the first copy's is one load even where
    the addresses' affine forms differ in the three steps' IR)."""
    lre = applied(tiled, EliminateLoadRedundancyPass())
    lre.verify()
    assert not any(UNROLL_ATTR in op.attributes for op in lre.walk())
    np.testing.assert_array_equal(run_function(lre, inputs)["y"], run_function(tiled, inputs)["y"])
    (loads, fmas), (loads3, fmas3) = _counts(lre), _counts(_three_steps(tiled))
    assert fmas == fmas3 and loads <= loads3
    return lre


@settings(max_examples=15, deadline=None)
@given(
    layer=layers(),
    vl=st.sampled_from([1, 4]),
    tiles=st.tuples(st.integers(1, 3), st.integers(0, 4), st.integers(1, 3)),
)
def test_per_filter_tiles_as_the_three_steps(
    layer: dict, vl: int, tiles: tuple[int, int, int]
) -> None:
    oc, oh, ow = tiles
    tiled = applied(
        _module(layer),
        *PACKINGS["fkr+fkw"],
        LowerToLoopsPass(vector_length=vl),
        TileConvPass(oc=oc, oh=oh, ow=ow),
    )
    _check(tiled, _input(layer))


@settings(max_examples=15, deadline=None)
@given(
    layer=block_layers(),
    vl=st.sampled_from([1, 4, 8]),
    tiles=st.tuples(st.integers(0, 3), st.integers(1, 3)),
)
def test_shared_group_tiles_as_the_three_steps(
    layer: dict, vl: int, tiles: tuple[int, int]
) -> None:
    oh, ow = tiles
    tiled = applied(
        _module(layer),
        ReorderFiltersPass(group_size=layer["g"]),
        LowerToLoopsPass(vector_length=vl),
        TileConvPass(oc=2, oh=oh, ow=ow),
    )
    _check(tiled, _input(layer))


def test_a_tile_reading_what_it_writes_is_unrolled_in_program_order() -> None:
    """for t in 0..2 {pat.unroll}: for i in 0..2 {cols}: b[t+1] = b[t] + 1 (each copy reads
    what the one before wrote): the copies' loops are not fused, each copy stays whole."""
    index = IndexType()
    buf = MemRefType(f32, [3])
    block = Block(arg_types=[buf])
    (b,) = block.args
    c0, c1, c2 = (arith.ConstantOp(IntegerAttr(v, index)) for v in (0, 1, 2))
    one = arith.ConstantOp(FloatAttr(1.0, f32))
    inner = Block(arg_types=[index])
    t = inner.args[0]
    cols = Block(arg_types=[index])
    nxt = arith.AddiOp(t, c1)
    load = memref.LoadOp.get(b, [t])
    add = arith.AddfOp(load, one)
    cols.add_ops([nxt, load, add, memref.StoreOp.get(add, b, [nxt]), scf.YieldOp()])
    loop_i = scf.ForOp(c0, c2, c1, [], Region(cols))
    loop_i.attributes[LOOP_ATTR] = UnitAttr()
    inner.add_ops([loop_i, scf.YieldOp()])
    marked = scf.ForOp(c0, c2, c1, [], Region(inner))
    marked.attributes[UNROLL_ATTR] = UnitAttr()
    block.add_ops([c0, c1, c2, one, marked])
    assert unroll_and_jam(block) == 1
    loops = [op for op in block.ops if isinstance(op, scf.ForOp)]
    assert len(loops) == 2  # one per copy, not fused
    assert all(len(list(loop.body.block.ops)) == 5 for loop in loops)


@pytest.mark.parametrize(("g", "hw"), [(4, (56, 56)), (4, (28, 28)), (1, (56, 56)), (1, (28, 28))])
def test_vgg_shaped_tiles_print_as_the_three_steps(g: int, hw: tuple[int, int]) -> None:
    """Layers of VGG-16's shapes at the default tiles and 16 lanes (block 4, and per
    kernel): the one-step expansion prints as the three steps once canonicalized, so the
    emitted C is unchanged (checked on whole VGG-16 and ResNet-50 builds: model.c
    byte-identical)."""
    tiled = _vgg_shaped(g, hw, 16)
    lre = _check(tiled, _input(hand_layer(3, 16, 8, 8, g, hw)))
    # canonicalize-hoisted moves the scalar constants (the iteration constants, placed
    # first here, with each copy there), which the C printer inlines as literals anyway
    tidy = (CanonicalizeHoistedPass(), CommonSubexpressionElimination())
    assert str(applied(lre, *tidy)) == str(applied(_three_steps(tiled), *tidy))


def test_per_filter_rows_share_loads_at_eight_lanes() -> None:
    """At 8 lanes a per-filter tile of 4 filters x 4 rows x 2 vectors: the three steps
    left every kernel 32 loads for its 32 FMAs (the rows' shared input rows not found:
    their addresses' affine forms differed); built side by side, the rows' copies compute
    their row indices from one value and 26-29 loads remain, bit-identical outputs."""
    tiled = _vgg_shaped(1, (28, 28), 8)
    lre = _check(tiled, _input(hand_layer(3, 16, 8, 8, 1, (28, 28))))
    (loads, fmas), (loads3, fmas3) = _counts(lre), _counts(_three_steps(tiled))
    assert fmas == fmas3 and loads < loads3


def _vgg_shaped(g: int, hw: tuple[int, int], vl: int) -> ModuleOp:
    layer = hand_layer(3, 16, 8, 8, g, hw)
    return applied(
        _module(layer),
        ReorderFiltersPass(group_size=4),
        PackFkwPass(),
        LowerToLoopsPass(vector_length=vl),
        TileConvPass(oc=4, oh=0, ow=2),
    )
