"""Robust timing on a noisy shared machine: round-robin interleaving and outlier-free medians.

Other processes come and go while a benchmark runs. Timing each contender in its own block
would let a burst of foreign load land on one of them; running them round-robin (a, b, c,
b, c, a, ...: each round starts with the next) spreads any burst over all of them, so their
*ratios* stay fair even when the absolute times drift. Each sample set is then summarised
by its median after dropping the points beyond 1.5 IQR (Tukey's fences): a rare preemption
inflates a sample, never deflates it, and the median of what remains is the steady-state
time.

Between two calls the round-robin pauses (`settle_s`): thread pools keep spinning for a while
after a call returns (OpenBLAS's workers for ~2^28 cycles, about 0.1 s; ONNX Runtime's too),
and on two cores a spinning pool of the previous contender takes the core that the next
one's second thread needs. Measured here: patcc's VGG-16 on 2 threads right after the sgemm
took 121 ms, 88 ms after a pause, 76 ms alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Stats:
    """A sample set in milliseconds, after outlier rejection (`dropped` points removed)."""

    median_ms: float
    iqr_ms: float
    min_ms: float
    samples: int
    dropped: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def robust_stats(seconds: list[float]) -> Stats:
    """Median, IQR and min of the samples inside Tukey's 1.5 IQR fences."""
    if not seconds:
        raise ValueError("no samples")
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    q1, q3 = np.percentile(ms, [25, 75])
    iqr = q3 - q1
    kept = ms[(ms >= q1 - 1.5 * iqr) & (ms <= q3 + 1.5 * iqr)]
    if kept.size == 0:  # cannot happen with real numbers; keep the median defined anyway
        kept = ms
    k1, k3 = np.percentile(kept, [25, 75])
    return Stats(
        median_ms=float(np.median(kept)),
        iqr_ms=float(k3 - k1),
        min_ms=float(kept.min()),
        samples=int(ms.size),
        dropped=int(ms.size - kept.size),
    )


def time_call(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleave(
    runners: Mapping[str, Callable[[], object]],
    repeat: int,
    *,
    warmup: int = 1,
    budget_s: float | None = None,
    min_repeat: int = 3,
    settle_s: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    timers: Mapping[str, Callable[[], float]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each runner, `repeat` rounds of one call each in turn, after
    `warmup` untimed rounds (first-call allocation, page faults, thread-pool start), with a
    pause of `settle_s` before every timed call (the module docstring says why).
    With `budget_s`, rounds stop once the budget is spent and `min_repeat` rounds are done.
    Each round starts with the next runner (a b c, b c a, c a b, ...), so that no runner
    always follows the same one: in a fixed order the first of two copies of one model
    read ~5 % slower per layer (scripts/layer_profile.py, docs/performance.md).
    A runner named in `timers` is timed by its timer instead, which runs it once and
    returns the seconds it measured itself (a peer in another process)."""
    timers = timers or {}
    for _ in range(warmup):
        for fn in runners.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in runners}
    order = list(runners.items())
    start = time.perf_counter()
    for done in range(repeat):
        turn = done % len(order)
        for name, fn in order[turn:] + order[:turn]:
            time.sleep(settle_s)
            samples[name].append(timers[name]() if name in timers else time_call(fn))
        if progress is not None:
            progress(done + 1, repeat)
        over = budget_s is not None and time.perf_counter() - start > budget_s
        if over and done + 1 >= min_repeat:
            break
    return samples
