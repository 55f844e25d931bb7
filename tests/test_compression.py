"""Pattern and connectivity pruning (patcc.compression): properties checked by brute force.

Weights drawn from small integers make every energy an exact integer, so the brute-force
oracles below can use Python ints and the tie rules are checked exactly; float weights check
the same properties with the library's own (documented) energy sums.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CANDIDATES, pattern_set_strategy
from hypothesis import given, settings
from hypothesis import strategies as st

from patcc.compression.connectivity import (
    drop_empty_kernels,
    kept_kernel_count,
    prune_connectivity,
)
from patcc.compression.patterns import (
    check_pattern_fit,
    dense_from_pattern,
    detect_existing_patterns,
    kept_energy,
    pack_dense,
    pattern_table,
    project_to_patterns,
    select_pattern_set,
)
from patcc.dialects.pat import pattern_set_error

pattern_sets = pattern_set_strategy()


@st.composite
def weights(draw: st.DrawFn, integer: bool | None = None) -> np.ndarray:
    """An OIHW (O, I, 3, 3) float32 weight: small integers (exact energies, many ties) or
    normal floats, with some all-zero kernels and zero entries."""
    o, i = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if integer is None:
        integer = draw(st.booleans())
    if integer:
        w = rng.integers(-2, 3, size=(o, i, 3, 3)).astype(np.float32)
    else:
        w = rng.standard_normal((o, i, 3, 3)).astype(np.float32)
    w[rng.random((o, i)) < 0.2] = 0.0
    return w


def _energy_int(kernel: np.ndarray, pattern: tuple[int, ...]) -> int:
    flat = kernel.reshape(9)
    return sum(int(flat[p]) ** 2 for p in pattern)


# ---- candidates ---------------------------------------------------------------------------


def test_candidates() -> None:
    assert len(CANDIDATES) == 56
    assert list(CANDIDATES) == sorted(CANDIDATES)
    assert len(set(CANDIDATES)) == 56
    assert all(len(p) == 4 and 4 in p and list(p) == sorted(p) for p in CANDIDATES)
    assert pattern_set_error(CANDIDATES) is None


# ---- pattern-set selection -----------------------------------------------------------------


def _select_oracle(kernels: np.ndarray, k: int) -> tuple[tuple[int, ...], ...]:
    """select_pattern_set's rule, in Python ints (for integer-valued kernels)."""
    votes = [0] * 56
    vote_energy = [0] * 56
    total = [0] * 56
    for kernel in kernels.reshape(-1, 3, 3):
        if not kernel.any():
            continue
        energies = [_energy_int(kernel, p) for p in CANDIDATES]
        best = energies.index(max(energies))
        votes[best] += 1
        vote_energy[best] += energies[best]
        total = [t + e for t, e in zip(total, energies, strict=True)]
    voted = sorted(
        (i for i in range(56) if votes[i]), key=lambda i: (-votes[i], -vote_energy[i], i)
    )
    others = sorted((i for i in range(56) if not votes[i]), key=lambda i: (-total[i], i))
    return tuple(CANDIDATES[i] for i in sorted((voted + others)[:k]))


@settings(max_examples=80, deadline=None)
@given(w=weights(integer=True), k=st.integers(1, 56))
def test_select_pattern_set_rule(w: np.ndarray, k: int) -> None:
    chosen = select_pattern_set(w, k)
    assert chosen == _select_oracle(w, k)


@settings(max_examples=80, deadline=None)
@given(w=weights(), k=st.integers(1, 56))
def test_select_pattern_set_is_a_valid_set(w: np.ndarray, k: int) -> None:
    chosen = select_pattern_set(w, k)
    assert len(chosen) == k
    assert pattern_set_error(chosen) is None  # distinct, 4 positions, centre kept
    assert list(chosen) == sorted(chosen)  # canonical order
    assert set(chosen) <= set(CANDIDATES)
    assert select_pattern_set(w.copy(), k) == chosen


def test_select_pattern_set_rejects_bad_k() -> None:
    for k in (0, 57):
        with pytest.raises(ValueError, match=r"k must be in 1\.\.56"):
            select_pattern_set(np.ones((1, 3, 3), np.float32), k)


def test_select_pattern_set_no_kernels() -> None:
    assert select_pattern_set(np.zeros((0, 3, 3), np.float32), 3) == CANDIDATES[:3]
    assert select_pattern_set(np.zeros((4, 3, 3), np.float32), 2) == CANDIDATES[:2]


# ---- projection ---------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(w=weights(), patterns=pattern_sets)
def test_projection_keeps_exactly_the_pattern(w: np.ndarray, patterns: list) -> None:
    ids, values = project_to_patterns(w, patterns)
    assert ids.dtype == np.int8 and ids.shape == w.shape[:2]
    assert values.dtype == np.float32 and values.shape == (*w.shape[:2], 4)
    assert ((ids >= 0) & (ids < len(patterns))).all()  # projection never removes a kernel
    dense = dense_from_pattern(ids, values, patterns)
    flat_w, flat_d = w.reshape(-1, 9), dense.reshape(-1, 9)
    for n, kid in enumerate(ids.reshape(-1)):
        pattern = list(patterns[kid])
        off = [p for p in range(9) if p not in pattern]
        assert not flat_d[n, off].any()  # non-zero only at the pattern's positions
        assert np.array_equal(flat_d[n, pattern], flat_w[n, pattern])  # kept bits unchanged
        assert np.array_equal(values.reshape(-1, 4)[n], flat_w[n, pattern])


@settings(max_examples=100, deadline=None)
@given(w=weights(integer=True), patterns=pattern_sets)
def test_projection_is_optimal_exact(w: np.ndarray, patterns: list) -> None:
    ids, _ = project_to_patterns(w, patterns)
    for kernel, kid in zip(w.reshape(-1, 3, 3), ids.reshape(-1), strict=True):
        energies = [_energy_int(kernel, p) for p in patterns]
        assert kid == energies.index(max(energies))  # the optimum, lowest index on ties


@settings(max_examples=100, deadline=None)
@given(w=weights(integer=False), patterns=pattern_sets)
def test_projection_is_optimal_float(w: np.ndarray, patterns: list) -> None:
    ids, _ = project_to_patterns(w, patterns)
    energy = kept_energy(w.reshape(-1, 9), pattern_table(patterns))  # (K, N)
    chosen = energy[ids.reshape(-1).astype(np.int64), np.arange(energy.shape[1])]
    assert (chosen[None, :] >= energy).all()
    for n, kid in enumerate(ids.reshape(-1)):
        assert not (energy[:kid, n] == chosen[n]).any()  # no lower index ties


def test_projection_of_zero_kernel_is_pattern_zero() -> None:
    ids, values = project_to_patterns(np.zeros((2, 1, 3, 3), np.float32), [(1, 3, 4, 5)])
    assert ids.tolist() == [[0], [0]] and not values.any()


# ---- connectivity -------------------------------------------------------------------------


@st.composite
def packed(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list]:
    patterns = draw(pattern_sets)
    ids, values = project_to_patterns(draw(weights()), patterns)
    if draw(st.booleans()):  # some kernels already removed
        ids, values = drop_empty_kernels(ids, values)
    return ids, values, patterns


rates = st.floats(1.0, 12.0, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(p=packed(), rate=rates)
def test_connectivity_count_and_choice(p: tuple, rate: float) -> None:
    ids, values, _ = p
    out_ids, out_vals = prune_connectivity(ids, values, rate)
    present = ids >= 0
    kept = out_ids >= 0
    assert kept.sum() == min(kept_kernel_count(ids.size, rate), present.sum())
    assert not (kept & ~present).any()  # removed kernels stay removed
    assert np.array_equal(out_ids[kept], ids[kept])  # kept kernels keep pattern and values
    assert np.array_equal(out_vals[kept], values[kept])
    assert not out_vals[~kept].any()
    # every kept kernel is at least as strong as every dropped one; ties -> lower index kept
    norms = np.square(values.astype(np.float64)).sum(axis=-1).reshape(-1)
    kept_f, dropped = kept.reshape(-1), (present & ~kept).reshape(-1)
    if kept_f.any() and dropped.any():
        weakest_kept = norms[kept_f].min()
        assert weakest_kept >= norms[dropped].max()
        tied_kept = np.flatnonzero(kept_f & (norms == weakest_kept))
        tied_dropped = np.flatnonzero(dropped & (norms == weakest_kept))
        if tied_dropped.size:
            assert tied_kept.max() < tied_dropped.min()


@settings(max_examples=100, deadline=None)
@given(p=packed(), rate=rates)
def test_connectivity_is_idempotent(p: tuple, rate: float) -> None:
    ids, values, _ = p
    once = prune_connectivity(ids, values, rate)
    twice = prune_connectivity(*once, rate)
    assert all(np.array_equal(a, b) for a, b in zip(once, twice, strict=True))


def test_kept_kernel_count() -> None:
    assert kept_kernel_count(100, 1.0) == 100
    assert kept_kernel_count(100, 3.6) == 28  # 27.78 -> 28
    assert kept_kernel_count(5, 2.0) == 3  # 2.5 rounds half up
    assert kept_kernel_count(3, 100.0) == 1  # at least one kernel
    assert kept_kernel_count(0, 2.0) == 0
    for bad in (0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="rate"):
            kept_kernel_count(10, bad)


# ---- determinism --------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(w=weights(), k=st.integers(1, 12), rate=rates)
def test_same_input_same_bytes(w: np.ndarray, k: int, rate: float) -> None:
    def run(weight: np.ndarray) -> list[bytes]:
        patterns = select_pattern_set(weight, k)
        ids, values = prune_connectivity(*project_to_patterns(weight, patterns), rate)
        return [
            repr(patterns).encode(),
            ids.tobytes(),
            values.tobytes(),
            dense_from_pattern(ids, values, patterns).tobytes(),
        ]

    assert run(w) == run(w.copy())


# ---- lossless packing of already pruned weights -------------------------------------------


@settings(max_examples=100, deadline=None)
@given(p=packed(), rate=rates)
def test_pack_dense_is_lossless(p: tuple, rate: float) -> None:
    ids, values, patterns = p
    ids, values = prune_connectivity(ids, values, rate)
    dense = dense_from_pattern(ids, values, patterns)
    fit = check_pattern_fit(dense, patterns)
    assert fit.lossless and fit.misfits == 0
    assert fit.empty == int((~dense.reshape(-1, 9).any(axis=1)).sum())
    ids2, values2 = pack_dense(dense, patterns)
    assert np.array_equal(dense_from_pattern(ids2, values2, patterns), dense)
    assert ((ids2 == -1) == ~dense.reshape(*ids.shape, 9).any(axis=-1)).all()
    detected = detect_existing_patterns([dense])
    if dense.any():
        assert detected is not None and pattern_set_error(detected) is None
        ids3, values3 = pack_dense(dense, detected)  # the detected set fits losslessly
        assert np.array_equal(dense_from_pattern(ids3, values3, detected), dense)
    else:
        assert detected is None


def test_detect_finds_the_used_patterns() -> None:
    rng = np.random.default_rng(0)
    patterns = [(0, 1, 3, 4), (1, 4, 7, 8), (4, 5, 6, 8)]
    w = rng.uniform(0.5, 1.0, size=(8, 8, 3, 3)).astype(np.float32)
    ids = rng.integers(-1, 3, size=(8, 8)).astype(np.int8)
    ids[0, :3] = [0, 1, 2]
    values = np.take_along_axis(
        w.reshape(8, 8, 9), np.asarray(patterns)[np.maximum(ids, 0)], axis=-1
    )
    values[ids == -1] = 0
    dense = dense_from_pattern(ids, values, patterns)
    assert detect_existing_patterns([dense, dense[:2]]) == tuple(patterns)
    # a kernel with 2 non-zeros covered by a used pattern adds nothing; one not covered
    # adds the first candidate covering it
    extra = np.zeros((1, 2, 3, 3), np.float32)
    extra[0, 0, 0, 1] = 1.0  # positions {1} + centre: inside (0, 1, 3, 4)
    extra[0, 1, 2, 2] = extra[0, 1, 0, 2] = 1.0  # positions {2, 8} + centre
    assert detect_existing_patterns([dense, extra]) == tuple(sorted([*patterns, (0, 2, 4, 8)]))


def test_detect_rejects_dense_weights() -> None:
    w = np.ones((2, 2, 3, 3), np.float32)
    assert detect_existing_patterns([w]) is None
    fit = check_pattern_fit(w, [(0, 1, 3, 4)])
    assert not fit.lossless and fit.misfits == 4 and fit.first_misfit == (0, 0)
    assert "4 of 4 kernels do not fit" in fit.describe()
    with pytest.raises(ValueError, match="cannot pack losslessly"):
        pack_dense(w, [(0, 1, 3, 4)])
    no_centre = np.zeros((1, 1, 3, 3), np.float32)
    no_centre[0, 0, 0, :] = 1.0
    no_centre[0, 0, 2, 2] = 1.0  # 4 non-zeros, centre not among them: 5 with the centre
    assert detect_existing_patterns([no_centre]) is None


def test_dense_from_pattern_checks() -> None:
    with pytest.raises(ValueError, match="ids must be in"):
        dense_from_pattern(np.array([[1]]), np.zeros((1, 1, 4)), [(0, 1, 3, 4)])
    with pytest.raises(ValueError, match="do not match"):
        dense_from_pattern(np.array([[0]]), np.zeros((1, 2, 4)), [(0, 1, 3, 4)])
    with pytest.raises(ValueError, match="centre"):
        dense_from_pattern(np.array([[0]]), np.zeros((1, 1, 4)), [(0, 1, 2, 3)])


@settings(max_examples=30, deadline=None)
@given(ws=st.lists(weights(), min_size=1, max_size=3), k=st.integers(1, 12))
def test_model_scope_pools_the_kernels(ws: list[np.ndarray], k: int) -> None:
    pooled = np.concatenate([w.reshape(-1, 3, 3) for w in ws])
    assert select_pattern_set(ws, k) == select_pattern_set(pooled, k)
