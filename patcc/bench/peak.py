"""The machine's practical FMA peak, measured: numpy's sgemm (OpenBLAS) per thread count.

A datasheet peak assumes a clock the shared, throttled cores rarely hold; a tuned sgemm is
the best FP32 throughput anyone gets on this machine right now, so "fraction of peak" says how
much of the reachable speed a kernel takes. The best of a few runs is the peak (contention
only ever slows a run down). threadpoolctl limits OpenBLAS's threads for each count.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

SIZE = 1536  # 7.2 GFLOP a product: long enough to time, short enough to repeat


def sgemm_gflops(threads: int, size: int = SIZE, repeat: int = 5) -> float:
    """Best GFLOP/s of a float32 `size`^3 matrix product on `threads` OpenBLAS threads."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)
    best = float("inf")
    with threadpool_limits(limits=threads, user_api="blas"):
        np.matmul(a, b, out=out)  # warm-up: thread start, page faults
        for _ in range(repeat):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def sgemm_runner(threads: int, size: int = SIZE) -> tuple[Callable[[], object], float]:
    """One sgemm on `threads` threads as a contender of the round-robin, and its FLOPs: the
    peak then comes from the same minutes, under the same foreign load, as the models."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty((size, size), dtype=np.float32)

    def run() -> object:
        with threadpool_limits(limits=threads, user_api="blas"):
            return np.matmul(a, b, out=out)

    return run, 2.0 * size**3
