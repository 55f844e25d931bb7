"""The opencl target's graph passes keep results: split-k-gemm and dense-conv-as-patterns on
random layers, the interpreter before and after (the kernels they lead to are run on an
OpenCL device in test_opencl.py)."""

from __future__ import annotations

import numpy as np
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
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn.activation import ReluOp
from patcc.dialects.nn.base import int_attr, ints_attr, tensor_f32
from patcc.dialects.nn.conv import Conv2dOp
from patcc.passes.dense_conv_patterns import COVER, DenseConvAsPatternsPass, cover_values
from patcc.passes.split_gemm import SplitKGemmPass, slices
from patcc.semantics import run_function


def _module(ops: list, result: SSAValue, block: Block) -> ModuleOp:
    block.add_ops(ops)
    return named_module(block, [result])


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(1, 48),
    n=st.integers(1, 9),
    min_slice=st.integers(1, 8),
    trans_b=st.booleans(),
    bias=st.sampled_from(["none", "row", "vector", "scalar"]),
    beta=st.sampled_from([1.0, 0.5]),
    relu=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_split_k_gemm_preserves_semantics(
    k: int,
    n: int,
    min_slice: int,
    trans_b: bool,
    bias: str,
    beta: float,
    relu: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    module = random_gemm_module(rng, k, n, trans_b=trans_b, bias=bias, beta=beta, relu=relu)
    after = applied(module, SplitKGemmPass(min_slice=min_slice))
    split = slices(k, min_slice)
    assert ("nn.matmul" in op_names(after)) == (split > 1)
    assert split == 1 or (k % split == 0 and k // split >= min_slice)
    x = {"x": rng.standard_normal((1, k)).astype(np.float32)}
    assert_close(run_function(after, x)["y"], run_function(module, x)["y"])


def test_split_k_gemm_leaves_batched_and_scaled_gemms_alone() -> None:
    module = gemm_module(np.ones((512, 4)), m=2, trans_b=False)
    assert "nn.matmul" not in op_names(applied(module, SplitKGemmPass()))


def test_cover_splits_every_kernel_position_once() -> None:
    weight = np.arange(1, 2 * 3 * 9 + 1, dtype=np.float32).reshape(2, 3, 3, 3)
    values = cover_values(weight)
    dense = np.zeros((2, 3, 9), dtype=np.float32)
    for r, pattern in enumerate(COVER):
        for t, p in enumerate(pattern):
            dense[:, :, p] += values[:, r * 3 : (r + 1) * 3, t]
    np.testing.assert_array_equal(dense.reshape(weight.shape), weight)


@settings(max_examples=30, deadline=None)
@given(
    c=st.integers(1, 4),
    o=st.integers(1, 5),
    k=st.sampled_from([1, 3]),
    stride=st.integers(1, 2),
    dilation=st.integers(1, 2),
    pad=st.integers(0, 2),
    with_bias=st.booleans(),
    relu=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_dense_conv_as_patterns_preserves_semantics(
    c: int,
    o: int,
    k: int,
    stride: int,
    dilation: int,
    pad: int,
    with_bias: bool,
    relu: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    shape = (1, c, 7, 8)
    block = Block(arg_types=[tensor_f32(shape)])
    w = constant_op(rng.standard_normal((o, c, k, k)).astype(np.float32))
    b = constant_op(rng.standard_normal(o).astype(np.float32))
    conv = Conv2dOp.inferred(
        [block.args[0], w.result, b.result if with_bias else None],
        strides=ints_attr([stride, stride]),
        pads=ints_attr([pad] * 4),
        dilations=ints_attr([dilation, dilation]),
        group=int_attr(1),
    )
    ops: list = [w, b, conv]
    result = conv.result
    if relu:
        ops.append(act := ReluOp.inferred([conv.result]))
        result = act.result
    module = _module(ops, result, block)
    after = applied(module, DenseConvAsPatternsPass())
    assert ("pat.conv2d" in op_names(after)) == (k == 3)
    x = {"x": rng.standard_normal(shape).astype(np.float32)}
    assert_close(run_function(after, x)["y"], run_function(module, x)["y"])
