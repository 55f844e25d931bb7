"""Shared helpers: ONNX Runtime as the oracle, the shared tolerance rule, random inputs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx
import pytest

TOLERANCE = 1e-4


def model_inputs(model: onnx.ModelProto, seed: int = 1) -> dict[str, np.ndarray]:
    """Standard-normal float32 values for every (static) graph input that is no initializer."""
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    out: dict[str, np.ndarray] = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        out[inp.name] = rng.standard_normal(shape, dtype=np.float32)
    return out


def run_ort(model: onnx.ModelProto, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The reference: outputs of ONNX Runtime (CPU), keyed by graph output name."""
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in model.graph.output]
    return dict(zip(names, session.run(names, dict(inputs)), strict=True))


def assert_close(actual: np.ndarray, expected: np.ndarray, tol: float = TOLERANCE) -> None:
    """max|diff| <= tol * max(1, max|expected|): relative to the output's magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    diff = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    assert diff <= tol * scale, f"max|diff| = {diff:.3g} > {tol:g} * {scale:.3g}"


def assert_outputs_close(
    actual: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray]
) -> None:
    assert set(actual) == set(expected), f"outputs {sorted(actual)} != {sorted(expected)}"
    for name in expected:
        assert_close(actual[name], expected[name])
