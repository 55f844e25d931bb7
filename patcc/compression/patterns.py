"""Pattern pruning of 3x3 kernels: candidates, pattern-set selection, projection, packing.

Plain numpy, deterministic bit for bit: every reduction has a fixed order (float64 sums of
float32 squares, summed in ascending position order, chunked by a fixed chunk size), every
tie has a stated winner, no BLAS call decides anything (BLAS may reorder sums by threads).

Conventions (the same as the `pat` dialect, `patcc.dialects.pat`):
- a kernel position is 0..8, row-major; the centre is 4;
- a pattern is 4 ascending positions including the centre; a pattern set is a tuple of them,
  and a kernel's id is its pattern's index in the set, -1 for a removed kernel;
- weights are OIHW (O, I, 3, 3); packed form is ids (O, I) int8 and values (O, I, 4) float32,
  the kept weights in the pattern's position order, zeros for a removed kernel.

"Kept energy" of a kernel under a pattern is the sum of the squares of the weights the
pattern keeps; maximising it minimises the Euclidean projection error.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from patcc.dialects.pat.attributes import (
    CENTRE,
    KERNEL_POSITIONS,
    MAX_PATTERNS,
    PATTERN_SIZE,
    PatternSet,
    pattern_set_error,
)

from .blocks import check_block, per_block, to_filters

# Kernels per chunk: bounds the working memory (~6 MB) and fixes the summation order of the
# per-pattern totals (chunk by chunk), whatever the layer size.
CHUNK = 65536


def candidate_patterns() -> PatternSet:
    """All 56 patterns (4 of 9 positions, centre kept), in lexicographic order."""
    return tuple(c for c in itertools.combinations(range(KERNEL_POSITIONS), 4) if CENTRE in c)


def pattern_table(patterns: Sequence[Sequence[int]]) -> np.ndarray:
    """(K, 4) int64 positions of a checked pattern set (raises ValueError if ill-formed)."""
    error = pattern_set_error(patterns)
    if error is not None:
        raise ValueError(f"pattern set: {error}")
    return np.asarray(patterns, dtype=np.int64).reshape(len(patterns), PATTERN_SIZE)


def _as_kernels(kernels: np.ndarray) -> np.ndarray:
    """(N, 9) float32 view of (..., 3, 3) kernels."""
    arr = np.asarray(kernels, dtype=np.float32)
    if arr.shape[-2:] != (3, 3):
        raise ValueError(f"expected 3x3 kernels (..., 3, 3), got shape {arr.shape}")
    return arr.reshape(-1, KERNEL_POSITIONS)


def _chunks(n: int) -> Iterator[slice]:
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))


def kept_energy(kernels: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(K, N) float64: kept energy of each of N (N, 9) kernels under each of K patterns.

    float64 squares of float32 weights are exact; the 4 are summed in the pattern's position
    order, so the result is the same on every machine. The reference for tests: the pruning
    functions compute the same sums pattern by pattern (`_scan`).
    """
    sq = np.square(kernels.astype(np.float64)).T  # (9, N)
    energy = sq[table[:, 0]]
    for j in range(1, PATTERN_SIZE):
        energy += sq[table[:, j]]
    return energy


def _scan(kernels: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the patterns for (N, 9) kernels: per kernel the first pattern of maximal
    kept energy (strict > keeps the lowest index on ties) and that energy; per pattern the
    energy it keeps summed over the kernels.

    Pattern by pattern on contiguous (N,) rows, never the (K, N) table: cache-friendly, and
    each energy is summed in the same order as `kept_energy`, so they agree bit for bit.
    """
    return _scan_squares(np.ascontiguousarray(np.square(kernels.astype(np.float64)).T), table)


def _scan_squares(sq: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_scan` on (9, N) float64 squared weights (a kernel's, or a unit's summed)."""
    n = sq.shape[1]
    best = np.zeros(n, dtype=np.int64)
    best_energy = np.full(n, -1.0)
    totals = np.empty(len(table), dtype=np.float64)
    energy = np.empty(n, dtype=np.float64)
    better = np.empty(n, dtype=bool)
    for p, positions in enumerate(table):
        np.add(sq[positions[0]], sq[positions[1]], out=energy)
        for j in positions[2:]:
            energy += sq[j]
        totals[p] = energy.sum()
        np.greater(energy, best_energy, out=better)
        best[better] = p
        np.maximum(energy, best_energy, out=best_energy)
    return best, best_energy, totals


def _best_by_chunks(
    n: int, squares: Callable[[slice], np.ndarray], table: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per item of n: index of the pattern keeping the most energy (ties -> lowest index)
    and that energy; `squares(s)` gives the (len, 9) float64 squared weights of the items
    of chunk s (CHUNK at a time: bounded working memory, fixed summation order)."""
    best = np.empty(n, dtype=np.int64)
    energy = np.empty(n, dtype=np.float64)
    for s in _chunks(n):
        best[s], energy[s], _ = _scan_squares(np.ascontiguousarray(squares(s).T), table)
    return best, energy


def best_patterns(kernels: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (N, 9) kernel: index of the pattern keeping the most energy (ties -> lowest
    index) and that energy."""
    return _best_by_chunks(len(kernels), lambda s: np.square(kernels[s].astype(np.float64)), table)


def best_block_patterns(
    weight: np.ndarray, table: np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (block, input channel) of an OIHW 3x3 weight: index of the pattern keeping
    the most energy summed over the block's filters (ties -> lowest index) and that energy,
    each (B, I). The squares are summed over the filters in filter order, then over the
    pattern's positions, so the choice is deterministic bit for bit."""
    w = np.asarray(weight, dtype=np.float32)
    squares = per_block(np.add, np.square(w.reshape(*w.shape[:2], -1).astype(np.float64)), block)
    flat = squares.reshape(-1, KERNEL_POSITIONS)
    best, energy = _best_by_chunks(len(flat), lambda s: flat[s], table)
    return best.reshape(squares.shape[:2]), energy.reshape(squares.shape[:2])


def select_pattern_set(kernels: np.ndarray | Sequence[np.ndarray], k: int) -> PatternSet:
    """The K patterns that best fit the given (..., 3, 3) kernels (or a list of such arrays).

    Each non-zero kernel votes for its best candidate (most kept energy, ties -> lowest
    candidate index); all-zero kernels (already removed) do not vote. The set is the K
    candidates with the most votes, ties broken by the total kept energy of their votes, then
    by candidate order. If fewer than K candidates get votes, the rest are the non-voted
    candidates with the most kept energy summed over all kernels, then by candidate order.
    Returned in candidate (lexicographic) order, so the set is canonical.

    Pass the weights of all eligible convs for a model-wide set, or one conv's weight for a
    per-layer set.
    """
    cands = candidate_patterns()
    if not 1 <= k <= MAX_PATTERNS:
        raise ValueError(f"pattern set size k must be in 1..{MAX_PATTERNS}, got {k}")
    table = np.asarray(cands, dtype=np.int64)
    if isinstance(kernels, np.ndarray):
        flat = _as_kernels(kernels)
    else:
        parts = [_as_kernels(w) for w in kernels]
        flat = np.concatenate(parts) if parts else np.zeros((0, KERNEL_POSITIONS), np.float32)
    nonzero = flat.any(axis=1)
    voters = flat[nonzero]
    votes = np.zeros(len(cands), dtype=np.int64)
    vote_energy = np.zeros(len(cands), dtype=np.float64)
    total = np.zeros(len(cands), dtype=np.float64)
    for s in _chunks(len(voters)):
        best, energy, totals = _scan(voters[s], table)
        votes += np.bincount(best, minlength=len(cands))
        vote_energy += np.bincount(best, weights=energy, minlength=len(cands))
        total += totals
    voted = votes > 0
    # lexsort: last key is primary. Order: voted first; more votes; more vote energy;
    # (non-voted only) more total energy; lower candidate index.
    order = np.lexsort(
        (
            np.arange(len(cands)),
            -np.where(voted, 0.0, total),
            -vote_energy,
            -votes,
            ~voted,
        )
    )
    chosen = np.sort(order[:k])
    return tuple(cands[i] for i in chosen)


def project_to_patterns(
    weight: np.ndarray, patterns: Sequence[Sequence[int]], block: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Prune every kernel of an OIHW (O, I, 3, 3) weight to its best pattern of the set;
    with `block` > 1 every unit (`blocks`) to one pattern, the best for the unit's filters
    together (each filter keeps its own weights at that pattern's positions).

    Returns ids (O, I) int8 and values (O, I, 4) float32. The choice is the exact optimum
    within the set: most kept energy, ties -> lowest pattern index. Never returns -1: an
    all-zero kernel gets pattern 0 (every pattern ties) with zero values; removing kernels is
    connectivity pruning's job (`patcc.compression.connectivity`), and lossless packing of
    an already pruned weight (`pack_dense`) marks all-zero kernels -1.
    """
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 4 or w.shape[2:] != (3, 3):
        raise ValueError(f"expected an OIHW weight with 3x3 kernels, got shape {w.shape}")
    check_block(block)
    o, i = w.shape[:2]
    table = pattern_table(patterns)
    flat = w.reshape(-1, KERNEL_POSITIONS)
    if block == 1:
        best, _ = best_patterns(flat, table)
    else:
        best = to_filters(best_block_patterns(w, table, block)[0], o, block).reshape(-1)
    values = np.take_along_axis(flat, table[best], axis=1)
    return best.astype(np.int8).reshape(o, i), values.reshape(o, i, PATTERN_SIZE)


def dense_from_pattern(
    ids: np.ndarray, values: np.ndarray, patterns: Sequence[Sequence[int]]
) -> np.ndarray:
    """Unpack (ids, values) to the OIHW (O, I, 3, 3) float32 weight they stand for.

    Removed kernels (id -1) are zero whatever their values hold.
    """
    ids = np.asarray(ids)
    vals = np.asarray(values, dtype=np.float32)
    if ids.ndim != 2 or vals.shape != (*ids.shape, PATTERN_SIZE):
        raise ValueError(
            f"ids (O, I) and values (O, I, {PATTERN_SIZE}) do not match: "
            f"{ids.shape} and {vals.shape}"
        )
    table = pattern_table(patterns)
    flat_ids = ids.reshape(-1).astype(np.int64)
    if flat_ids.size and (flat_ids.min() < -1 or flat_ids.max() >= len(table)):
        raise ValueError(f"ids must be in [-1, {len(table)})")
    kept = np.flatnonzero(flat_ids >= 0)
    out = np.zeros((flat_ids.size, KERNEL_POSITIONS), dtype=np.float32)
    out[kept[:, None], table[flat_ids[kept]]] = vals.reshape(-1, PATTERN_SIZE)[kept]
    return out.reshape(*ids.shape, 3, 3)


@dataclass(frozen=True)
class PatternFit:
    """How an already sparse weight fits a pattern set (see `check_pattern_fit`)."""

    kernels: int
    empty: int  # all-zero kernels (packed as removed, id -1)
    misfits: int  # kernels with a non-zero weight outside every pattern of the set
    first_misfit: tuple[int, int] | None  # (o, i) of the first misfit, row-major

    @property
    def lossless(self) -> bool:
        return self.misfits == 0

    def describe(self) -> str:
        if self.lossless:
            return (
                f"all {self.kernels} kernels fit the pattern set "
                f"({self.empty} empty kernels become removed)"
            )
        return (
            f"{self.misfits} of {self.kernels} kernels do not fit the pattern set "
            f"(first: kernel {list(self.first_misfit or ())})"
        )


def _supports(weight: np.ndarray, block: int = 1) -> np.ndarray:
    """(O*I,) int64 9-bit masks of each kernel's non-zero positions; with `block` > 1 each
    kernel gets its unit's (the union over the block's filters)."""
    w = np.asarray(weight)
    flat = _as_kernels(w) != 0
    masks = flat.astype(np.int64) @ (1 << np.arange(KERNEL_POSITIONS, dtype=np.int64))
    if block == 1 or w.ndim != 4:
        return masks
    units = per_block(np.bitwise_or, masks.reshape(w.shape[:2]), block)
    return to_filters(units, w.shape[0], block).reshape(-1)


def _masks(table: np.ndarray) -> np.ndarray:
    return (1 << table).sum(axis=1)


def check_pattern_fit(
    weight: np.ndarray, patterns: Sequence[Sequence[int]], block: int = 1
) -> PatternFit:
    """Whether every kernel of an OIHW weight is all-zero or has its non-zeros inside one
    pattern of the set (with `block` > 1: every unit, its filters together), i.e. whether
    `pack_dense` can convert it without losing a weight."""
    check_block(block)
    support = _supports(weight, block)
    masks = _masks(pattern_table(patterns))
    fits = ((support[:, None] & ~masks[None, :]) == 0).any(axis=1)
    bad = np.flatnonzero(~fits)
    first = None
    if bad.size:
        i = np.asarray(weight).shape[1]
        first = (int(bad[0] // i), int(bad[0] % i))
    return PatternFit(
        kernels=int(support.size),
        empty=int((support == 0).sum()),
        misfits=int(bad.size),
        first_misfit=first,
    )


def pack_dense(
    weight: np.ndarray, patterns: Sequence[Sequence[int]], block: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Lossless packing of an already pattern-pruned OIHW weight: all-zero kernels -> -1,
    every other kernel -> the lowest-index pattern holding all its non-zeros (what
    `project_to_patterns` picks, since that pattern keeps all the energy). With `block` > 1
    the same per unit: a block's filters get one id per input channel even where a filter's
    own non-zeros would fit several patterns; a zero kernel inside a non-zero unit keeps it.

    `dense_from_pattern(*pack_dense(w, p, b), p)` equals w; raises ValueError if a kernel
    (unit) does not fit (see `check_pattern_fit`).
    """
    fit = check_pattern_fit(weight, patterns, block)
    if not fit.lossless:
        raise ValueError(f"cannot pack losslessly: {fit.describe()}")
    return pack_fitting(weight, patterns, block)


def pack_fitting(
    weight: np.ndarray, patterns: Sequence[Sequence[int]], block: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """`pack_dense` of a weight known to fit (`check_pattern_fit`), without checking again.
    Each kernel's (unit's) support picks the pattern by table lookup: at most 512 distinct
    supports, against the energy scan of `project_to_patterns` over every kernel and
    pattern (a third of compiling an already pruned VGG-16's prune-patterns)."""
    w = np.asarray(weight, dtype=np.float32)
    o, i = w.shape[:2]
    table = pattern_table(patterns)
    masks = _masks(table)
    support = _supports(w, block)
    first = np.full(1 << KERNEL_POSITIONS, -1, dtype=np.int64)
    for m in _distinct_masks(support):  # the lowest-index pattern holding the support
        covering = np.flatnonzero((int(m) & ~masks) == 0)
        first[m] = covering[0] if m and covering.size else -1
    ids = first[support]
    flat = w.reshape(-1, KERNEL_POSITIONS)
    values = np.take_along_axis(flat, table[np.maximum(ids, 0)], axis=1)
    values[ids < 0] = 0.0
    return ids.astype(np.int8).reshape(o, i), values.reshape(o, i, PATTERN_SIZE)


def _distinct_masks(masks: np.ndarray) -> np.ndarray:
    """The distinct 9-bit masks, ascending (np.unique without sorting 10^6 entries)."""
    return np.flatnonzero(np.bincount(masks, minlength=1 << KERNEL_POSITIONS))


def detect_existing_patterns(weights: Sequence[np.ndarray], block: int = 1) -> PatternSet | None:
    """The pattern set an already pattern-pruned model uses, or None if it is not one.

    A model qualifies when every kernel of the given 3x3 weights (OIHW) is all-zero or has
    its non-zeros inside a pattern (at most 4 positions, together with the centre). The set
    holds every full 4-position support in use; a kernel with fewer non-zeros that no such
    support covers adds the first candidate (lexicographic) covering it, taken in ascending
    order of the uncovered supports' masks. Returned in candidate order; its size may exceed
    the K a user asked for, which the caller checks. With `block` > 1 the supports are the
    units' (`blocks`), so the set packs a block-pruned model one pattern per unit.
    """
    if not weights:
        return None
    check_block(block)
    support = _distinct_masks(np.concatenate([_supports(w, block) for w in weights]))
    support = support[support != 0]
    with_centre = support | (1 << CENTRE)
    if np.any([bin(int(m)).count("1") > PATTERN_SIZE for m in with_centre]):
        return None
    cands = candidate_patterns()
    cand_masks = _masks(np.asarray(cands, dtype=np.int64))
    used = np.isin(cand_masks, with_centre)
    for m in np.sort(with_centre):
        covering = (m & ~cand_masks) == 0
        if not (covering & used).any():
            used[np.argmax(covering)] = True
    if not used.any():
        return None
    return tuple(cands[i] for i in np.flatnonzero(used))


BLOCK_SIZES = tuple(range(16, 1, -1))
"""The block sizes `detect_pruning` tries, largest first: any up to 16, so that a model pruned
in blocks of 3, 6 or 12 comes back as such (the lowering runs blocks in sub-groups of 4 or
near it, `patcc.lowering.shared_groups`), not per kernel."""


def detect_pruning(weights: Sequence[np.ndarray]) -> tuple[PatternSet, int] | None:
    """(pattern set, block size) of an already pattern-pruned model, or None if it is not
    one: the largest block size of `BLOCK_SIZES` (else 1) at which every unit of the given
    OIHW 3x3 weights fits a pattern, i.e. the granularity the model was (at least) pruned
    at, and the set packing it at that block (`detect_existing_patterns`). Blocks larger
    than every layer's filter count are not tried: one unit per channel proves nothing. A
    larger block than the model was pruned with can only be found when its units fit too,
    and then ids are identical within the smaller blocks as well. Each size is tried on the
    smallest layer first, which rejects most sizes in a fraction of the whole check."""
    per_kernel = detect_existing_patterns(weights)
    if per_kernel is None:
        return None
    arrays = [np.asarray(w) for w in weights]
    filters = max((w.shape[0] for w in arrays), default=0)
    smallest = [min(arrays, key=lambda w: w.size)]
    for block in BLOCK_SIZES:
        if block > filters or detect_existing_patterns(smallest, block) is None:
            continue
        found = detect_existing_patterns(arrays, block)
        if found is not None:
            return found, block
    return per_kernel, 1


def detect_block_size(weights: Sequence[np.ndarray]) -> int:
    """The block size `detect_pruning` finds (1 also for weights not pattern-pruned)."""
    found = detect_pruning(weights)
    return 1 if found is None else found[1]
