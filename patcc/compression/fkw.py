"""FKR and FKW in plain numpy: filter-kernel reordering and the compact FKW weight storage.

Conventions are those of `patcc.compression.patterns` (ids (O, C) int8, -1 = removed kernel;
values (O, C, 4) float32, the kept weights in pattern position order).

FKR (filter-kernel reordering, `reorder-filters`) is a schedule: it permutes the O filters so
that filters with the same number of kept kernels and similar pattern sequences sit side by
side, and cuts the permuted sequence into groups of `group_size` filters (the last group may
be shorter). Inside a filter, kernels are taken in pattern-id order (then by input channel),
so a pattern's kernels form one run and the code generator specialises one body per run.

FKW (filter-kernel-weight) stores a pruned layer as five arrays, in the FKR order:

    offset  (O+1,)   int32  offset[j]: where reordered filter j's kernels start in index/weight
    reorder (O,)     int32  reorder[j]: the original filter index of reordered filter j
    index   (N,)     int32  index[n]: the input channel of kept kernel n
    stride  (O, K+1) int32  stride[j, p]: where pattern p's run starts in filter j, relative to
                            offset[j] (stride[j, 0] = 0, stride[j, K] = the filter's length)
    weight  (N, 4)   f32    weight[n]: the 4 kept weights of kernel n (pattern position order)

N is the number of kept kernels. Kernel n belongs to filter j with offset[j] <= n <
offset[j+1] and has pattern p with stride[j, p] <= n - offset[j] < stride[j, p+1]; within a
run the input channels ascend. Compared with CSR, FKW stores one index per kernel (not one
per weight) and no per-weight pattern information at all: the pattern is implied by the run.

`python -m patcc.compression.fkw` prints the dense / CSR / FKW storage table of VGG-16 at 8x
(K = 8 patterns, connectivity 3.6) that docs/fkw.md shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from patcc.dialects.pat.attributes import KERNEL_POSITIONS, PATTERN_SIZE

INDEX_BYTES = 4  # int32 indices in FKW and CSR alike
VALUE_BYTES = 4  # float32 weights


# ---- FKR --------------------------------------------------------------------------------


def filter_order(ids: np.ndarray, num_patterns: int, block: int = 1) -> np.ndarray:
    """FKR's filter permutation: position j of the reordered layer -> original filter.

    Sort key: kept-kernel count descending, then the filter's sorted sequence of pattern ids
    (lexicographic, so filters that use the same patterns in the same amounts meet), then
    the original index (a total order: the result is deterministic).

    `block` > 1: when the ids rows are identical within every block of `block` consecutive
    original filters (block pruning), the BLOCKS are ordered by that key and kept whole, the
    shorter last block last, so groups of `block` reordered filters are exactly the blocks.
    """
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must be 2-D (O x C), got shape {ids.shape}")
    o = ids.shape[0]
    if block > 1 and o > 1 and _block_identical(ids, block):
        full = o // block
        heads = filter_order(ids[: full * block : block], num_patterns)
        starts = np.append(heads * block, np.arange(full * block, o, block))
        return (starts[:, None] + np.arange(block)).reshape(-1)[:o]
    kept = ids >= 0
    # Removed kernels sort after every pattern id, so equal counts give equal-length prefixes.
    seq = np.sort(np.where(kept, ids.astype(np.int64), num_patterns), axis=1)
    keys = [np.arange(o), *seq.T[::-1], -kept.sum(axis=1)]  # lexsort: last key is primary
    return np.lexsort(keys).astype(np.int64)


def _block_identical(ids: np.ndarray, block: int) -> bool:
    """Every block of `block` consecutive rows (the last may be shorter) repeats its first."""
    heads = np.repeat(ids[::block], block, axis=0)[: ids.shape[0]]
    return bool(np.array_equal(ids, heads))


def filter_groups(filters: int, group_size: int) -> np.ndarray:
    """Start offsets of FKR's groups: equal groups of `group_size`, the last may be shorter."""
    if group_size < 1:
        raise ValueError(f"group size must be >= 1, got {group_size}")
    return np.arange(0, filters, group_size, dtype=np.int64)


def kernel_order(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(filter, channel) of every kept kernel of `ids` in FKW order: filter by filter, by
    pattern id within a filter, by input channel within a pattern."""
    ids = np.asarray(ids)
    rows, cols = np.nonzero(ids >= 0)
    perm = np.lexsort((cols, ids[rows, cols], rows))
    return rows[perm], cols[perm]


# ---- FKW --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FKW:
    """The five FKW arrays of one layer (see the module docstring)."""

    offset: np.ndarray  # (O+1,) int32
    reorder: np.ndarray  # (O,) int32
    index: np.ndarray  # (N,) int32
    stride: np.ndarray  # (O, K+1) int32
    weight: np.ndarray  # (N, 4) float32

    @property
    def filters(self) -> int:
        return int(self.reorder.shape[0])

    @property
    def num_patterns(self) -> int:
        return int(self.stride.shape[1]) - 1

    @property
    def kernels(self) -> int:
        return int(self.index.shape[0])

    @property
    def nbytes(self) -> int:
        return sum(
            int(a.nbytes) for a in (self.offset, self.reorder, self.index, self.stride, self.weight)
        )


def _permutation(order: np.ndarray | Sequence[int] | None, n: int) -> np.ndarray:
    if order is None:
        return np.arange(n, dtype=np.int64)
    arr = np.asarray(order, dtype=np.int64)
    if arr.shape != (n,) or not np.array_equal(np.sort(arr), np.arange(n)):
        raise ValueError(f"filter_order must be a permutation of 0..{n - 1}")
    return arr


def pack_fkw(
    ids: np.ndarray,
    values: np.ndarray,
    patterns: Sequence[Sequence[int]] | int,
    filter_order: np.ndarray | Sequence[int] | None = None,
) -> FKW:
    """Pack (ids, values) in FKW, filters in `filter_order` (None: original order).

    `patterns` is the pattern set (or just K, its size): K fixes the width of `stride`.
    """
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    if ids.ndim != 2 or vals.shape != (*ids.shape, PATTERN_SIZE):
        raise ValueError(
            f"ids (O, C) and values (O, C, {PATTERN_SIZE}) do not match: "
            f"{ids.shape} and {vals.shape}"
        )
    k = patterns if isinstance(patterns, int) else len(patterns)
    if ids.size and (ids.min() < -1 or ids.max() >= k):
        raise ValueError(f"ids must be in [-1, {k})")
    o = ids.shape[0]
    order = _permutation(filter_order, o)
    reordered = ids[order].astype(np.int64)
    rows, cols = kernel_order(reordered)
    pats = reordered[rows, cols]
    counts = np.bincount(rows * k + pats, minlength=o * k).reshape(o, k)
    stride = np.zeros((o, k + 1), dtype=np.int32)
    np.cumsum(counts, axis=1, out=stride[:, 1:])
    offset = np.zeros(o + 1, dtype=np.int32)
    np.cumsum(stride[:, k], out=offset[1:])
    return FKW(
        offset=offset,
        reorder=order.astype(np.int32),
        index=cols.astype(np.int32),
        stride=stride,
        weight=np.ascontiguousarray(vals[order[rows], cols]),
    )


def _show(arr: np.ndarray, limit: int = 8) -> str:
    items = [int(v) for v in np.asarray(arr).reshape(-1)[:limit]]
    return f"[{', '.join(map(str, items))}{', ...' if arr.size > limit else ''}]"


def fkw_error(fkw: FKW, in_channels: int) -> str | None:
    """The first FKW rule the arrays break, as a message; None if they are consistent.

    Shared by `unpack_fkw` and the verifier of `pat.fkw_conv2d` (on constant arrays).
    """
    offset, reorder, index, stride, weight = (
        np.asarray(a) for a in (fkw.offset, fkw.reorder, fkw.index, fkw.stride, fkw.weight)
    )
    if reorder.ndim != 1:
        return f"reorder must be 1-D (O), got shape {list(reorder.shape)}"
    o = reorder.shape[0]
    if offset.shape != (o + 1,):
        return f"offset must have O+1 = {o + 1} entries, got shape {list(offset.shape)}"
    if index.ndim != 1:
        return f"index must be 1-D (kept kernels), got shape {list(index.shape)}"
    n = index.shape[0]
    if weight.shape != (n, PATTERN_SIZE):
        return f"weight must be {n} x {PATTERN_SIZE} (kept kernels x 4), got shape {list(weight.shape)}"
    if stride.ndim != 2 or stride.shape[0] != o or stride.shape[1] < 2:
        return f"stride must be {o} x (K+1) (O x (K+1)), got shape {list(stride.shape)}"
    if not np.array_equal(np.sort(reorder.astype(np.int64)), np.arange(o)):
        return f"reorder must be a permutation of 0..{o - 1}, got {_show(reorder)}"
    off = offset.astype(np.int64)
    if off[0] != 0:
        return f"offset must start at 0, got {off[0]}"
    dec = np.flatnonzero(np.diff(off) < 0)
    if dec.size:
        j = int(dec[0])
        return f"offset must be non-decreasing, offset[{j}] = {off[j]} > offset[{j + 1}] = {off[j + 1]}"
    if off[-1] != n:
        return f"offset must end at the number of kept kernels {n}, got {off[-1]}"
    st = stride.astype(np.int64)
    bad = np.flatnonzero(st[:, 0] != 0)
    if bad.size:
        j = int(bad[0])
        return f"stride of filter {j} must start at 0, got {st[j, 0]}"
    dec_rows = np.flatnonzero((np.diff(st, axis=1) < 0).any(axis=1))
    if dec_rows.size:
        j = int(dec_rows[0])
        return f"stride must be non-decreasing within a filter, filter {j} has {_show(st[j])}"
    lengths = np.diff(off)
    bad = np.flatnonzero(st[:, -1] != lengths)
    if bad.size:
        j = int(bad[0])
        return (
            f"stride of filter {j} must end at its kernel count "
            f"offset[{j + 1}] - offset[{j}] = {lengths[j]}, got {st[j, -1]}"
        )
    idx = index.astype(np.int64)
    bad = np.flatnonzero((idx < 0) | (idx >= in_channels))
    if bad.size:
        i = int(bad[0])
        return f"index must be in [0, {in_channels}) (input channels), got {idx[i]} at {i}"
    if n:
        run = _run_ids(off, st)
        bad = np.flatnonzero((np.diff(idx) <= 0) & (run[1:] == run[:-1]))
        if bad.size:
            i = int(bad[0]) + 1
            return (
                f"index must ascend within each pattern run, kernel {i} has channel "
                f"{idx[i]} after {idx[i - 1]}"
            )
        flt = np.repeat(np.arange(o), lengths)
        key = np.sort(flt * max(in_channels, 1) + idx)
        dup = np.flatnonzero(np.diff(key) == 0)
        if dup.size:
            f, c = divmod(int(key[dup[0]]), max(in_channels, 1))
            return f"an input channel appears at most once per filter, filter {f} has channel {c} twice"
    return None


def _run_ids(offset: np.ndarray, stride: np.ndarray) -> np.ndarray:
    """(N,) flat (filter, pattern) run number of every kernel, from consistent arrays."""
    o, k1 = stride.shape
    counts = np.diff(stride, axis=1).reshape(-1)
    return np.repeat(np.arange(o * (k1 - 1)), counts)


def unpack_fkw(fkw: FKW, in_channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Back to (ids (O, C) int8, values (O, C, 4) float32) in the original filter order:
    the exact inverse of `pack_fkw` (raises ValueError on inconsistent arrays)."""
    error = fkw_error(fkw, in_channels)
    if error is not None:
        raise ValueError(f"FKW: {error}")
    o, k = fkw.filters, fkw.num_patterns
    run = _run_ids(np.asarray(fkw.offset, np.int64), np.asarray(fkw.stride, np.int64))
    rows = np.asarray(fkw.reorder, np.int64)[run // k]
    cols = np.asarray(fkw.index, np.int64)
    ids = np.full((o, in_channels), -1, dtype=np.int8)
    values = np.zeros((o, in_channels, PATTERN_SIZE), dtype=np.float32)
    ids[rows, cols] = run % k
    values[rows, cols] = fkw.weight
    return ids, values


# ---- storage ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageBytes:
    """Bytes of one layer's weights in three formats (bias excluded from all three)."""

    dense: int  # O * C * 9 float32
    csr: int  # f32 non-zeros + int32 column index per non-zero + int32 row pointers (O+1)
    fkw: int  # the five FKW arrays


def storage_bytes(ids: np.ndarray, num_patterns: int) -> StorageBytes:
    """Dense, CSR and FKW bytes of a pattern-pruned (O, C) layer.

    CSR views the weight as an O x (C*9) matrix whose non-zeros are the 4 kept weights of
    each kept kernel, with int32 column indices (the index width FKW uses), so the
    comparison measures the format, not the integer width. Only kept counts matter.
    """
    ids = np.asarray(ids)
    o, c = ids.shape
    kept = int((ids >= 0).sum())
    nnz = kept * PATTERN_SIZE
    dense = o * c * KERNEL_POSITIONS * VALUE_BYTES
    csr = nnz * (VALUE_BYTES + INDEX_BYTES) + (o + 1) * INDEX_BYTES
    fkw = INDEX_BYTES * ((o + 1) + o + kept + o * (num_patterns + 1)) + VALUE_BYTES * nnz
    return StorageBytes(dense=dense, csr=csr, fkw=fkw)


def vgg16_storage_table(patterns: int = 8, connectivity: float = 3.6) -> str:
    """Markdown table of dense / CSR / FKW bytes per VGG-16 conv after pattern pruning with K
    `patterns` and `connectivity` pruning (PatDNN's 8x: K = 8, rate 3.6).

    Random weights (`patcc.models.vgg.vgg16`, seed 0): the sizes depend only on the kept
    kernel counts, i.e. on the layer shapes and the rate. size=32 builds a small classifier;
    the conv weights are the same as at 224 (drawn first from the same generator).
    """
    from onnx import numpy_helper

    from patcc.models.vgg import vgg16

    from .plan import ConvWeights, PruneOptions, plan_pruning

    model = vgg16(size=32)
    inits = {t.name: t for t in model.graph.initializer}
    convs = [
        ConvWeights(f"conv{i}", numpy_helper.to_array(inits[node.input[1]]), 1)
        for i, node in enumerate(n for n in model.graph.node if n.op_type == "Conv")
    ]
    options = PruneOptions(patterns=patterns, connectivity=connectivity)
    lines = [
        "| layer | O x C | kept kernels | dense (B) | CSR (B) | FKW (B) | FKW / CSR | dense / FKW |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    totals = np.zeros(3, dtype=np.int64)
    for conv, decision in zip(convs, plan_pruning(convs, options), strict=True):
        o, c = conv.weight.shape[:2]
        if decision.skipped is not None:
            dense = o * c * KERNEL_POSITIONS * VALUE_BYTES
            lines.append(
                f"| {conv.name} | {o} x {c} | dense: {decision.skipped} | {dense:,} | | | | |"
            )
            continue
        assert decision.ids is not None
        size = storage_bytes(decision.ids, len(decision.patterns))
        totals += (size.dense, size.csr, size.fkw)
        kept = int((decision.ids >= 0).sum())
        lines.append(
            f"| {conv.name} | {o} x {c} | {kept:,} | {size.dense:,} | {size.csr:,} | "
            f"{size.fkw:,} | {size.fkw / size.csr:.3f} | {size.dense / size.fkw:.2f} |"
        )
    d, s, f = (int(t) for t in totals)
    lines.append(
        f"| **pruned convs** | | | **{d:,}** | **{s:,}** | **{f:,}** | **{f / s:.3f}** | "
        f"**{d / f:.2f}** |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(vgg16_storage_table())
