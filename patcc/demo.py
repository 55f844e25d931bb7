"""`patcc demo` / `make demo`: the main job on the built-in VGG-16, end to end and checked.

Builds VGG-16 with seeded random weights, imports it, prints the per-layer table read from
the IR, runs patcc's interpreter and ONNX Runtime on the same random input and compares
them; then prunes it (8 patterns, connectivity 3.6), prints the pruning report and checks
the pattern-level IR against ONNX Runtime on the pruned model. Exit code 0 on PASS, 1 on
FAIL (a user mistake, e.g. a bad size, is a PatccError: 2).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import onnx

from patcc.errors import PatccError

# The pass criterion shared with the test suite: max|diff| <= TOLERANCE * max(1, max|ref|).
TOLERANCE = 1e-4
SEED = 0

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def _seconds(t: float) -> str:
    return f"{t * 1e3:.0f} ms" if t < 1 else f"{t:.2f} s"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def compare(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float, bool]:
    """(max|diff|, max|ref|, passed) under the shared tolerance rule."""
    if actual.shape != expected.shape:
        return float("inf"), float(np.max(np.abs(expected), initial=0.0)), False
    diff = float(np.max(np.abs(actual.astype(np.float64) - expected), initial=0.0))
    scale = float(np.max(np.abs(expected), initial=0.0))
    ok = bool(np.isfinite(diff)) and diff <= TOLERANCE * max(1.0, scale)
    return diff, scale, ok


def run_demo(size: int = 224) -> int:
    """Build, import, tabulate, interpret and check VGG-16 at `size` x `size`."""
    from patcc.frontend import import_model
    from patcc.models import vgg16
    from patcc.report import format_table, layer_table
    from patcc.semantics import run_function

    if size < 32:
        raise PatccError(f"--size {size}: VGG-16 has 5 2x2 pools, the size must be >= 32")
    print(f"patcc demo: VGG-16, input 1x3x{size}x{size}, random weights (seed {SEED})\n")

    model, t_build = _timed(lambda: vgg16(size=size, seed=SEED))
    n_weights = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(
        f"built the ONNX model: {len(model.graph.node)} nodes, {n_weights:,} weights "
        f"({_seconds(t_build)})"
    )
    module, t_import = _timed(lambda: import_model(model))
    print(f"imported it into nn IR ({_seconds(t_import)})\n")
    print(format_table(layer_table(module)))
    print()

    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((1, 3, size, size), dtype=np.float32)
    outputs, t_interp = _timed(lambda: run_function(module, {"input": x}))
    (name, ours), *_ = outputs.items()
    print(f"patcc interpreter (numpy): {_seconds(t_interp)} (one run)")

    try:
        import onnxruntime as ort
    except ImportError:
        print(
            "onnxruntime is not installed (it comes with the dev extra: pip install -e '.[dev]'): "
            "comparison skipped"
        )
        return 0
    ref, t_session, t_ort = _run_onnxruntime(model, x)
    label = f"onnxruntime {ort.__version__}:"
    print(
        f"{label:27s}{_seconds(t_ort)} (a warm run, default threads on {os.cpu_count()} cores; "
        f"session set-up {_seconds(t_session)})"
    )

    ok = _report_check(name, ours, ref)

    print("\n== pattern pruning: K = 8 patterns, connectivity rate 3.6 ==\n")
    pruned_ok = _prune_and_check(model, x)
    print("\nPASS" if ok and pruned_ok else "\nFAIL")
    return 0 if ok and pruned_ok else 1


def _report_check(name: str, ours: np.ndarray, ref: np.ndarray) -> bool:
    diff, scale, ok = compare(ours, ref)
    rel = diff / scale if scale > 0 else diff
    print(
        f"output '{name}' {_shape_text(ours.shape)}: max|patcc - onnxruntime| = {diff:.3g}, "
        f"max|onnxruntime| = {scale:.3g}, relative {rel:.3g}"
    )
    print(f"tolerance: max|diff| <= {TOLERANCE:g} * max(1, max|onnxruntime|)")
    if ours.shape == ref.shape and ours.ndim == 2:
        print(f"top-1 class: patcc {int(np.argmax(ours[0]))}, onnxruntime {int(np.argmax(ref[0]))}")
    print("match" if ok else "MISMATCH")
    return ok


def _prune_and_check(model: onnx.ModelProto, x: np.ndarray) -> bool:
    """Prune the ONNX weights, show the report, and check patcc's pattern-level IR (the
    pruned model imported, its patterns recognised losslessly) against ONNX Runtime."""
    from patcc.compression.onnx_prune import prune_with_report
    from patcc.compression.plan import PruneOptions
    from patcc.compression.prune_report import format_prune_report
    from patcc.dialects.pat.conv import PatConv2dOp
    from patcc.frontend import import_model, make_context
    from patcc.passes.prune_patterns import PrunePatternsPass
    from patcc.semantics import run_function

    (pruned, report), t_prune = _timed(lambda: prune_with_report(model, PruneOptions(8, 3.6)))
    print(format_prune_report(report))
    print(f"\npruned in {_seconds(t_prune)}")
    module = import_model(pruned)
    PrunePatternsPass(num_patterns=8).apply(make_context(), module)
    n_pat = sum(isinstance(op, PatConv2dOp) for op in module.walk())
    print(f"pattern-level IR: {n_pat} pat.conv2d ops (the pruned weights, recognised losslessly)")
    outputs, t_interp = _timed(lambda: run_function(module, {"input": x}))
    (name, ours), *_ = outputs.items()
    print(f"patcc interpreter on the pat IR: {_seconds(t_interp)}")
    ref, _, t_ort = _run_onnxruntime(pruned, x)
    print(f"onnxruntime on the pruned ONNX model: {_seconds(t_ort)} (dense kernels: no speed-up)")
    return _report_check(name, ours, ref)


def _run_onnxruntime(model: onnx.ModelProto, x: np.ndarray) -> tuple[np.ndarray, float, float]:
    """ORT on the model: (output, session set-up seconds, seconds of one warm run).

    The first run allocates buffers, so the second is timed: ORT at its best, the yardstick.
    """
    import onnxruntime as ort

    session, t_session = _timed(
        lambda: ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    )
    session.run(None, {"input": x})
    outs, t_run = _timed(lambda: session.run(None, {"input": x}))
    return np.asarray(outs[0]), t_session, t_run
