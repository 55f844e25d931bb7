"""skip-zero-inputs and nn.gemv_skip_zeros: the pass keeps results (interpreter before and
after, inputs with runs of zeros), the loop level computes what the op says at every vector
length and number of streams (those bit for bit as one stream), the blocks cover the
outputs, and what the pass must leave alone it does. The C the x86 and NEON targets print
from it is checked in test_c_targets.py."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    applied,
    assert_close,
    gemm_module,
    named_module,
    op_names,
    random_gemm_module,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp
from xdsl.ir import Block

from patcc.constants import constant_op
from patcc.dialects.nn.base import float_attr, get_int, int_attr, ints_attr, shape_of, tensor_f32
from patcc.dialects.nn.linear import GemmOp, GemvSkipZerosOp
from patcc.dialects.nn.tensor_ops import ReshapeOp
from patcc.errors import PatccError
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.parallelize import ParallelizePass
from patcc.passes.skip_zero_inputs import (
    LANES,
    MIN_BLOCKS,
    SkipZeroInputsPass,
    block_width,
    lockstep,
)
from patcc.semantics import run_function
from patcc.targets.attrs import PARALLEL_ATTR


def zero_runs(rng: np.random.Generator, k: int, zeros: float, run: int) -> np.ndarray:
    """A 1 x k input whose zeros come in runs of `run` (a dead channel, flattened), about
    `zeros` of them."""
    x = rng.standard_normal((1, k)).astype(np.float32)
    for start in range(0, k, run):
        if rng.random() < zeros:
            x[0, start : start + run] = 0.0
    return x


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(1, 70),
    n=st.integers(1, 40),
    block=st.sampled_from([16, 32]),
    group=st.integers(1, 9),
    streams=st.integers(1, 5),
    trans_b=st.booleans(),
    bias=st.sampled_from(["none", "row", "vector", "scalar"]),
    beta=st.sampled_from([1.0, 0.5]),
    relu=st.booleans(),
    zeros=st.sampled_from([0.0, 0.5, 1.0]),
    run=st.integers(1, 12),
    vector_length=st.sampled_from([1, 4, 8, 16]),
    seed=st.integers(0, 2**32 - 1),
)
def test_skip_zero_inputs_preserves_semantics(
    k: int,
    n: int,
    block: int,
    group: int,
    streams: int,
    trans_b: bool,
    bias: str,
    beta: float,
    relu: bool,
    zeros: float,
    run: int,
    vector_length: int,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    module = random_gemm_module(rng, k, n, trans_b=trans_b, bias=bias, beta=beta, relu=relu)
    after = applied(module, SkipZeroInputsPass(block=block, group=group, streams=streams))
    assert "nn.gemv_skip_zeros" in op_names(after) and "nn.gemm" not in op_names(after)
    (gemv,) = (op for op in after.walk() if isinstance(op, GemvSkipZerosOp))
    blocks = shape_of(gemv.w)[0]
    assert get_int(gemv.properties, "streams", 1) == lockstep(blocks, streams)
    x = {"x": zero_runs(rng, k, zeros, run)}
    want = run_function(module, x)["y"]
    assert_close(run_function(after, x)["y"], want)
    loops = applied(after, LowerToLoopsPass(vector_length=vector_length))
    got = run_function(loops, x)["y"]
    assert_close(got, want)
    if streams > 1:  # lockstep only reorders the reads: each output's sum keeps its order
        one = applied(module, SkipZeroInputsPass(block=block, group=group))
        one_loops = applied(one, LowerToLoopsPass(vector_length=vector_length))
        np.testing.assert_array_equal(got, run_function(one_loops, x)["y"])


def flattened_map_module(w: np.ndarray, shape: tuple[int, ...], *, flatten: bool) -> ModuleOp:
    """f(x) = gemm(reshape(x), w): x a 1 x C x H x W feature map flattened (or, with
    `flatten` false, already the 1 x K row that the reshape would give)."""
    k = int(np.prod(shape))
    block = Block(arg_types=[tensor_f32(shape if flatten else (1, k))])
    row = block.args[0]
    if flatten:
        reshape = ReshapeOp.inferred([row], shape=ints_attr([1, k]))
        block.add_op(reshape)
        row = reshape.result
    w_op = constant_op(w.astype(np.float32))
    gemm = GemmOp.inferred(
        [row, w_op.result, None],
        alpha=float_attr(1.0),
        beta=float_attr(1.0),
        trans_a=int_attr(0),
        trans_b=int_attr(1),
    )
    block.add_op(w_op)
    block.add_op(gemm)
    return named_module(block, [gemm.result])


@settings(max_examples=25, deadline=None)
@given(
    channels=st.integers(1, 6),
    hw=st.sampled_from([(1, 1), (1, 3), (2, 2), (3, 3)]),
    n=st.integers(1, 40),
    group=st.integers(2, 9),
    dead=st.sampled_from([0.0, 0.5, 1.0]),
    vector_length=st.sampled_from([1, 8, 16]),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_flattened_map_takes_the_map_group(
    channels: int,
    hw: tuple[int, int],
    n: int,
    group: int,
    dead: float,
    vector_length: int,
    seed: int,
) -> None:
    """map-group applies where the input is a feature map flattened (more than one pixel a
    channel), `group` elsewhere, and the results stay those of the gemm with dead channels
    (runs of H x W zeros) at every vector length."""
    rng = np.random.default_rng(seed)
    shape = (1, channels, *hw)
    w = rng.standard_normal((n, int(np.prod(shape))))
    x = rng.standard_normal(shape).astype(np.float32)
    x[:, rng.random(channels) < dead] = 0.0
    for flatten in (True, False):
        module = flattened_map_module(w, shape, flatten=flatten)
        after = applied(module, SkipZeroInputsPass(block=16, group=group, map_group=1))
        (gemv,) = (op for op in after.walk() if isinstance(op, GemvSkipZerosOp))
        want_group = 1 if flatten and hw != (1, 1) else group
        assert get_int(gemv.properties, "group") == want_group
        inputs = {"x": x if flatten else x.reshape(1, -1)}
        want = run_function(module, inputs)["y"]
        loops = applied(after, LowerToLoopsPass(vector_length=vector_length))
        assert_close(run_function(loops, inputs)["y"], want)


def test_lockstep_takes_the_largest_divisor_of_the_blocks() -> None:
    assert [lockstep(8, s) for s in (1, 2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8, 8]
    assert [lockstep(6, 4), lockstep(7, 4), lockstep(1, 4)] == [3, 1, 1]


@given(n=st.integers(1, 5000), block=st.sampled_from([16, 64, 512]))
def test_blocks_cover_the_outputs(n: int, block: int) -> None:
    blocks, width = block_width(n, block)
    assert width % LANES == 0 and width <= block
    assert (blocks - 1) * width < n <= blocks * width  # no block is padding only
    assert blocks * width - n < blocks * LANES  # the padding is under a vector a block
    assert blocks >= min(MIN_BLOCKS, -(-n // LANES)) // 2  # blocks for the threads


@pytest.mark.parametrize("streams", [1, 2])
def test_the_blocks_of_a_layer_run_in_parallel(streams: int) -> None:
    """The threads split the blocks, or with streams the groups of blocks in lockstep (8
    blocks of 32, 2 at a time: 4 groups, the loop over b in steps of 2)."""
    w = np.random.default_rng(0).standard_normal((256, 40))
    module = applied(
        gemm_module(w, relu=True),
        SkipZeroInputsPass(block=32, streams=streams),
        LowerToLoopsPass(vector_length=8),
        ParallelizePass(),
    )
    marked = [op for op in module.walk() if PARALLEL_ATTR in op.attributes]
    assert marked and isinstance(marked[0], scf.ForOp)
    assert marked[0].body.block.args[0].name_hint == "b"
    step = marked[0].step.owner
    assert isinstance(step, arith.ConstantOp) and step.value == IntegerAttr(streams, IndexType())


@pytest.mark.parametrize(
    "case",
    [
        {"m": 2},
        {"alpha": 2.0},
        {"w": np.array([[1.0, np.inf], [0.5, 2.0]])},
        {"w": np.array([[1.0, np.nan], [0.5, 2.0]])},
        {"w": np.array([[np.inf, 1.0], [-np.inf, 2.0]])},
    ],
    ids=["two rows", "alpha", "infinite weight", "nan weight", "opposite infinities"],
)
def test_leaves_alone_what_skipping_would_change(case: dict) -> None:
    w = case.pop("w", np.ones((2, 2)))
    module = gemm_module(w, **case)
    assert op_names(applied(module, SkipZeroInputsPass())) == op_names(module)


def test_leaves_alone_weights_that_are_not_constant() -> None:
    block = Block(arg_types=[tensor_f32((1, 4)), tensor_f32((3, 4))])
    gemm = GemmOp.inferred(
        [block.args[0], block.args[1], None],
        alpha=float_attr(1.0),
        beta=float_attr(1.0),
        trans_a=int_attr(0),
        trans_b=int_attr(1),
    )
    block.add_op(gemm)
    module = named_module(block, [gemm.result], input_names=("x", "w"))
    assert "nn.gemm" in op_names(applied(module, SkipZeroInputsPass()))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"block": 24}, "block must be a positive multiple of 16"),
        ({"group": 0}, "group must"),
        ({"streams": 0}, "streams must be >= 1, got 0"),
        ({"map_group": -1}, "map-group must be >= 0, got -1"),
    ],
)
def test_bad_options_are_named(options: dict, message: str) -> None:
    module = gemm_module(np.ones((2, 2)))
    with pytest.raises(PatccError, match=message):
        applied(module, SkipZeroInputsPass(**options))
