"""Block pruning (`PruneOptions.block`, CoCoPIE's block-based pattern pruning): the filters of
a block share one pattern per input channel and are removed per (block, channel) unit.

Small-integer weights make every energy and norm an exact integer, so the brute-force oracle
below (Python ints, plain loops) checks the choices and the tie rules exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CANDIDATES, pattern_set_strategy
from hypothesis import given, settings
from hypothesis import strategies as st

from patcc.compression.blocks import block_sizes
from patcc.compression.connectivity import kept_kernel_count
from patcc.compression.patterns import (
    dense_from_pattern,
    detect_block_size,
    detect_existing_patterns,
    pack_dense,
)
from patcc.compression.plan import PruneOptions, prune_layer
from patcc.errors import PatccError

pattern_sets = pattern_set_strategy(12)
rates = st.floats(1.0, 8.0, allow_nan=False)


@st.composite
def weights(draw: st.DrawFn, integer: bool | None = None) -> np.ndarray:
    """OIHW (O, I, 3, 3) float32: O up to 11 (blocks that do not divide O), zero kernels."""
    o, i = draw(st.integers(1, 11)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()) if integer is None else integer:
        w = rng.integers(-2, 3, size=(o, i, 3, 3)).astype(np.float32)
    else:
        w = rng.standard_normal((o, i, 3, 3)).astype(np.float32)
    w[rng.random((o, i)) < 0.2] = 0.0
    return w


def _units(o: int, block: int) -> list[range]:
    return [range(b, min(b + block, o)) for b in range(0, o, block)]


def _oracle(w: np.ndarray, patterns: list, rate: float, block: int) -> tuple:
    """prune_layer by the definition, on integer weights: per unit the pattern of most
    summed kept energy (ties -> lower id); units by descending norm (ties -> lower index),
    the prefix whose kernel count is closest to kept_kernel_count (ties -> larger, >= 1);
    zero units removed."""
    o, i = w.shape[:2]
    flat = w.reshape(o, i, 9).astype(np.int64)
    ids = np.full((o, i), -1, np.int8)
    vals = np.zeros((o, i, 4), np.float32)
    scored = []
    for u, filters in enumerate(_units(o, block)):
        for c in range(i):
            energy = [
                sum(int(flat[f, c, p]) ** 2 for f in filters for p in pat) for pat in patterns
            ]
            best = energy.index(max(energy))
            scored.append((-max(energy), u * i + c, filters, c, best))
    target, count, chosen = kept_kernel_count(o * i, rate), 0, []
    best_prefix = []
    for _, _, filters, c, best in sorted(scored):
        if abs(count + len(filters) - target) > abs(count - target) and chosen:
            break  # counts only grow: the closest prefix is behind us (ties -> longer)
        count += len(filters)
        chosen.append((filters, c, best))
        best_prefix = list(chosen)
    for filters, c, best in best_prefix:
        kept = flat[list(filters), c][:, list(patterns[best])]
        if kept.any():
            ids[list(filters), c] = best
            vals[list(filters), c] = kept
    return ids, vals


def _uniform_per_block(ids: np.ndarray, block: int) -> bool:
    return all((ids[list(f)] == ids[f[0]]).all() for f in _units(ids.shape[0], block))


@settings(max_examples=120, deadline=None)
@given(w=weights(integer=True), patterns=pattern_sets, rate=rates, block=st.integers(1, 5))
def test_prune_layer_matches_the_oracle(w: np.ndarray, patterns: list, rate: float, block: int):
    """Exact choices at every block size; block = 1 is the per-kernel rule of PatDNN."""
    ids, vals, _ = prune_layer(w, tuple(patterns), rate, block)
    want_ids, want_vals = _oracle(w, patterns, rate, block)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(vals, want_vals)


@settings(max_examples=120, deadline=None)
@given(w=weights(), patterns=pattern_sets, rate=rates, block=st.integers(1, 9))
def test_block_invariant_and_idempotence(w: np.ndarray, patterns: list, rate: float, block: int):
    """ids rows identical within each block, and pruning a pruned weight changes nothing."""
    ids, vals, _ = prune_layer(w, tuple(patterns), rate, block)
    assert _uniform_per_block(ids, block)
    dense = dense_from_pattern(ids, vals, patterns)
    ids2, vals2, lossless = prune_layer(dense, tuple(patterns), rate, block)
    assert lossless
    np.testing.assert_array_equal(ids2, ids)
    np.testing.assert_array_equal(vals2, vals)


@settings(max_examples=80, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 20), st.integers(1, 6)),
    seed=st.integers(0, 2**32 - 1),
    rate=rates,
    block=st.integers(1, 8),
)
def test_kept_count_is_today_rounded_to_units(shape: tuple, seed: int, rate: float, block: int):
    o, i = shape
    w = np.random.default_rng(seed).uniform(0.5, 1.5, (o, i, 3, 3)).astype(np.float32)
    ids, _, _ = prune_layer(w, ((0, 1, 3, 4),), rate, block)
    kept, target = int((ids >= 0).sum()), kept_kernel_count(o * i, rate)
    biggest = int(block_sizes(o, block).max())
    # within half a unit of today's count, or the single unit a layer keeps at least
    assert abs(kept - target) <= biggest / 2 or (kept <= biggest and kept > target)
    if block == 1:
        assert kept == target


def test_block_one_is_the_default_and_bad_blocks_are_errors() -> None:
    assert PruneOptions().block == 1
    for bad in (0, -4, 2.0, True):
        with pytest.raises(PatccError, match="block"):
            PruneOptions(block=bad).check()  # type: ignore[arg-type]


def test_ambiguous_support_takes_its_block_mates_pattern() -> None:
    """Filter 0 has non-zeros at {1, 4, 5}: patterns 0 and 1 both hold them; its block mate
    uses pattern 1. Per kernel the lower id wins (0); per block both get 1."""
    patterns = ((0, 1, 4, 5), (1, 4, 5, 8))
    w = np.zeros((2, 1, 9), np.float32)
    w[0, 0, [1, 4, 5]] = 1.0
    w[1, 0, [1, 4, 5, 8]] = 2.0
    w = w.reshape(2, 1, 3, 3)
    assert pack_dense(w, patterns)[0].ravel().tolist() == [0, 1]
    ids, vals = pack_dense(w, patterns, block=2)
    assert ids.ravel().tolist() == [1, 1]
    np.testing.assert_array_equal(dense_from_pattern(ids, vals, patterns), w)
    assert detect_existing_patterns([w], block=2) == ((1, 4, 5, 8),)
    assert detect_block_size([w]) == 2


def test_detect_block_size() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((24, 64, 3, 3)).astype(np.float32)
    patterns = tuple(CANDIDATES[::7])
    for block in (1, 2, 3, 4, 5, 6, 8, 12):
        ids, vals, _ = prune_layer(w, patterns, 3.6, block)
        assert detect_block_size([dense_from_pattern(ids, vals, patterns)]) == block
    assert detect_block_size([w]) == 1  # dense
