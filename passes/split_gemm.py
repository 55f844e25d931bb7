"""split-k-gemm{min-slice=128 skip-min-bytes=33554432}: a one-row gemm with constant weights
as S independent partial dot products plus a sum over them (split-K), for the opencl target.

A classifier layer (VGG-16's 25088 -> 4096) lowered as is gives one work item per output,
each walking all of k: a few thousand long serial loops, and on a GPU each reads its own
weight row, uncoalesced. After the split

    y = gemm(ones[1, S], matmul(x[S, 1, K/S], w[S, K/S, N])[S, N], c)   (+ the activation)

the partial products are an S x N NDRange of short loops, and the weights are stored K-major
(`w[s, k, n]`), so neighbouring work items (n, n+1) read neighbouring floats. The sum is a
gemm with a constant ones row (exact: 1 * p = p), which keeps the bias, beta and the fused
activation of the original. S is the largest divisor of K whose slices keep at least
`min-slice` values; a gemm that cannot be split (M > 1, trans_a, alpha != 1, non-constant
weights, K < 2 * min-slice) is left alone. Only the summation order changes.

The partial products of weights of at least `skip-min-bytes` skip their zero inputs
(`nn.matmul`'s `skip_zero_lhs`, where the weights are finite): a classifier's input comes
from a ReLU, and a group of work items shares one input at a time, so the test is uniform
across it and a zero reads no weights. On an H200 (docs/benchmarks.md) VGG-16's first
classifier layer (411 MB, 43 % zeros in the built-in model) went 0.108 -> 0.075 ms and
the second (64 MB) 0.022 -> 0.018, but the third (16 MB, which the GPU's L2 holds) 0.013
-> 0.018: there the branch costs more than the reads; hence the 32 MiB default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from patcc.constants import all_finite, constant_op, constant_value
from patcc.dialects.nn.base import float_attr, get_float, get_int, int_attr, ints_attr, shape_of
from patcc.dialects.nn.linear import GemmOp, MatMulOp
from patcc.dialects.nn.tensor_ops import ReshapeOp
from patcc.errors import PatccError

SKIP_MIN_BYTES = 1 << 25
"""The default `skip-min-bytes`: a split classifier layer's partial products skip zero
inputs where its weights have at least this many bytes. VGG-16 on an H200
(docs/benchmarks.md, "Classifier layers skip zero inputs on the GPU"): the first layer
(411 MB) 0.108 -> 0.075 ms, the second (64 MB) 0.022 -> 0.018, the third (16 MB, held in
L2) 0.013 -> 0.018."""


def slices(k: int, min_slice: int) -> int:
    """The number of slices S of a reduction of length k (1: not worth splitting)."""
    return max((s for s in range(1, k // min_slice + 1) if k % s == 0), default=1)


@dataclass
class SplitGemm(RewritePattern):
    min_slice: int
    skip_min_bytes: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GemmOp, rewriter: PatternRewriter) -> None:
        p = op.properties
        (m, k), weights = shape_of(op.a), constant_value(op.b)
        if m != 1 or get_int(p, "trans_a") or get_float(p, "alpha") != 1.0 or weights is None:
            return
        s = slices(k, self.min_slice)
        if s == 1:
            return
        w = weights.T if get_int(p, "trans_b") else weights  # k x n
        n = w.shape[1]
        w_const = constant_op(np.ascontiguousarray(w.reshape(s, k // s, n), dtype=np.float32))
        ones = constant_op(np.ones((1, s), dtype=np.float32))
        x = ReshapeOp.inferred([op.a], shape=ints_attr([s, 1, k // s]))
        skips = w.nbytes >= self.skip_min_bytes and all_finite(w)
        skip = {"skip_zero_lhs": int_attr(1)} if skips else {}
        partial = MatMulOp.inferred([x.result, w_const.result], **skip)
        rows = ReshapeOp.inferred([partial.result], shape=ints_attr([s, n]))
        total = GemmOp.inferred(
            [ones.result, rows.result, op.c],
            alpha=float_attr(1.0),
            beta=float_attr(get_float(p, "beta")),
            trans_a=int_attr(0),
            trans_b=int_attr(0),
        )
        old_weights = op.b.owner
        rewriter.replace(op, [w_const, ones, x, partial, rows, total])
        if isinstance(old_weights, Operation) and not old_weights.results[0].uses:
            rewriter.erase(old_weights)  # its k x n copy is the only one left


@dataclass(frozen=True)
class SplitKGemmPass(ModulePass):
    """Split the reduction of one-row constant-weight gemms (see the module docstring)."""

    name = "split-k-gemm"

    min_slice: int = 128
    skip_min_bytes: int = SKIP_MIN_BYTES
    """Weights this large (and finite) skip zero inputs (see the module docstring)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.min_slice < 1:
            raise PatccError(f"split-k-gemm: min-slice must be >= 1, got {self.min_slice}")
        if self.skip_min_bytes < 0:
            raise PatccError(
                f"split-k-gemm: skip-min-bytes must be >= 0, got {self.skip_min_bytes}"
            )
        walker = PatternRewriteWalker(SplitGemm(self.min_slice, self.skip_min_bytes))
        walker.rewrite_module(op)
