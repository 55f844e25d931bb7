"""lower-to-loops preserves semantics: the interpreter gives the same outputs before the
pass (nn ops on tensors) and after it (loops on buffers), on small random layers and whole
small models. The loop level runs in xDSL's interpreter element by element, so shapes stay
tiny (a few channels, 8x8 and smaller).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import func, memref, scf, vector
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    TensorType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.parser import Parser

from patcc.constants import constant_op
from patcc.dialects.nn import activation as act
from patcc.dialects.nn import binary, conv, linear, pool, rnn
from patcc.dialects.nn import tensor_ops as tops
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr, str_attr, tensor_f32
from patcc.dialects.nn.tensor_ops import floats_attr
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.lowering.layers import LAYER_ATTR
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.semantics import NAME_ATTR, run_function

RTOL = 1e-5

Build = Callable[[list[SSAValue], list[Operation]], Sequence[SSAValue]]


def _module(shapes: Sequence[Sequence[int]], build: Build) -> ModuleOp:
    """A function f(x0, x1, ...) whose body `build` appends ops to; returns its results."""
    block = Block(arg_types=[tensor_f32(s) for s in shapes])
    ops: list[Operation] = []
    results = list(build(list(block.args), ops))
    block.add_ops([*ops, func.ReturnOp(*results)])
    fn = func.FuncOp(
        "f",
        ([tensor_f32(s) for s in shapes], [r.type for r in results]),
        Region(block),
        arg_attrs=ArrayAttr(
            [DictionaryAttr({NAME_ATTR: StringAttr(f"x{i}")}) for i in range(len(shapes))]
        ),
        res_attrs=ArrayAttr(
            [DictionaryAttr({NAME_ATTR: StringAttr(f"y{i}")}) for i in range(len(results))]
        ),
    )
    module = ModuleOp([fn])
    module.verify()
    return module


def _lower(module: ModuleOp, vector_length: int = 8, **options: Any) -> ModuleOp:
    lowered = module.clone()
    LowerToLoopsPass(vector_length=vector_length, **options).apply(make_context(), lowered)
    lowered.verify()
    return lowered


def _assert_close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    diff = float(np.max(np.abs(got.astype(np.float64) - want), initial=0.0))
    assert diff <= RTOL * scale, f"max|diff| = {diff:.3g} > {RTOL:g} * {scale:.3g}"


def _check(
    module: ModuleOp,
    seed: int = 0,
    vector_length: int = 8,
    inputs: dict[str, np.ndarray] | None = None,
    **options: Any,
) -> ModuleOp:
    """Lower `module` (lower-to-loops `options`) and compare interpreter outputs on random
    inputs; returns the lowered module."""
    lowered = _lower(module, vector_length, **options)
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(seed)
    if inputs is None:
        inputs = {
            f"x{i}": rng.standard_normal(t.get_shape()).astype(np.float32)
            for i, t in enumerate(fn.function_type.inputs.data)
            if isinstance(t, TensorType)
        }
    want = run_function(module, inputs)
    got = run_function(lowered, inputs)
    assert set(got) == set(want)
    for name in want:
        _assert_close(got[name], want[name])
    return lowered


def _names(module: ModuleOp) -> list[str]:
    return [op.name for op in module.walk()]


def _buffers(module: ModuleOp) -> list[tuple[str | None, tuple[int, ...]]]:
    """(name, shape) of every memref.alloc, in order."""
    allocs = [op for op in module.walk() if isinstance(op, memref.AllocOp)]
    return [(a.memref.name_hint, a.memref.type.get_shape()) for a in allocs]


def _const(ops: list[Operation], array: np.ndarray) -> SSAValue:
    c = constant_op(np.asarray(array, dtype=np.float32))
    ops.append(c)
    return c.result


def _unary(op_type: type, **props: Attribute) -> Build:
    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        op = op_type.inferred([xs[0]], **props)
        ops.append(op)
        return [op.result]

    return build


# ---- conv2d ----------------------------------------------------------------------------

ACTIVATIONS: dict[str, tuple[type, dict[str, Attribute]]] = {
    "relu": (act.ReluOp, {}),
    "clip": (act.ClipOp, {"min": float_attr(0.0), "max": float_attr(6.0)}),
    "silu": (act.SiluOp, {}),
    "hard_swish": (act.HardSwishOp, {}),
    "leaky_relu": (act.LeakyReluOp, {"alpha": float_attr(0.1)}),
    "sigmoid": (act.SigmoidOp, {}),
}


@st.composite
def conv_layers(draw: st.DrawFn) -> dict:
    group = draw(st.sampled_from([1, 1, 2]))
    cpg = draw(st.integers(1, 2))
    opg = draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    h, w = draw(st.integers(3, 7)), draw(st.integers(3, 11))
    stride = (draw(st.integers(1, 2)), draw(st.sampled_from([1, 1, 2])))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = [draw(st.integers(0, 2)) for _ in range(4)]
    for i in range(2):  # the window must fit
        span = dil[i] * (k[i] - 1) + 1
        size = (h, w)[i] + pads[i] + pads[i + 2]
        if size < span:
            pads[i + 2] += span - size
    return {
        "c": cpg * group,
        "o": opg * group,
        "group": group,
        "k": k,
        "hw": (h, w),
        "stride": stride,
        "dil": dil,
        "pads": pads,
        "bias": draw(st.booleans()),
        "act": draw(st.sampled_from([None, *ACTIVATIONS])),
        "vl": draw(st.sampled_from([4, 8])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _conv_module(layer: dict) -> ModuleOp:
    rng = np.random.default_rng(layer["seed"])
    c, o, group = layer["c"], layer["o"], layer["group"]

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        w = _const(ops, rng.standard_normal((o, c // group, *layer["k"])))
        b = _const(ops, rng.standard_normal(o)) if layer["bias"] else None
        y = conv.Conv2dOp.inferred(
            [xs[0], w, b],
            strides=ints_attr(layer["stride"]),
            pads=ints_attr(layer["pads"]),
            dilations=ints_attr(layer["dil"]),
            group=int_attr(group),
        )
        ops.append(y)
        if layer["act"] is None:
            return [y.result]
        op_type, props = ACTIVATIONS[layer["act"]]
        a = op_type.inferred([y.result], **props)
        ops.append(a)
        return [a.result]

    return _module([(1, c, *layer["hw"])], build)


@settings(max_examples=25, deadline=None)
@given(layer=conv_layers())
def test_conv2d_preserves_semantics(layer: dict) -> None:
    lowered = _check(_conv_module(layer), layer["seed"], layer["vl"])
    names = _names(lowered)
    assert not any(n.startswith("nn.") for n in names)
    if layer["act"] is not None:  # fused: no second loop nest over the result
        # the input's copies (border, gather, phases, the 1x1 GEMM's packed panel) and the
        # wide rows of a narrow image (the activation applied before the crop)
        inputs = ("padded", "strided", "phases", "panel", "wide")
        assert "memref.alloc" not in names or all(
            any(k in (op.results[0].name_hint or "") for k in inputs)
            for op in lowered.walk()
            if isinstance(op, memref.AllocOp)
        )


def test_conv2d_vectorised_with_overlapping_last_vector() -> None:
    """OW = 11, V = 8, O = 3 (fewer than a filter tile): one register tile per filter of 2
    vectors, at 0 and at 3 (the last overlaps the first), and no scalar remainder."""
    layer = {
        "c": 2, "o": 3, "group": 1, "k": (3, 3), "hw": (5, 11), "stride": (1, 1),
        "dil": (1, 1), "pads": [1, 1, 1, 1], "bias": True, "act": "relu", "vl": 8, "seed": 3,
    }  # fmt: skip
    lowered = _check(_conv_module(layer), 3, 8)
    ops = list(lowered.walk())
    fmas = [op for op in ops if isinstance(op, vector.FMAOp)]
    assert len(fmas) == 2 and all(f.res.type.get_shape() == (8,) for f in fmas)
    stores = [op for op in ops if isinstance(op, vector.StoreOp)]
    starts = [getattr(store.indices[-1].owner, "value", None) for store in stores]
    assert [s.value.data for s in starts if s is not None] == [0, 3]
    # the relu is applied to the vector accumulator right before the store
    assert all(getattr(st_.vector.owner, "name", None) == "arith.maximumf" for st_ in stores)
    assert not [op for op in ops if isinstance(op, memref.StoreOp) and op.memref is stores[0].base]
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    assert len(fn.function_type.inputs.data) == 2 and not fn.function_type.outputs.data


def test_conv2d_row_of_3k_plus_1_vectors_ends_in_two_tiles_of_2() -> None:
    """OW = 16 at V = 4: 4 vectors per row run as 2 + 2 (8 accumulators each for 4 filters),
    not 3 + 1 (a tile of 4 FMA chains is latency bound)."""
    layer = {
        "c": 2, "o": 4, "group": 1, "k": (1, 3), "hw": (2, 16), "stride": (1, 1),
        "dil": (1, 1), "pads": [0, 1, 0, 1], "bias": True, "act": None, "vl": 4, "seed": 6,
    }  # fmt: skip
    lowered = _check(_conv_module(layer), 6, 4)
    reductions = [op for op in lowered.walk() if isinstance(op, scf.ForOp) and op.iter_args]
    outer = [loop for loop in reductions if loop.body.block.args[0].name_hint == "c"]
    assert [len(loop.iter_args) for loop in outer] == [8, 8]


def test_conv2d_rows_narrower_than_a_vector_run_over_the_flat_padded_image() -> None:
    """A 3x3 conv (pad 1) on a 5x5 image at V = 8: each tap is a constant shift of the
    flattened padded image (pitch 7), so the 33 wide outputs (5 rows of 7, the last cut to
    5) run in vectors; the 2 border columns of each row are dropped when cropping into y. No
    scalar FMA chain (arith.mulf) is left."""
    layer = {
        "c": 3, "o": 5, "group": 1, "k": (3, 3), "hw": (5, 5), "stride": (1, 1),
        "dil": (1, 1), "pads": [1, 1, 1, 1], "bias": True, "act": "relu", "vl": 8, "seed": 8,
    }  # fmt: skip
    lowered = _check(_conv_module(layer), 8, 8)
    assert _buffers(lowered) == [("padded", (1, 3, 7, 7)), ("wide", (1, 5, 1, 33))]
    names = _names(lowered)
    assert "vector.fma" in names and "arith.mulf" not in names


def test_strided_1x1_conv_gathers_then_runs_the_flat_tile() -> None:
    """A 1x1 conv with stride 2 (a ResNet shortcut): the pixels it reads are copied into a
    contiguous buffer, then the flattened image (5 x 5 = 25 outputs) runs in vectors through
    the packed panels of the 1x1 GEMM."""
    layer = {
        "c": 3, "o": 6, "group": 1, "k": (1, 1), "hw": (9, 10), "stride": (2, 2),
        "dil": (1, 1), "pads": [0, 0, 0, 0], "bias": True, "act": "relu", "vl": 4, "seed": 4,
    }  # fmt: skip
    lowered = _check(_conv_module(layer), 4, 4)
    assert [name for name, _ in _buffers(lowered)] == ["strided", "panel"]
    assert any(isinstance(op, vector.FMAOp) for op in lowered.walk())


def test_strided_conv_reads_column_phases() -> None:
    """stride 2 along the width (ResNet's 7x7/2 stem, here 5x5/2 with pad 2): the padded
    columns are split by phase straight from the input (no padded copy), and the outputs
    (a row of 6, vectors of 4) run in vectors."""
    layer = {
        "c": 2, "o": 5, "group": 1, "k": (5, 5), "hw": (7, 11), "stride": (2, 2),
        "dil": (1, 1), "pads": [2, 2, 2, 2], "bias": True, "act": None, "vl": 4, "seed": 5,
    }  # fmt: skip
    lowered = _check(_conv_module(layer), 5, 4)
    names = [op.memref.name_hint for op in lowered.walk() if isinstance(op, memref.AllocOp)]
    assert names == ["phases"]
    assert any(isinstance(op, vector.StoreOp) for op in lowered.walk())


# ---- elementwise -----------------------------------------------------------------------


@st.composite
def broadcast_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    out = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    a = [d if draw(st.booleans()) else 1 for d in out]
    b = [d if draw(st.booleans()) else 1 for d in out]
    a = a[draw(st.integers(0, len(a))) :]
    b = b[draw(st.integers(0, len(b))) :]
    return tuple(a), tuple(b)


BINARY = [binary.AddOp, binary.SubOp, binary.MulOp, binary.DivOp, binary.MaxOp, binary.MinOp]


@settings(max_examples=25, deadline=None)
@given(shapes=broadcast_pair(), op_type=st.sampled_from(BINARY), seed=st.integers(0, 99))
def test_binary_broadcasting(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], op_type: type, seed: int
) -> None:
    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        op = op_type.inferred([xs[0], xs[1]])
        ops.append(op)
        return [op.result]

    lowered = _check(_module(list(shapes), build), seed)
    assert "linalg.generic" not in _names(lowered)


UNARY: list[tuple[type, dict[str, Attribute]]] = [
    (act.ReluOp, {}),
    (act.LeakyReluOp, {"alpha": float_attr(0.2)}),
    (act.ClipOp, {"min": float_attr(-0.5)}),
    (act.ClipOp, {"min": float_attr(-0.5), "max": float_attr(0.7)}),
    (act.SigmoidOp, {}),
    (act.TanhOp, {}),
    (act.HardSigmoidOp, {"alpha": float_attr(0.2), "beta": float_attr(0.5)}),
    (act.HardSwishOp, {}),
    (act.SiluOp, {}),
    (act.EluOp, {"alpha": float_attr(1.5)}),
    (act.SoftplusOp, {}),
]


@pytest.mark.parametrize(("op_type", "props"), UNARY, ids=[u[0].name for u in UNARY])
def test_unary_activations(op_type: type, props: dict[str, Attribute]) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 3, 4)) * 4).astype(np.float32)
    _check(_module([(2, 3, 4)], _unary(op_type, **props)), inputs={"x0": x})


def test_prelu_and_batch_norm() -> None:
    rng = np.random.default_rng(1)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        slope = _const(ops, rng.standard_normal((3, 1, 1)))
        p = act.PReluOp.inferred([xs[0], slope])
        params = [_const(ops, rng.standard_normal(3)) for _ in range(3)]
        var = _const(ops, rng.random(3) + 0.5)
        bn = linear.BatchNormOp.inferred([p.result, *params, var], epsilon=float_attr(1e-3))
        ops.extend([p, bn])
        return [p.result, bn.result]

    _check(_module([(1, 3, 4, 5)], build))


# ---- pools -----------------------------------------------------------------------------


@st.composite
def pool_layers(draw: st.DrawFn) -> dict:
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = [draw(st.integers(0, k[i % 2] - 1)) for i in range(4)]
    return {
        "kind": draw(st.sampled_from(["max", "avg", "avg_incl", "gavg", "gmax"])),
        "hw": (draw(st.integers(5, 7)), draw(st.integers(5, 7))),
        "k": k,
        "stride": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        "dil": (draw(st.integers(1, 2)), draw(st.integers(1, 2))),
        "pads": pads,
        "ceil": (draw(st.integers(0, pads[2])), draw(st.integers(0, pads[3]))),
        "seed": draw(st.integers(0, 99)),
        "rows": draw(st.booleans()),
    }


@settings(max_examples=25, deadline=None)
@given(layer=pool_layers())
def test_pools(layer: dict) -> None:
    """Both window-pool forms (a row buffer per output row, or one nest: `pool_rows`)."""
    window = {
        "kernel": ints_attr(layer["k"]),
        "strides": ints_attr(layer["stride"]),
        "pads": ints_attr(layer["pads"]),
        "dilations": ints_attr(layer["dil"]),
    }
    kind = layer["kind"]
    if kind == "max":
        build = _unary(pool.MaxPoolOp, **window)
    elif kind.startswith("avg"):
        build = _unary(
            pool.AvgPoolOp,
            **window,
            count_include_pad=int_attr(kind == "avg_incl"),
            ceil_pads=ints_attr(layer["ceil"]),
        )
    else:
        build = _unary(pool.GlobalAvgPoolOp if kind == "gavg" else pool.GlobalMaxPoolOp)
    lowered = _check(_module([(1, 2, *layer["hw"])], build), layer["seed"], pool_rows=layer["rows"])
    names = [name for name, _ in _buffers(lowered)]
    assert ("pool_rows" in names) == (layer["rows"] and kind in ("max", "avg", "avg_incl"))


@pytest.mark.parametrize(
    ("kind", "k", "dil", "pads", "passes"),
    [
        ("max", 3, 1, 1, 2),  # ResNet-50's 3x3/2 max pool: kw 0, 1 in one loop, kw 2 alone
        ("avg", 3, 1, 1, 2),  # divisors by position (count_include_pad=0): the last pass divides
        ("avg_incl", 4, 1, 1, 3),  # kw 0, 1, then 2 and 3 alone
        ("max", 3, 2, 0, 1),  # dilated: one loop (not measured split)
        ("max", 2, 1, 0, 1),  # VGG's 2x2/2: one stride, one loop
    ],
)
def test_pool_rows_take_later_column_taps_in_passes(
    kind: str, k: int, dil: int, pads: int, passes: int
) -> None:
    """Undilated column taps past the first stride (stride 2) each take a pass over the
    output row; max pools give the bits of the one-nest form, average pools the
    reference's values."""
    props: dict[str, Attribute] = {
        "kernel": ints_attr((k, k)),
        "strides": ints_attr((2, 2)),
        "pads": ints_attr((pads,) * 4),
        "dilations": ints_attr((dil, dil)),
    }
    if kind == "max":
        build = _unary(pool.MaxPoolOp, **props)
    else:
        props["count_include_pad"] = int_attr(kind == "avg_incl")
        build = _unary(pool.AvgPoolOp, **props, ceil_pads=ints_attr((0, 0)))
    module = _module([(1, 3, 9, 11)], build)
    rows = _check(module, seed=k + dil)
    ow_loops = [
        op
        for op in rows.walk()
        if isinstance(op, scf.ForOp) and op.body.block.args[0].name_hint == "ow"
    ]
    assert len(ow_loops) == passes
    if kind == "max":
        x = {"x0": np.random.default_rng(5).standard_normal((1, 3, 9, 11)).astype(np.float32)}
        nest = _lower(module, pool_rows=False)
        np.testing.assert_array_equal(run_function(rows, x)["y0"], run_function(nest, x)["y0"])


# ---- linear ----------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    m=st.integers(1, 4),
    k=st.integers(1, 5),
    n=st.integers(1, 4),
    trans=st.tuples(st.booleans(), st.booleans()),
    c_shape=st.sampled_from(["none", "n", "mn", "m1", "scalar"]),
    alpha=st.sampled_from([1.0, 0.5]),
    beta=st.sampled_from([1.0, 2.0, 0.0]),
    relu=st.booleans(),
    seed=st.integers(0, 99),
)
def test_gemm(
    m: int,
    k: int,
    n: int,
    trans: tuple[bool, bool],
    c_shape: str,
    alpha: float,
    beta: float,
    relu: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    c_dims = {"none": None, "n": (n,), "mn": (m, n), "m1": (m, 1), "scalar": ()}[c_shape]

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        b = _const(ops, rng.standard_normal((n, k) if trans[1] else (k, n)))
        c = _const(ops, rng.standard_normal(c_dims)) if c_dims is not None else None
        g = linear.GemmOp.inferred(
            [xs[0], b, c],
            alpha=float_attr(alpha),
            beta=float_attr(beta),
            trans_a=int_attr(trans[0]),
            trans_b=int_attr(trans[1]),
        )
        ops.append(g)
        if not relu:
            return [g.result]
        r = act.ReluOp.inferred([g.result])
        ops.append(r)
        return [r.result]

    _check(_module([(k, m) if trans[0] else (m, k)], build), seed)


@settings(max_examples=15, deadline=None)
@given(
    m=st.integers(1, 3),
    k=st.integers(4, 21),
    n=st.integers(1, 9),
    vl=st.sampled_from([4, 8]),
    with_c=st.booleans(),
    seed=st.integers(0, 99),
)
def test_gemm_trans_b_vector_dot(m: int, k: int, n: int, vl: int, with_c: bool, seed: int) -> None:
    """transB with k >= V: the dots run in vector lanes along k (tiles of 4 outputs, the
    n % 4 and k % V tails included); equal to the reference within rounding."""
    rng = np.random.default_rng(seed)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        b = _const(ops, rng.standard_normal((n, k)))
        c = _const(ops, rng.standard_normal((n,))) if with_c else None
        g = linear.GemmOp.inferred(
            [xs[0], b, c],
            alpha=float_attr(1.0),
            beta=float_attr(1.0),
            trans_a=int_attr(0),
            trans_b=int_attr(1),
        )
        ops.append(g)
        return [g.result]

    lowered = _check(_module([(m, k)], build), seed, vector_length=vl)
    assert any(isinstance(op, vector.FMAOp) for op in lowered.walk()) == (k >= vl)


@pytest.mark.parametrize(
    ("a", "b"),
    [((3, 4), (4, 2)), ((4,), (4, 3)), ((2, 4), (4,)), ((2, 1, 3, 4), (3, 4, 2)), ((5,), (5,))],
)
def test_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        op = linear.MatMulOp.inferred([xs[0], xs[1]])
        ops.append(op)
        return [op.result]

    _check(_module([a, b], build))


@settings(max_examples=15, deadline=None)
@given(
    batch=st.integers(1, 3),
    m=st.integers(1, 3),
    k=st.integers(1, 6),
    n=st.integers(1, 5),
    zeros=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_matmul_skipping_zero_lhs(
    batch: int, m: int, k: int, n: int, zeros: float, seed: int
) -> None:
    """skip_zero_lhs: the terms of zero (and -0) lhs values are an scf.if that skips them;
    the products equal numpy's."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((batch, m, k)).astype(np.float32)
    a[rng.random(a.shape) < zeros] = 0.0
    a[rng.random(a.shape) < zeros / 4] = -0.0
    b = rng.standard_normal((batch, k, n)).astype(np.float32)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        op = linear.MatMulOp.inferred([xs[0], xs[1]], skip_zero_lhs=int_attr(1))
        ops.append(op)
        return [op.result]

    lowered = _check(_module([a.shape, b.shape], build), inputs={"x0": a, "x1": b})
    assert any(isinstance(op, scf.IfOp) for op in lowered.walk())


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("axes", [[1], [2, 3], [0], [3]])
def test_softmax(log: bool, axes: list[int]) -> None:
    op_type = linear.LogSoftmaxOp if log else linear.SoftmaxOp
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 3, 2, 3)) * 10).astype(np.float32)
    _check(_module([(2, 3, 2, 3)], _unary(op_type, axes=ints_attr(axes))), inputs={"x0": x})


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_lrn(size: int) -> None:
    props = {
        "size": int_attr(size),
        "alpha": float_attr(1e-2),
        "beta": float_attr(0.75),
        "bias": float_attr(1.0),
    }
    _check(_module([(1, 4, 3, 2)], _unary(linear.LrnOp, **props)))


# ---- data movement ---------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    order=st.lists(st.integers(0, 2), min_size=1, max_size=4),
    axis=st.integers(0, 2),
    seed=st.integers(0, 99),
)
def test_concat_and_split(sizes: list[int], order: list[int], axis: int, seed: int) -> None:
    """Concat of inputs in any order, some repeated (dense-conv-as-patterns' [x, x, x]):
    one nest per run of equal inputs, reading at the run's index modulo the input's size."""
    base = [2, 3, 2]
    picks = [i % len(sizes) for i in order]

    def shape(s: int) -> list[int]:
        return [s if d == axis else base[d] for d in range(3)]

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        cat = tops.ConcatOp.inferred([[xs[i] for i in picks]], axis=int_attr(axis))
        split = tops.SplitOp.inferred(
            [cat.result], axis=int_attr(axis), sizes=ints_attr([sizes[i] for i in picks][::-1])
        )
        ops.extend([cat, split])
        return [cat.result, *split.results]

    lowered = _check(_module([shape(s) for s in sizes], build), seed)
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    nests = [
        op
        for op in fn.body.block.ops
        if isinstance(op, scf.ForOp) and "concat" in str(op.attributes.get(LAYER_ATTR, ""))
    ]
    runs = 1 + sum(a != b for a, b in itertools.pairwise(picks))
    assert len(nests) == runs


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_reshape_and_transpose(shape: list[int], seed: int) -> None:
    """A reshape is a view of its input (the relu reads the transpose's buffer through
    it: no buffer of its own); a returned one (r2, a view of that view) is copied out."""
    rng = np.random.default_rng(seed)
    perm = [int(p) for p in rng.permutation(len(shape))]
    flat = math.prod(shape)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        t = tops.TransposeOp.inferred([xs[0]], perm=ints_attr(perm))
        r = tops.ReshapeOp.inferred([t.result], shape=ints_attr([flat]))
        a = act.ReluOp.inferred([r.result])
        r2 = tops.ReshapeOp.inferred([r.result], shape=ints_attr([1, flat, 1]))
        ops.extend([t, r, a, r2])
        return [t.result, a.result, r2.result]

    lowered = _check(_module([shape], build), seed)
    assert _buffers(lowered) == []  # every value returned, the reshapes views


@pytest.mark.parametrize(
    ("starts", "ends", "axes", "steps"),
    [
        ([1], [3], [1], [1]),
        ([0, 4], [3, 0], [0, 2], [2, -2]),
        ([-1], [-100], [3], [-1]),
        ([1, 1], [100, 5], [2, 3], [2, 3]),
    ],
)
def test_slice(starts: list[int], ends: list[int], axes: list[int], steps: list[int]) -> None:
    props = {
        "starts": ints_attr(starts),
        "ends": ints_attr(ends),
        "axes": ints_attr(axes),
        "steps": ints_attr(steps),
    }
    _check(_module([(3, 4, 5, 6)], _unary(tops.SliceOp, **props)))


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_pad(mode: str) -> None:
    pads = [0, 1, 2, 0, 2, 1] if mode != "constant" else [0, -1, 2, 1, 2, -2]
    props = {"mode": str_attr(mode), "pads": ints_attr(pads), "value": float_attr(0.5)}
    _check(_module([(2, 3, 4)], _unary(tops.PadOp, **props)))


@settings(max_examples=20, deadline=None)
@given(
    mode=st.sampled_from(["nearest", "linear"]),
    coord=st.sampled_from(
        ["asymmetric", "half_pixel", "align_corners", "pytorch_half_pixel", "half_pixel_symmetric"]
    ),
    nearest=st.sampled_from(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]),
    out_hw=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    seed=st.integers(0, 99),
)
def test_resize(mode: str, coord: str, nearest: str, out_hw: tuple[int, int], seed: int) -> None:
    in_hw = (3, 4)
    props = {
        "mode": str_attr(mode),
        "coordinate_transformation_mode": str_attr(coord),
        "nearest_mode": str_attr(nearest),
        "scales": floats_attr([out_hw[0] / in_hw[0], out_hw[1] / in_hw[1]]),
        "sizes": ints_attr(out_hw),
    }
    _check(_module([(1, 2, *in_hw)], _unary(tops.ResizeOp, **props)), seed)


def test_gather() -> None:
    props = {
        "axis": int_attr(1),
        "indices": ints_attr([2, 0, 3, 3, 1, 0]),
        "indices_shape": ints_attr([2, 3]),
    }
    _check(_module([(2, 4, 3)], _unary(tops.GatherOp, **props)))
    scalar = {"axis": int_attr(0), "indices": ints_attr([1]), "indices_shape": ints_attr([])}
    _check(_module([(2, 4, 3)], _unary(tops.GatherOp, **scalar)))


def test_conv_transpose() -> None:
    rng = np.random.default_rng(4)

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        w = _const(ops, rng.standard_normal((4, 3, 3, 2)))
        b = _const(ops, rng.standard_normal(6))
        y = conv.ConvTransposeOp.inferred(
            [xs[0], w, b],
            strides=ints_attr([2, 1]),
            pads=ints_attr([1, 0, 0, 1]),
            dilations=ints_attr([1, 2]),
            output_padding=ints_attr([1, 0]),
            group=int_attr(2),
        )
        r = act.ReluOp.inferred([y.result])
        ops.extend([y, r])
        return [r.result]

    _check(_module([(1, 4, 3, 3)], build))


# ---- conventions -----------------------------------------------------------------------


def test_signature_and_buffers() -> None:
    """Outputs are trailing out-parameters marked nn.output; constants are globals; a value
    returned twice and an input returned as it is are copied into their out-parameters."""

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        c = _const(ops, np.arange(4))
        a = binary.AddOp.inferred([xs[0], c])
        r = act.ReluOp.inferred([a.result])
        ops.extend([a, r])
        return [r.result, r.result, xs[0], c]

    module = _module([(2, 4)], build)
    lowered = _check(module)
    fn = next(op for op in lowered.ops if isinstance(op, func.FuncOp))
    assert not fn.function_type.outputs.data
    types = fn.function_type.inputs.data
    assert all(isinstance(t, MemRefType) for t in types) and len(types) == 5
    assert fn.arg_attrs is not None
    attrs = [d.data for d in fn.arg_attrs.data]
    assert "nn.output" not in attrs[0] and all("nn.output" in a for a in attrs[1:])
    assert [a["nn.name"] for a in attrs] == [StringAttr(n) for n in ["x0", "y0", "y1", "y2", "y3"]]
    globals_ = [op for op in lowered.ops if isinstance(op, memref.GlobalOp)]
    assert len(globals_) == 1 and globals_[0].constant is not None
    assert _names(lowered).count("memref.copy") == 3
    # the relu writes straight into its out-parameter: one alloc, for the add
    assert _names(lowered).count("memref.alloc") == 1
    # prints and parses back
    Parser(make_context(), str(lowered)).parse_module().verify()


def test_missing_lowering_is_a_clear_error() -> None:
    from patcc.lowering import registry

    module = _module([(2, 2)], _unary(act.ReluOp))
    saved = registry.LOWERINGS.pop(act.ReluOp)
    try:
        with pytest.raises(PatccError, match=r"no lowering for op 'nn\.relu'"):
            _lower(module)
    finally:
        registry.LOWERINGS[act.ReluOp] = saved


# ---- whole models ----------------------------------------------------------------------


def _tiny_vgg():
    from patcc.models import FAMILIES

    return FAMILIES["vgg"](size=8, widths=(4, "M", 6, "M"), hidden=(8,), num_classes=3)


def test_vgg_tiny_model() -> None:
    module = import_model(_tiny_vgg())
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    lowered = _check(module, inputs={"input": x})
    names = _names(lowered)
    assert "vector.fma" in names and not any(n.startswith("nn.") for n in names)


def test_small_onnx_model_with_mixed_ops() -> None:
    """conv+silu, residual add, avg pool, resize, concat, global pool, flatten, gemm,
    softmax: the importer's IR of a small hand-built ONNX graph."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(6)

    def init(name: str, shape: tuple[int, ...]) -> onnx.TensorProto:
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.5, name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Sigmoid", ["c1"], ["s1"]),
        helper.make_node("Mul", ["c1", "s1"], ["a1"]),
        helper.make_node("Add", ["a1", "x"], ["r1"]),
        helper.make_node("AveragePool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Resize", ["p1", "", "scales"], ["u1"], mode="nearest"),
        helper.make_node("Concat", ["u1", "r1"], ["cat"], axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "w2", "b2"], ["z"], transB=1),
        helper.make_node("Softmax", ["z"], ["out"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "mixed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 6, 6])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 5])],
        [
            init("w1", (3, 3, 3, 3)),
            init("b1", (3,)),
            numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales"),
            init("w2", (5, 6)),
            init("b2", (5,)),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    module = import_model(model)
    x = rng.standard_normal((1, 3, 6, 6)).astype(np.float32)
    lowered = _check(module, inputs={"x": x})
    assert "nn.silu" in _names(module)
    _ = lowered


@pytest.mark.parametrize(
    ("direction", "optional", "clip", "input_forget"),
    [
        ("forward", False, None, 0),
        ("reverse", True, 0.5, 0),
        ("bidirectional", True, None, 1),
    ],
)
def test_lstm(direction: str, optional: bool, clip: float | None, input_forget: int) -> None:
    rng = np.random.default_rng(7)
    dirs, hidden, size, batch, seq = (2 if direction == "bidirectional" else 1), 2, 3, 2, 3

    def build(xs: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
        w = _const(ops, rng.standard_normal((dirs, 4 * hidden, size)) * 0.5)
        r = _const(ops, rng.standard_normal((dirs, 4 * hidden, hidden)) * 0.5)
        extra: list[SSAValue | None] = [None] * 4
        if optional:
            extra = [
                _const(ops, rng.standard_normal((dirs, 8 * hidden))),
                _const(ops, rng.standard_normal((dirs, batch, hidden))),
                _const(ops, rng.standard_normal((dirs, batch, hidden))),
                _const(ops, rng.standard_normal((dirs, 3 * hidden))),
            ]
        props: dict[str, Attribute] = {
            "hidden_size": int_attr(hidden),
            "direction": str_attr(direction),
            "input_forget": int_attr(input_forget),
        }
        if clip is not None:
            props["clip"] = float_attr(clip)
        op = rnn.LstmOp.inferred([xs[0], w, r, *extra], **props)
        ops.append(op)
        return list(op.results)

    _check(_module([(seq, batch, size)], build))
