"""Export a (pruned) PyTorch model to ONNX for `patcc prune` / the compiler.

The TorchScript exporter (`dynamo=False`) needs nothing beyond torch and onnx (the dynamo
one needs onnxscript), and in eval mode it folds BatchNorm into the conv: zeros stay zeros,
so the pattern structure survives and patcc recognises it without re-pruning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch
from torch import nn


def export_onnx(
    model: nn.Module,
    path: str | Path,
    example_input: torch.Tensor,
    *,
    input_name: str = "input",
    output_name: str = "output",
    opset: int = 17,
) -> onnx.ModelProto:
    """Write `model` (in eval mode, on the CPU) to `path` as ONNX and return the loaded
    model. The batch size is that of `example_input` (patcc compiles static shapes)."""
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter's notice
            torch.onnx.export(
                model,
                (example_input,),
                str(path),
                input_names=[input_name],
                output_names=[output_name],
                opset_version=opset,
                dynamo=False,
            )
    finally:
        model.train(was_training)
    return onnx.load(str(path))
