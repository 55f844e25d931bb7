"""Loop-level pattern convs (patcc/lowering/pattern_conv.py) compute what the tensor level does.

Random small pruned `pat.conv2d` layers (shapes, strides, pads, dilations, pattern sets,
connectivity, bias, fused activations, a following activation the pass fuses too) go
through reorder-filters + pack-fkw (or pack-fkw alone, or no packing at all) and then
`lower-to-loops{vector-length=V}` for V in 1, 4, 8: the interpreter's loop-level output must
equal the tensor-level one. Plus the shape of the generated bodies (4 loads + 4 FMAs per
kernel, read back by `inner_body_stats`) and a whole pruned network against ONNX Runtime.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import (
    applied,
    assert_close,
    assert_outputs_close,
    model_inputs,
    named_module,
    pat_conv_ops,
    pruned_pat_layers,
    run_ort,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func, memref, scf, vector
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f32,
)
from xdsl.ir import Block, Operation, Region
from xdsl.passes import ModulePass

from patcc.compression.onnx_prune import prune
from patcc.dialects.nn import activation as act
from patcc.dialects.nn.base import ints_attr, str_attr, tensor_f32
from patcc.dialects.pat import FkwConv2dOp, PatConv2dOp, PatternsAttr, ids_attr
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.lowering.jam import constant_int
from patcc.lowering.pattern_conv import CONV_ATTR, LOOP_ATTR, PATTERN_ATTR
from patcc.lowering.stats import inner_body_stats
from patcc.models import FAMILIES
from patcc.models.graph import GraphBuilder
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.pipelines import Tiles, patdnn
from patcc.semantics import NAME_ATTR, run_function
from patcc.tune.space import Schedule

CTX = make_context()
TOL = 1e-5
VECTOR_LENGTHS = (1, 4, 8)
FOLLOWERS = ("none", "relu", "sigmoid", "clip")


@st.composite
def layers(draw: st.DrawFn) -> dict:
    """A random small pruned pat.conv2d layer (tiny: the interpreter is slow), and the unary
    activation that may follow it."""
    layer = draw(
        pruned_pat_layers(
            max_filters=6,
            max_patterns=8,
            rates=(1.0, 1.5, 2.0, 3.6),
            hw=lambda d: st.tuples(st.integers(6, 10), st.integers(6, 12)),
        )
    )
    return {**layer, "follower": draw(st.sampled_from(FOLLOWERS))}


def _follower(kind: str, x) -> act.UnaryElementwiseOp | None:
    if kind == "relu":
        return act.ReluOp.inferred([x])
    if kind == "sigmoid":
        return act.SigmoidOp.inferred([x])
    if kind == "clip":
        return act.ClipOp.inferred([x], min=FloatAttr(-0.5, f32), max=FloatAttr(0.75, f32))
    return None


def _module(layer: dict) -> ModuleOp:
    """func @f(x) -> y: the pattern conv with constant values (and bias), then optionally a
    unary activation the lowering fuses into the conv's store."""
    shape = (1, layer["c"], *layer["hw"])
    block = Block(arg_types=[tensor_f32(shape)])
    ops, conv = pat_conv_ops(block.args[0], layer)
    out = conv.result
    follower = _follower(layer["follower"], out)
    if follower is not None:
        ops.append(follower)
        out = follower.results[0]
    block.add_ops(ops)
    return named_module(block, [out])


def _input(layer: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(layer["seed"] + 2)
    return {"x": rng.standard_normal((1, layer["c"], *layer["hw"])).astype(np.float32)}


PACKINGS: dict[str, tuple[ModulePass, ...]] = {
    "fkr+fkw": (ReorderFiltersPass(group_size=2), PackFkwPass()),
    "fkw": (PackFkwPass(),),
    "unpacked": (),
}


@settings(max_examples=20, deadline=None)
@given(layer=layers(), packing=st.sampled_from(sorted(PACKINGS)))
def test_lowered_pattern_conv_matches_tensor_level(layer: dict, packing: str) -> None:
    module = applied(_module(layer), *PACKINGS[packing])
    conv_type = PatConv2dOp if packing == "unpacked" else FkwConv2dOp
    assert any(isinstance(op, conv_type) for op in module.walk())
    inputs = _input(layer)
    want = run_function(module, inputs)["y"]
    for vl in VECTOR_LENGTHS:
        lowered = applied(module, LowerToLoopsPass(vector_length=vl))
        assert not any(isinstance(op, PatConv2dOp | FkwConv2dOp) for op in lowered.walk())
        # a following activation is fused into the conv's store: no intermediate buffer
        # (only copies of the input: its zero border, its column phases when strided)
        allocs = [op for op in lowered.walk() if isinstance(op, memref.AllocOp)]
        # (only copies of the input: its zero border, its column phases when strided; and
        # the wide rows of a narrow layer, cropped into the result)
        assert all(a.memref.name_hint in ("padded", "phases", "wide") for a in allocs)
        assert_close(run_function(lowered, inputs)["y"], want, TOL)


@pytest.mark.parametrize("packing", sorted(PACKINGS))
@pytest.mark.parametrize(
    "ids",
    [np.array([[-1, -1], [0, 1]], np.int8), np.full((2, 2), -1, np.int8)],
    ids=["empty-filter", "no-kernels"],
)
def test_removed_filters_store_activated_bias(packing: str, ids: np.ndarray) -> None:
    """A filter without kernels (or a layer without any: N = 0) runs no kernel loop and
    stores act(bias)."""
    layer = {
        "o": 2,
        "c": 2,
        "hw": (6, 7),
        "patterns": [(0, 1, 3, 4), (4, 5, 7, 8)],
        "ids": ids,
        "values": np.ones((2, 2, 4), np.float32) * (ids >= 0)[..., None],
        "strides": [1, 1],
        "pads": [1, 1, 1, 1],
        "dilations": [1, 1],
        "bias": np.array([0.5, -0.25], np.float32),
        "activation": "relu",
        "follower": "none",
        "seed": 0,
    }
    module = applied(_module(layer), *PACKINGS[packing])
    inputs = _input(layer)
    want = run_function(module, inputs)["y"]
    np.testing.assert_array_equal(want[0, 0], 0.5)
    for vl in (1, 4):
        lowered = applied(module, LowerToLoopsPass(vector_length=vl))
        assert_close(run_function(lowered, inputs)["y"], want, TOL)


def test_unpacked_conv_with_runtime_values() -> None:
    """pat.conv2d whose values are a function argument: only the structure is packed at
    compile time, the weights are read from the buffer in place."""
    rng = np.random.default_rng(7)
    ids = np.array([[0, -1, 1], [1, 1, -1]], np.int8)
    values = rng.standard_normal((2, 3, 4)).astype(np.float32) * (ids >= 0)[..., None]
    x_shape = (1, 3, 7, 9)
    block = Block(arg_types=[tensor_f32(x_shape), tensor_f32((2, 3, 4))])
    conv = PatConv2dOp.inferred(
        [block.args[0], block.args[1], None],
        patterns=PatternsAttr([(0, 1, 3, 4), (4, 5, 7, 8)]),
        ids=ids_attr(ids),
        strides=ints_attr([1, 1]),
        pads=ints_attr([1, 1, 1, 1]),
        dilations=ints_attr([1, 1]),
        activation=str_attr("relu6"),
    )
    block.add_ops([conv, func.ReturnOp(conv.result)])
    names = [DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n in ("x", "v")]
    fn = func.FuncOp(
        "f",
        ([tensor_f32(x_shape), tensor_f32((2, 3, 4))], [conv.result.type]),
        Region(block),
        arg_attrs=ArrayAttr(names),
        res_attrs=ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr("y")})]),
    )
    module = ModuleOp([fn])
    inputs = {"x": rng.standard_normal(x_shape).astype(np.float32), "v": values}
    want = run_function(module, inputs)["y"]
    lowered = applied(module, LowerToLoopsPass(vector_length=4))
    assert_close(run_function(lowered, inputs)["y"], want, TOL)


# ---- the generated bodies ---------------------------------------------------------------


HAND_LAYER = {
    "o": 2,
    "c": 2,
    "hw": (6, 6),
    "patterns": [(0, 1, 3, 4), (4, 5, 7, 8)],
    "strides": [1, 1],
    "pads": [1, 1, 1, 1],
    "dilations": [1, 1],
    "bias": None,
    "activation": "none",
    "follower": "none",
    "seed": 0,
}
"""A hand-sized layer's fixed fields (2 filters x 2 channels, 2 patterns, stride 1, pad 1)."""


def _fkw_module(vl: int) -> ModuleOp:
    layer = {
        **HAND_LAYER,
        "ids": np.array([[0, 1], [-1, 0]], np.int8),
        "values": np.arange(16, dtype=np.float32).reshape(2, 2, 4) * [[[1]], [[0]]],
        "activation": "relu",
    }
    layer["values"][1, 1] = [1, 2, 3, 4]
    return applied(_module(layer), PackFkwPass(), LowerToLoopsPass(vector_length=vl))


def test_kernel_bodies_are_specialised_per_pattern() -> None:
    """One kernel loop per (pattern, path): 4 vector loads, 4 broadcasts, 4 FMAs each, the
    taps constant (no arithmetic on pattern positions), the accumulator in iter_args."""
    module = _fkw_module(4)
    loops = [op for op in module.walk() if isinstance(op, scf.ForOp) and CONV_ATTR in op.attributes]
    # 2 used patterns x the vector path (6 % 4: the last vector overlaps, no scalar remainder)
    assert len(loops) == 2
    vector_loops = [lp for lp in loops if lp.iter_args[0].type != f32]
    assert len(vector_loops) == 2
    for loop in vector_loops:
        body = list(loop.body.block.ops)
        assert sum(isinstance(op, vector.LoadOp) for op in body) == 4
        assert sum(isinstance(op, vector.BroadcastOp) for op in body) == 4
        assert sum(isinstance(op, vector.FMAOp) for op in body) == 4
        assert not any(isinstance(op, scf.ForOp) for op in body)
    marks = [lp.attributes[PATTERN_ATTR] for lp in vector_loops]
    assert all(isinstance(m, DenseArrayBase) for m in marks)
    patterns = {tuple(m.get_values()) for m in marks if isinstance(m, DenseArrayBase)}
    assert patterns == {(0, 1, 3, 4), (4, 5, 7, 8)}


def test_inner_body_stats() -> None:
    stats = inner_body_stats(_fkw_module(4))
    assert set(stats) == {"conv0"}
    conv = stats["conv0"]
    assert len(conv.bodies) == 2  # 2 patterns, vector path only (OW 6 >= V 4: overlapping)
    assert conv.loads_per_kernel == 4 and conv.fmas_per_kernel == 4 and conv.loads_per_fma == 1
    for body in conv.bodies:
        assert (body.input_loads, body.weight_loads, body.index_loads, body.fmas) == (4, 4, 1, 4)
        assert body.kernels == 1 and body.accumulators == 1
    # V = 1: scalar path only, same counts
    scalar = inner_body_stats(_fkw_module(1))["conv0"]
    assert all(not b.vector for b in scalar.bodies) and scalar.fmas_per_kernel == 4


@pytest.mark.parametrize(
    ("vl", "hw", "stride", "lanes", "wide"),
    [
        (8, (5, 6), 1, 8, True),  # 6-wide rows: one wide row of 4 * 8 + 6 at 8 lanes
        (16, (5, 14), 1, 16, True),
        (16, (5, 9), 1, 16, True),
        (4, (5, 3), 1, 4, True),  # 3-wide rows were scalar
        (16, (5, 16), 1, 16, False),  # a row of whole vectors stays rows
        (8, (5, 8), 1, 8, False),
        (8, (1, 2), 1, 1, False),  # a span of 2 outputs: scalar
        (16, (10, 28), 2, 16, True),  # strided 14-wide rows: a wide row over phase planes
        (16, (1, 9), 1, 8, True),  # a wide row of 9: halved vectors, the last overlapping
    ],
)
def test_narrow_rows_fill_their_vectors(
    vl: int, hw: tuple[int, int], stride: int, lanes: int, wide: bool
) -> None:
    """A row narrower than the vector length runs as one wide row over the flattened padded
    image (its phase planes when strided; a crop keeps the valid columns), in full vectors,
    or in vectors of half the length (down to 4 lanes, the narrowest every vector target
    has) when the wide row is short, the last one overlapping. Outputs stay the
    reference's."""
    layer = {
        **HAND_LAYER,
        "hw": hw,
        "strides": [stride, stride],
        "ids": np.array([[0, 1], [-1, 0]], np.int8),
        "values": np.random.default_rng(3).standard_normal((2, 2, 4)).astype(np.float32),
        "activation": "relu",
    }
    layer["values"][1, 0] = 0  # the removed kernel
    module = applied(_module(layer), PackFkwPass())
    lowered = applied(module, LowerToLoopsPass(vector_length=vl))
    bodies = inner_body_stats(lowered)["conv0"].bodies
    assert {b.vector for b in bodies} == {lanes > 1}
    fmas = [op for op in lowered.walk() if isinstance(op, vector.FMAOp)]
    assert {op.res.type.get_shape()[0] for op in fmas} == ({lanes} if lanes > 1 else set())
    allocs = {op.memref.name_hint for op in lowered.walk() if isinstance(op, memref.AllocOp)}
    assert ("wide" in allocs) == wide
    inputs = _input(layer)
    assert_close(run_function(lowered, inputs)["y"], run_function(module, inputs)["y"], TOL)


def test_unused_patterns_get_no_body() -> None:
    """A pattern of the set that no kernel uses generates no dead kernel loop."""
    layer = {
        **HAND_LAYER,
        "patterns": [(0, 1, 3, 4), (4, 5, 7, 8), (1, 3, 4, 5)],
        "ids": np.array([[0, 2], [2, 0]], np.int8),
        "values": np.ones((2, 2, 4), np.float32),
    }
    lowered = applied(_module(layer), PackFkwPass(), LowerToLoopsPass(vector_length=8))
    patterns = {b.pattern for b in inner_body_stats(lowered)["conv0"].bodies}
    assert patterns == {(0, 1, 3, 4), (1, 3, 4, 5)}


# ---- a whole pruned network -------------------------------------------------------------


def _small_net() -> onnx.ModelProto:
    """conv(3->8)+relu, conv(8->8)+relu, conv(8->6, stride 2)+relu, residual-free: the first
    conv stays dense (3 input channels), the other two become FKW pattern convs."""
    g = GraphBuilder("small_net", 0)
    x = g.input((1, 3, 10, 10))
    x = g.relu(g.conv(x, 8, 3))
    x = g.relu(g.conv(x, 8, 3))
    x = g.relu(g.conv(x, 6, 3, stride=2))
    return g.build({"output": x})


def test_pruned_vgg_lowered_matches_onnxruntime() -> None:
    """A tiny VGG (convs, relus, max pools, gemms) at PatDNN's 8x, through the whole patdnn
    pipeline (lowered, tiled 4 filters x 4 rows x 2 vectors, LRE'd)."""
    model = FAMILIES["vgg"](size=16, widths=(8, "M", 16, 16, "M"), hidden=(16,))
    pruned = prune(model, patterns=8, connectivity=3.6)
    module = import_model(pruned)
    patdnn(8, 3.6).apply(CTX, module)
    module.verify()
    stats = inner_body_stats(module)
    assert set(stats) == {"conv1", "conv2"}
    assert all(s.fmas_per_kernel > 4 and s.loads_per_fma < 1 for s in stats.values())
    inputs = model_inputs(pruned)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


@pytest.mark.parametrize(
    ("name", "tiles"), [("small", Tiles(oc=2, oh=3, ow=2)), ("resnet", Tiles())]
)
def test_pruned_network_lowered_matches_onnxruntime(name: str, tiles: Tiles) -> None:
    """The whole pipeline on a residual-free net (vector length 4, tiles that leave
    remainders) and on the ResNet-style family (defaults) == ONNX Runtime on the pruned model."""
    model = _small_net() if name == "small" else FAMILIES["resnet"]()
    pruned = prune(model, patterns=4, connectivity=2.0)
    module = import_model(pruned)
    pipeline = patdnn(4, 2.0, vector_length=4 if name == "small" else 8, tiles=tiles)
    pipeline.apply(CTX, module)
    module.verify()
    assert not any(isinstance(op, FkwConv2dOp) for op in module.walk())
    if name == "small":
        assert set(inner_body_stats(module)) == {"conv1", "conv2"}
    inputs = model_inputs(pruned)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


def test_pipeline_can_stop_before_tiling() -> None:
    """patdnn(..., to_loops=False) + lower-to-loops: the untiled bodies, 4 loads + 4 FMAs."""
    pruned = prune(_small_net(), patterns=4, connectivity=2.0)
    module = import_model(pruned)
    patdnn(4, 2.0, to_loops=False).apply(CTX, module)
    assert sum(isinstance(op, FkwConv2dOp) for op in module.walk()) == 2
    LowerToLoopsPass(vector_length=4).apply(CTX, module)
    stats = inner_body_stats(module)
    assert all(s.loads_per_kernel == 4 and s.fmas_per_kernel == 4 for s in stats.values())


def _tiled_and_checked(
    layer: dict, tiles: Tiles, *after: ModulePass, row_blocks: bool = True
) -> ModuleOp:
    """`layer` (3 filters x 2 channels, random kept kernels) packed, lowered with V = 4,
    tiled and LRE'd, then `after`; its outputs checked against the tensor level."""
    from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
    from patcc.passes.tile_conv import TileConvPass

    rng = np.random.default_rng(layer["seed"])
    ids = rng.integers(-1, 2, (3, 2)).astype(np.int8)
    values = rng.standard_normal((3, 2, 4)).astype(np.float32) * (ids >= 0)[..., None]
    layer = {**HAND_LAYER, **layer, "o": 3, "ids": ids, "values": values}
    module = applied(_module(layer), PackFkwPass())
    inputs = _input(layer)
    lowered = applied(
        module,
        LowerToLoopsPass(vector_length=4, row_blocks=row_blocks),
        TileConvPass(oc=tiles.oc, oh=tiles.oh, ow=tiles.ow),
        EliminateLoadRedundancyPass(),
        *after,
    )
    want = run_function(module, inputs)["y"]
    assert_close(run_function(lowered, inputs)["y"], want, TOL)
    return lowered


def test_row_blocks_are_tiled_and_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """An input larger than ROW_BLOCK_BYTES runs in blocks of 8 output rows (20 rows: 2
    blocks and a last one of 4); tiled and LRE'd, the block loop is the parallel one (its
    stores `ohb + oh0 + r` stay inside the block), and the outputs are unchanged."""
    from patcc.lowering import pattern_conv
    from patcc.passes.parallelize import ParallelizePass
    from patcc.targets.attrs import PARALLEL_ATTR

    monkeypatch.setattr(pattern_conv, "ROW_BLOCK_BYTES", 640)  # 10 padded rows of 2 x 8
    bias = np.linspace(-1, 1, 3, dtype=np.float32)
    layer = {"hw": (20, 6), "bias": bias, "seed": 5}
    lowered = _tiled_and_checked(layer, Tiles(oc=2, oh=4, ow=2), ParallelizePass())
    blocks = [
        op
        for op in lowered.walk()
        if isinstance(op, scf.ForOp) and op.body.block.args[0].name_hint == "ohb"
    ]
    assert len(blocks) == 1 and blocks[0].attributes.get(PARALLEL_ATTR) == UnitAttr()


def test_row_blocks_off_take_every_row_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """lower-to-loops{row-blocks=false} (the opencl target): the same input larger than
    ROW_BLOCK_BYTES runs its 20 rows in one block, no block loop and one rows loop, with
    the outputs unchanged."""
    from patcc.lowering import pattern_conv

    monkeypatch.setattr(pattern_conv, "ROW_BLOCK_BYTES", 640)
    layer = {"hw": (20, 6), "seed": 5}
    lowered = _tiled_and_checked(layer, Tiles(oc=1, oh=1, ow=2), row_blocks=False)
    ivs = [op.body.block.args[0].name_hint for op in lowered.walk() if isinstance(op, scf.ForOp)]
    rows = [
        op
        for op in lowered.walk()
        if isinstance(op, scf.ForOp) and op.attributes.get(LOOP_ATTR) == StringAttr("rows")
    ]
    assert "ohb" not in ivs and len(rows) == 1


def test_filters_with_kernel_lists_go_round_robin() -> None:
    """Each filter's kernel loops read their bounds from the FKW stride table at the
    filter's index, so the filters' work varies (reorder-filters sorts them by kernel
    count): the parallel filter loop is cyclic (threads take filters round robin), the
    padding loops, whose iterations do the same work, take contiguous chunks (unit)."""
    from patcc.passes.parallelize import ParallelizePass
    from patcc.targets.attrs import PARALLEL_ATTR

    lowered = _tiled_and_checked({"seed": 3}, Tiles(oc=1, oh=1, ow=2), ParallelizePass())
    marked = {
        op.body.block.args[0].name_hint: op.attributes[PARALLEL_ATTR]
        for op in lowered.walk()
        if isinstance(op, scf.ForOp) and PARALLEL_ATTR in op.attributes
    }
    assert marked == {"i": UnitAttr(), "y": UnitAttr(), "j": StringAttr("cyclic")}


def test_strided_pattern_conv_reads_column_phases() -> None:
    """Stride 2: the padded input split by column phase, copied from the input (no padded
    copy), every output row (10 wide, vectors of 4) in vector bodies; tiled and LRE'd, the
    outputs equal the tensor level's."""
    layer = {"hw": (9, 20), "strides": [2, 2], "seed": 7}
    lowered = _tiled_and_checked(layer, Tiles(oc=2, oh=2, ow=2))
    allocs = [op.memref.name_hint for op in lowered.walk() if isinstance(op, memref.AllocOp)]
    assert allocs == ["phases"]


def _in_rows_loop(op: Operation) -> bool:
    parent = op.parent_op()
    while parent is not None:
        if parent.attributes.get("pat.loop") == StringAttr("rows"):
            return True
        parent = parent.parent_op()
    return False


def _with_schedule(module: ModuleOp, schedule: Schedule) -> ModuleOp:
    """`module` with `schedule` on its pattern conv (as the driver sets a tuned layer's)."""
    from patcc.lowering.layers import SCHEDULE_ATTR
    from patcc.tune.apply import schedule_attr

    module = module.clone()
    (conv,) = [op for op in module.walk() if isinstance(op, PatConv2dOp | FkwConv2dOp)]
    conv.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)
    return module


@settings(max_examples=15, deadline=None)
@given(
    layer=layers(),
    vl=st.sampled_from([0, 4]),
    rb=st.sampled_from([-1, 0, 1, 2, 3, 8]),
    tiles=st.sampled_from([Tiles(1, 0, 2), Tiles(2, 2, 1), Tiles(4, 3, 2)]),
)
def test_layer_schedule_shapes_the_nest_and_keeps_the_outputs(
    layer: dict, vl: int, rb: int, tiles: Tiles
) -> None:
    """A layer's own vector length (narrower than the pipeline's 8) and rows per block: the
    nest uses them (vector widths; an `ohb` loop stepping by rb when the output rows make
    two blocks or more), tile-conv takes the layer's tiles, and the outputs equal the tensor level's."""
    from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
    from patcc.passes.tile_conv import TileConvPass

    schedule = Schedule(tiles.oc, tiles.oh, tiles.ow, True, vl, rb)
    module = _with_schedule(applied(_module(layer), PackFkwPass()), schedule)
    lowered = applied(
        module,
        LowerToLoopsPass(vector_length=8),
        TileConvPass(oc=1, oh=1, ow=1),  # the layer's own tiles win over these
        EliminateLoadRedundancyPass(),
    )
    lanes = {op.res.type.get_shape()[0] for op in lowered.walk() if isinstance(op, vector.FMAOp)}
    assert max(lanes, default=0) <= (vl or 8)
    oh_n = (layer["hw"][0] + sum(layer["pads"][::2]) - layer["dilations"][0] * 2 - 1) // layer[
        "strides"
    ][0] + 1
    blocks = [
        op
        for op in lowered.walk()
        if isinstance(op, scf.ForOp) and op.body.block.args[0].name_hint == "ohb"
    ]
    wide = any(
        isinstance(op, memref.AllocOp) and op.memref.name_hint == "wide" for op in lowered.walk()
    )
    if rb > 0 and oh_n // rb >= 2 and not wide:  # a block loop of one trip is no loop
        assert blocks and {constant_int(b.step) for b in blocks} == {rb}
    else:  # one block: all rows (-1), more rows than the layer's, the L2 rule (tiny), or
        # one wide row (rows narrower than a vector)
        assert not blocks
    own = {"filters": tiles.oc, "rows": tiles.oh, "cols": tiles.ow}
    for loop in lowered.walk():
        role, tile = loop.attributes.get("pat.loop"), loop.attributes.get("pat.tile")
        if not isinstance(role, StringAttr) or not isinstance(tile, IntegerAttr):
            continue
        # the pass's own sizes (1) tile nothing: every tile is the layer's (rows 0: auto),
        # or the smaller tile of a remainder; a vectors loop in no rows loop (a wide row, a
        # block of one row) takes the rows' place: ow x oh, or ow x the auto rows, at most
        # the whole row
        t = tile.value.data
        if role.data == "cols" and not _in_rows_loop(loop):
            assert t >= own["cols"]
        else:
            remainder = 1 < t < own[role.data]
            assert t == own[role.data] or remainder or (role.data == "rows" and not own["rows"])
    inputs = _input(layer)
    assert_close(run_function(lowered, inputs)["y"], run_function(module, inputs)["y"], TOL)


def test_layer_vector_length_must_divide_the_pipelines() -> None:
    ids = np.array([[0, 1], [1, 0]], np.int8)
    layer = {**HAND_LAYER, "ids": ids, "values": np.ones((2, 2, 4), np.float32)}
    module = _with_schedule(applied(_module(layer), PackFkwPass()), Schedule(vl=16))
    with pytest.raises(PatccError, match="vector length 16 does not divide the pipeline's 8"):
        applied(module, LowerToLoopsPass(vector_length=8))
