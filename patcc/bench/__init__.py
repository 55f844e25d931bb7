"""`patcc bench`: patcc against dense frameworks on the same pruned model (see run.py)."""

from patcc.bench.run import BenchOptions, bench

__all__ = ["BenchOptions", "bench"]
