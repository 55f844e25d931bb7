"""Semantics preservation of the post-import passes (fold-batchnorm, fuse-silu).

Random graphs are built directly in IR (no importer, so the passes are tested alone), run
through the interpreter before and after the pass, and compared.
"""

from __future__ import annotations

import numpy as np
from conftest import applied, named_module, op_names
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, SSAValue

from patcc.constants import constant_op
from patcc.dialects.nn.activation import SigmoidOp, SiluOp
from patcc.dialects.nn.base import float_attr, int_attr, ints_attr, tensor_f32
from patcc.dialects.nn.binary import MulOp
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.nn.linear import BatchNormOp
from patcc.passes.fold_batchnorm import FoldBatchNormPass
from patcc.passes.fuse_silu import FuseSiluPass
from patcc.semantics import run_function


def _module(shape: tuple[int, ...], build) -> ModuleOp:
    block = Block(arg_types=[tensor_f32(shape)])
    ops: list = []
    result: SSAValue = build(block.args[0], ops)
    block.add_ops(ops)
    return named_module(block, [result])


@settings(max_examples=40, deadline=None)
@given(
    c=st.integers(1, 4),
    o=st.integers(1, 6),
    k=st.sampled_from([1, 3]),
    stride=st.integers(1, 2),
    with_bias=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
    eps=st.sampled_from([1e-5, 1e-3, 0.1]),
)
def test_fold_batchnorm_preserves_semantics(
    c: int, o: int, k: int, stride: int, with_bias: bool, seed: int, eps: float
) -> None:
    rng = np.random.default_rng(seed)
    arrays = {
        "w": rng.standard_normal((o, c, k, k)),
        "b": rng.standard_normal(o),
        "scale": rng.standard_normal(o),
        "shift": rng.standard_normal(o),
        "mean": rng.standard_normal(o),
        "var": rng.random(o) + 0.1,
    }

    def build(x: SSAValue, ops: list) -> SSAValue:
        consts = {name: constant_op(a.astype(np.float32)) for name, a in arrays.items()}
        ops.extend(consts.values())
        conv = Conv2dOp.inferred(
            [x, consts["w"].result, consts["b"].result if with_bias else None],
            strides=ints_attr([stride, stride]),
            pads=ints_attr([k // 2] * 4),
            dilations=ints_attr([1, 1]),
            group=int_attr(1),
        )
        bn = BatchNormOp.inferred(
            [conv.result, *(consts[n].result for n in ("scale", "shift", "mean", "var"))],
            epsilon=float_attr(eps),
        )
        ops.extend([conv, bn])
        return bn.result

    module = _module((1, c, 6, 6), build)
    after = applied(module, FoldBatchNormPass())
    assert "nn.batch_norm" not in op_names(after)
    x = {"x": rng.standard_normal((1, c, 6, 6)).astype(np.float32)}
    want, got = run_function(module, x)["y"], run_function(after, x)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(want).max()))


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    swap=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_fuse_silu_preserves_semantics(shape: list[int], swap: bool, seed: int) -> None:
    def build(x: SSAValue, ops: list) -> SSAValue:
        sig = SigmoidOp.inferred([x])
        mul = MulOp.inferred([sig.result, x] if swap else [x, sig.result])
        ops.extend([sig, mul])
        return mul.result

    module = _module(tuple(shape), build)
    after = applied(module, FuseSiluPass())
    assert SiluOp.name in op_names(after) and MulOp.name not in op_names(after)
    x = {"x": (np.random.default_rng(seed).standard_normal(shape) * 4).astype(np.float32)}
    np.testing.assert_allclose(
        run_function(after, x)["y"], run_function(module, x)["y"], rtol=1e-5, atol=1e-6
    )
