"""skip-zero-inputs{block=512 group=8 map-group=0 streams=1}: a one-row gemm with constant
finite weights becomes an `nn.gemv_skip_zeros`, which reads the weights of a group of
inputs only when one of them is not zero (the C targets).

A classifier behind a ReLU sees many zeros: VGG-16's first one (25088 -> 4096, 411 MB of
fp32 weights, memory bound) gets 43 % zeros from the built-in model's last pool, whole dead
channels of 49 in a row (trained networks have more: EIE, Han et al. 2016, skips them in
hardware). A zero input's term is 0 * w = 0 for a finite w, so it can be left out; but the
plain gemm stores W as N rows of K, where the K inputs run along every row and a skipped
input saves no cache line. After the pass the weights are K-major in blocks of B outputs,

    w[b, k, j] = W[b * B + j, k]    (blocks x K x B, the last block padded with zeros)

so a block's outputs read one contiguous run of B weights per input, runs of consecutive
inputs lie one after the other (the hardware prefetcher streams them), and `group`
consecutive zero inputs skip their runs (patcc/lowering/skip_zeros.py says why groups and
not single inputs on some CPUs; the x86 target tests single inputs on Intel hosts,
`patcc.targets.emit.SKIP_ZERO_INPUTS`). `map-group` (0: `group`) is the group of a layer
whose input is a feature map flattened (`nn.reshape` of an N x C x H x W value, H x W > 1):
there a dead channel is a run of H x W zeros, not zeros scattered as behind another
classifier layer, so a test per input (1) skips whole runs where groups straddle their
ends (the AMD EPYC's rule, `SKIP_ZERO_INPUTS`). Measured on its own (docs/performance.md):
VGG-16's first classifier layer with the built-in model's zeros 21.4 -> 14.3 ms on one
thread, 10.8 -> 7.3 ms on two; the second (50 % zeros at random, which groups of 8
seldom skip) 3.6 -> 3.2 ms and 2.0 -> 1.8 ms: the K-major blocks stream no slower than
the N-major dot. B is at most `block` and a multiple of 16 (every vector length of the C
targets), with about MIN_BLOCKS blocks where N allows; 512 floats of a block's
accumulators (2 KB) stay in L1 while the weights stream past. `streams` blocks go in
lockstep (patcc/lowering/skip_zeros.py says why; the x86 target asks for 4, with blocks of
128 outputs, on Intel and AMD hosts, `patcc.targets.emit.SKIP_ZERO_INPUTS`): a layer takes
the largest divisor of its blocks up to `streams`.

Left alone: more than one row, trans_a, alpha != 1, weights that are not a constant or
not all finite (there 0 * w is not 0). Only the summation order changes (one sum per
output along k, instead of lanes of k), within float rounding as any BLAS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from patcc.constants import all_finite, constant_op, constant_value
from patcc.dialects.nn.base import float_attr, get_float, get_int, int_attr, shape_of
from patcc.dialects.nn.linear import GemmOp, GemvSkipZerosOp
from patcc.dialects.nn.tensor_ops import ReshapeOp
from patcc.errors import PatccError

LANES = 16
"""Block widths are multiples of this: 16, 8 and 4 floats (AVX-512, AVX2, NEON) divide it."""


MIN_BLOCKS = 8
"""Blocks a layer gets where its outputs allow, so that the threads share them evenly
(parallelize's MIN_PARALLEL_TRIPS): VGG-16's last classifier layer (1000 outputs) takes
8 blocks of 128, not 2 of 512."""


def block_width(n: int, block: int) -> tuple[int, int]:
    """(blocks, outputs per block) covering n outputs: at most `block` outputs a block,
    each a multiple of LANES (the last one padded), MIN_BLOCKS blocks where n allows
    (rounding the width up to LANES may leave fewer, not under half)."""
    blocks = max(_ceil_div(n, block), min(MIN_BLOCKS, _ceil_div(n, LANES)))
    width = _ceil_div(_ceil_div(n, blocks), LANES) * LANES
    return _ceil_div(n, width), width


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def blocked_weights(w_nk: np.ndarray, blocks: int, width: int) -> np.ndarray:
    """N x K weights as blocks x K x width, w[b, k, j] = w_nk[b * width + j, k], the
    columns past N zero; a read-only view of a bytes object, which `constant_op` keeps
    without a copy. The transposed view's `tobytes` writes the bytes object in one copy
    (VGG-16's 411 MB: 0.5 s; a zeroed staging buffer copied into bytes took 0.9 s), and no
    numpy array of that size is made: numpy asks the kernel for huge pages for large
    arrays, and in busy minutes the kernel stalled up to 5 s compacting memory for them.
    Only a ragged last block (N not a multiple of width: small layers) is padded first."""
    n, k = w_nk.shape
    if n != blocks * width:
        padded = np.zeros((blocks * width, k), dtype=np.float32)
        padded[:n] = w_nk
        w_nk = padded
    blob = w_nk.reshape(blocks, width, k).transpose(0, 2, 1).tobytes()
    return np.frombuffer(blob, dtype=np.float32).reshape(blocks, k, width)


def flattened_map(value: SSAValue) -> bool:
    """Whether `value` is a feature map flattened: an nn.reshape of a rank-4 value with more
    than one pixel per channel (whose zeros come in runs, a dead channel each)."""
    owner = value.owner
    if not isinstance(owner, ReshapeOp):
        return False
    shape = shape_of(owner.input)
    return len(shape) == 4 and shape[2] * shape[3] > 1


def lockstep(blocks: int, streams: int) -> int:
    """The blocks a layer reads in lockstep: the largest divisor of `blocks` up to `streams`
    (the lowering runs whole groups)."""
    return max(d for d in range(1, min(blocks, streams) + 1) if blocks % d == 0)


@dataclass
class SkipZeroInputs(RewritePattern):
    block: int
    group: int
    streams: int
    map_group: int = 0

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: GemmOp, rewriter: PatternRewriter) -> None:
        p = op.properties
        weights = constant_value(op.b)
        if (
            shape_of(op.a)[0] != 1
            or get_int(p, "trans_a")
            or get_float(p, "alpha") != 1.0
            or weights is None
            or not all_finite(weights)
        ):
            return
        w_nk = weights if get_int(p, "trans_b") else weights.T
        blocks, width = block_width(w_nk.shape[0], self.block)
        w_const = constant_op(blocked_weights(w_nk, blocks, width))
        group = self.map_group if self.map_group and flattened_map(op.a) else self.group
        props = {
            "beta": float_attr(get_float(p, "beta")),
            "n": int_attr(w_nk.shape[0]),
            "group": int_attr(group),
        }
        streams = lockstep(blocks, self.streams)
        if streams > 1:  # one stream: no property, as before there were streams
            props["streams"] = int_attr(streams)
        gemv = GemvSkipZerosOp.inferred([op.a, w_const.result, op.c], **props)
        gemv.result.name_hint = op.result.name_hint
        w_const.result.name_hint = f"{op.b.name_hint or 'w'}_blocked"
        old_weights = op.b.owner
        rewriter.replace(op, [w_const, gemv])
        if isinstance(old_weights, Operation) and not old_weights.results[0].uses:
            rewriter.erase(old_weights)  # the blocked copy is the only one left


@dataclass(frozen=True)
class SkipZeroInputsPass(ModulePass):
    """One-row constant-weight gemms skip their zero inputs (see the module docstring)."""

    name = "skip-zero-inputs"

    block: int = 512
    group: int = 8
    streams: int = 1
    map_group: int = 0
    """The group of a layer whose input is a flattened feature map; 0: `group`."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.block < LANES or self.block % LANES:
            raise PatccError(
                f"skip-zero-inputs: block must be a positive multiple of {LANES}, got {self.block}"
            )
        if self.group < 1:
            raise PatccError(f"skip-zero-inputs: group must be >= 1, got {self.group}")
        if self.streams < 1:
            raise PatccError(f"skip-zero-inputs: streams must be >= 1, got {self.streams}")
        if self.map_group < 0:
            raise PatccError(f"skip-zero-inputs: map-group must be >= 0, got {self.map_group}")
        rewriter = SkipZeroInputs(self.block, self.group, self.streams, self.map_group)
        PatternRewriteWalker(rewriter).rewrite_module(op)
