"""ADMM pattern/connectivity pruning for PyTorch models (the optional extra `patcc[train]`).

Train with `ADMMPruner` in your own loop (or its `fit`), export with `export_onnx`, then
compile with patcc: the exported weights already satisfy the constraint, bit for bit. The
core `patcc` package never imports this (nor torch).
"""

from patcc.train.admm import ADMMPruner, train_epoch
from patcc.train.export import export_onnx

__all__ = ["ADMMPruner", "export_onnx", "train_epoch"]
