"""`patcc tune`: measured per-layer schedule search with a persistent log (tuner.py)."""
