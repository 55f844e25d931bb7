"""FKR (reorder-filters) and FKW (pack-fkw): semantics preserved, format exact, storage small.

Random pruned `pat.conv2d` layers, and whole pruned model families, (random shapes, strides, pads, dilations, pattern sets,
connectivity, group sizes) run through the interpreter before and after each pass, alone
and chained: the outputs must be bit-identical, since FKR is a schedule and FKW a lossless
storage of the same dense weight. The numpy FKW functions are checked for an exact round
trip, for every consistency rule, and for FKW < CSR at PatDNN's 8x on VGG-16-shaped layers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import applied, named_module, pat_conv_ops, print_ir, pruned_pat_layers
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Block
from xdsl.parser import Parser
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import VerifyException

from patcc.compression.connectivity import drop_empty_kernels, prune_connectivity
from patcc.compression.fkw import (
    FKW,
    filter_groups,
    filter_order,
    fkw_error,
    pack_fkw,
    storage_bytes,
    unpack_fkw,
)
from patcc.compression.patterns import project_to_patterns, select_pattern_set
from patcc.constants import constant_op, constant_value
from patcc.dialects.nn.base import ints_attr, tensor_f32
from patcc.dialects.pat import FkwConv2dOp, PatConv2dOp, PatternsAttr, ids_attr
from patcc.dialects.pat.conv import get_ids
from patcc.frontend import import_model, make_context
from patcc.models import FAMILIES
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.prune_connectivity import PruneConnectivityPass
from patcc.passes.prune_patterns import PrunePatternsPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.semantics import input_names, main_function, run_function

CTX = make_context()


# ---- random pruned layers ---------------------------------------------------------------


@st.composite
def layers(draw: st.DrawFn) -> dict:
    """A random pruned pat.conv2d layer: shapes, window, pattern set, ids and values."""
    return draw(
        pruned_pat_layers(
            max_filters=9,
            max_patterns=12,
            rates=(1.0, 1.5, 2.0, 3.6, 8.0),
            hw=lambda d: st.tuples(st.integers(2 * d + 1, 9), st.integers(2 * d + 1, 9)),
        )
    )


def _module(layer: dict) -> ModuleOp:
    """func @f(x) = pat.conv2d(x) with constant values (and bias), then a second pat.conv2d
    reading the first one's channels: a consumer that must see the original layout."""
    shape = (1, layer["c"], *layer["hw"])
    block = Block(arg_types=[tensor_f32(shape)])
    ops, conv = pat_conv_ops(block.args[0], layer)
    # A 1-filter consumer with distinct weights per input channel (pattern 0 everywhere).
    o = layer["o"]
    rng = np.random.default_rng(layer["seed"] + 1)
    next_values = constant_op(rng.standard_normal((2, o, 4)).astype(np.float32))
    nxt = PatConv2dOp.inferred(
        [conv.result, next_values.result, None],
        patterns=PatternsAttr([layer["patterns"][0]]),
        ids=ids_attr(np.zeros((2, o), np.int8)),
        strides=ints_attr([1, 1]),
        pads=ints_attr([1, 1, 1, 1]),
        dilations=ints_attr([1, 1]),
    )
    ops += [next_values, nxt]
    block.add_ops(ops)
    return named_module(block, [conv.result, nxt.result], output_names=("y", "z"))


def _run(module: ModuleOp, layer: dict) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(layer["seed"] + 2)
    x = rng.standard_normal((1, layer["c"], *layer["hw"])).astype(np.float32)
    return run_function(module, {"x": x})


def _assert_same(after: ModuleOp, before: ModuleOp, layer: dict) -> None:
    want, got = _run(before, layer), _run(after, layer)
    for name in want:  # the same dense weight, the same conv code: bit-identical
        np.testing.assert_array_equal(got[name], want[name])


def _ops(module: ModuleOp, cls: type) -> list:
    return [op for op in module.walk() if isinstance(op, cls)]


# ---- passes preserve semantics ----------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(layer=layers(), group_size=st.integers(1, 5))
def test_reorder_filters_is_a_schedule(layer: dict, group_size: int) -> None:
    module = _module(layer)
    after = applied(module, ReorderFiltersPass(group_size=group_size))
    _assert_same(after, module, layer)
    conv = _ops(after, PatConv2dOp)[0]
    order = np.asarray(conv.filter_order.get_values())
    ids = get_ids(conv.properties)
    assert np.array_equal(np.sort(order), np.arange(layer["o"]))
    counts = (ids[order] >= 0).sum(axis=1)
    o, g = layer["o"], group_size
    blocks = np.array_equal(ids, np.repeat(ids[::g], g, axis=0)[:o])  # block-pruned rows
    full = o - o % g if g > 1 and blocks else o
    # block-pruned: the blocks are ordered, the shorter last block last (groups = blocks)
    assert order[full:].tolist() == list(range(full, o))
    assert (np.diff(counts[:full]) <= 0).all(), "kept-kernel counts must not increase"
    assert conv.filter_groups.get_values() == tuple(range(0, layer["o"], group_size))
    # Idempotent at a fixed group size.
    assert print_ir(applied(after, ReorderFiltersPass(group_size=group_size))) == print_ir(after)


@settings(max_examples=100, deadline=None)
@given(layer=layers(), group_size=st.integers(1, 5), reorder_first=st.booleans())
def test_pack_fkw_preserves_semantics(layer: dict, group_size: int, reorder_first: bool) -> None:
    module = _module(layer)
    passes: list[ModulePass] = [PackFkwPass()]
    if reorder_first:
        passes.insert(0, ReorderFiltersPass(group_size=group_size))
    after = applied(module, *passes)
    assert not _ops(after, PatConv2dOp)
    packed = _ops(after, FkwConv2dOp)
    assert len(packed) == 2
    _assert_same(after, module, layer)
    # The arrays in the IR are exactly pack_fkw's, in the reordered filter order.
    op = packed[0]
    k = len(layer["patterns"])
    order = filter_order(layer["ids"], k, group_size) if reorder_first else None
    want = pack_fkw(layer["ids"], layer["values"], layer["patterns"], order)
    for name in ("offset", "reorder", "index", "stride", "weight"):
        got = constant_value(getattr(op, name))
        assert got is not None
        np.testing.assert_array_equal(got, getattr(want, name))
    if reorder_first:
        groups = filter_groups(layer["o"], group_size)
        assert op.filter_groups is not None
        assert op.filter_groups.get_values() == tuple(int(g) for g in groups)
    # The (O, C, 4) values constants are gone: no dead copy of the weights stays behind.
    assert not [c for c in _ops(after, arith.ConstantOp) if len(c.result.type.get_shape()) == 3]


@settings(max_examples=15, deadline=None)
@given(layer=layers(), generic=st.booleans())
def test_packed_module_prints_and_parses(layer: dict, generic: bool) -> None:
    after = applied(_module(layer), ReorderFiltersPass(group_size=3), PackFkwPass())
    text = print_ir(after, generic)
    parsed = Parser(CTX, text).parse_module()
    parsed.verify()
    assert print_ir(parsed) == print_ir(after)
    _assert_same(parsed, after, layer)


@pytest.mark.parametrize("family", ["vgg", "resnet", "yolo", "unet"])
def test_whole_networks_unchanged(family: str) -> None:
    """Pruned model families (residual adds, concats, upsampling after reordered convs):
    reorder-filters + pack-fkw leave every output bit-identical."""
    module = import_model(FAMILIES[family]())
    PrunePatternsPass(num_patterns=8).apply(CTX, module)
    PruneConnectivityPass(rate=3.6).apply(CTX, module)
    after = applied(module, ReorderFiltersPass(group_size=4), PackFkwPass())
    assert _ops(after, FkwConv2dOp) and not _ops(after, PatConv2dOp)
    inputs = {
        name: np.random.default_rng(3).standard_normal(shape).astype(np.float32)
        for name, shape in _input_shapes(module).items()
    }
    want, got = run_function(module, inputs), run_function(after, inputs)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


def _input_shapes(module: ModuleOp) -> dict[str, tuple[int, ...]]:
    fn = main_function(module)
    return {
        name: tuple(typ.get_shape())
        for name, typ in zip(input_names(fn), fn.function_type.inputs.data, strict=True)
        if isinstance(typ, TensorType)
    }


# ---- numpy FKW ---------------------------------------------------------------------------


@st.composite
def packed_layers(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    o, c, k = draw(st.integers(0, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 56))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ids = rng.integers(-1, k, size=(o, c)).astype(np.int8)
    values = np.where((ids >= 0)[..., None], rng.standard_normal((o, c, 4)), 0.0).astype(np.float32)
    order = rng.permutation(o) if draw(st.booleans()) else None
    return ids, values, k, order


@settings(max_examples=200, deadline=None)
@given(packed=packed_layers())
def test_fkw_round_trip_is_exact(packed: tuple) -> None:
    ids, values, k, order = packed
    fkw = pack_fkw(ids, values, k, order)
    assert fkw_error(fkw, ids.shape[1]) is None
    back_ids, back_values = unpack_fkw(fkw, ids.shape[1])
    np.testing.assert_array_equal(back_ids, ids)
    np.testing.assert_array_equal(back_values, values)
    assert fkw.nbytes == storage_bytes(ids, k).fkw
    # Kernels of a filter in pattern order: the run structure recovers every id.
    assert fkw.index.dtype == np.int32 and fkw.weight.dtype == np.float32


def test_filter_order_sort_key() -> None:
    # counts 2, 3, 1, 2; sequences (0, 1), (0, 1, 2), (2,), (1, 1)
    ids = np.array([[1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]], np.int8)
    assert filter_order(ids, 3).tolist() == [1, 0, 3, 2]
    assert filter_groups(10, 4).tolist() == [0, 4, 8]  # the last group is shorter
    with pytest.raises(ValueError, match="group size must be >= 1"):
        filter_groups(4, 0)


def _small() -> FKW:
    ids = np.array([[1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]], np.int8)
    values = np.arange(48, dtype=np.float32).reshape(4, 3, 4) * (ids >= 0)[..., None]
    return pack_fkw(ids, values, 3, filter_order(ids, 3))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reorder": [1, 1, 3, 2]}, "reorder must be a permutation of 0..3"),
        ({"offset": [0, 3, 5, 7]}, "offset must have O+1 = 5 entries"),
        ({"offset": [1, 3, 5, 7, 8]}, "offset must start at 0, got 1"),
        ({"offset": [0, 5, 3, 7, 8]}, "offset must be non-decreasing, offset[1] = 5 > offset[2]"),
        ({"offset": [0, 3, 5, 7, 7]}, "offset must end at the number of kept kernels 8, got 7"),
        ({"stride": np.zeros((3, 4))}, "stride must be 4 x (K+1) (O x (K+1))"),
        (
            {"stride": [[1, 1, 2, 3], [0, 1, 2, 2], [0, 0, 2, 2], [0, 0, 0, 1]]},
            "stride of filter 0 must start at 0",
        ),
        (
            {"stride": [[0, 2, 1, 3], [0, 1, 2, 2], [0, 0, 2, 2], [0, 0, 0, 1]]},
            "stride must be non-decreasing within a filter, filter 0",
        ),
        (
            {"stride": [[0, 1, 2, 2], [0, 1, 2, 2], [0, 0, 2, 2], [0, 0, 0, 1]]},
            "stride of filter 0 must end at its kernel count offset[1] - offset[0] = 3, got 2",
        ),
        ({"index": [1, 2, 3, 2, 0, 0, 1, 1]}, "index must be in [0, 3) (input channels), got 3"),
        ({"weight": np.zeros((8, 3))}, "weight must be 8 x 4"),
        (
            {"index": [1, 2, 0, 2, 0, 1, 0, 1]},
            "index must ascend within each pattern run, kernel 6 has channel 0 after 1",
        ),
        (
            {"index": [1, 1, 0, 2, 0, 0, 1, 1]},
            "an input channel appears at most once per filter, filter 0 has channel 1 twice",
        ),
    ],
)
def test_fkw_rules(change: dict, message: str) -> None:
    fkw = _small()
    assert fkw_error(fkw, 3) is None
    assert fkw.index.tolist() == [1, 2, 0, 2, 0, 0, 1, 1]
    broken = replace(fkw, **{k: np.asarray(v) for k, v in change.items()})
    error = fkw_error(broken, 3)
    assert error is not None and error.startswith(message), error
    with pytest.raises(ValueError, match="FKW: "):
        unpack_fkw(broken, 3)


def test_fkw_op_verifier_names_the_rule() -> None:
    layer = {
        "o": 4, "c": 3, "hw": (5, 5), "patterns": [(0, 1, 3, 4), (1, 3, 4, 5), (4, 5, 7, 8)],
        "ids": np.array([[1, -1, 0], [2, 0, 1], [-1, 2, -1], [1, 1, -1]], np.int8),
        "strides": [1, 1], "pads": [1, 1, 1, 1], "dilations": [1, 1], "bias": None,
        "activation": "none", "seed": 0,
    }  # fmt: skip
    layer["values"] = np.ones((4, 3, 4), np.float32) * (layer["ids"] >= 0)[..., None]
    after = applied(_module(layer), PackFkwPass())
    text = print_ir(after).replace(
        "dense<[0, 1, 2, 3]> : tensor<4xi32>", "dense<[0, 1, 1, 3]> : tensor<4xi32>", 1
    )
    with pytest.raises(VerifyException, match=r"'pat.fkw_conv2d': reorder must be a permutation"):
        Parser(CTX, text).parse_module().verify()


# ---- storage: FKW beats CSR at PatDNN's 8x ------------------------------------------------


@pytest.mark.parametrize("channels", [64, 128, 256, 512])
def test_fkw_smaller_than_csr_vgg_shapes(channels: int) -> None:
    rng = np.random.default_rng(channels)
    weight = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    patterns = select_pattern_set(weight, 8)
    ids, values = drop_empty_kernels(
        *prune_connectivity(*project_to_patterns(weight, patterns), 3.6)
    )
    size = storage_bytes(ids, len(patterns))
    assert size.fkw < size.csr < size.dense
    # 20 bytes per kept kernel (16 weight + 4 index) against CSR's 32 (16 weight + 16 index),
    # plus 44 bytes per filter (offset, reorder, stride) that matter most for small layers.
    kept = int((ids >= 0).sum())
    assert size.fkw / size.csr < (0.70 if channels == 64 else 0.67)
    assert size.fkw == pack_fkw(ids, values, patterns, filter_order(ids, 8)).nbytes
    assert kept == round(channels * channels / 3.6)
