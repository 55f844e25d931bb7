"""`patcc demo` / `make demo`: the main job on the built-in VGG-16, end to end and checked.

Builds VGG-16 with seeded random weights, imports it and prints the per-layer table read
from the IR; prunes it (8 patterns, connectivity 3.6) and prints the pruning report; compiles
the pruned model for x86 (its patterns are recognised, the weights kept bit-exact), runs it,
checks it against ONNX Runtime on the same pruned ONNX model, and times both (median of
several runs, same thread count): the speed-up is what skipping the pruned work buys. Exit
code 0 on PASS, 1 on FAIL (a user mistake, e.g. a bad size, is a PatccError: 2).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import onnx

from patcc.errors import PatccError

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

    from patcc.runtime import CompiledModel

# The pass criterion shared with the test suite: max|diff| <= TOLERANCE * max(1, max|ref|).
TOLERANCE = 1e-4
SEED = 0
TIMED_RUNS = 7

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def median_seconds(fn: Callable[[], object], runs: int = TIMED_RUNS) -> float:
    """Median wall time of `runs` calls after one warm-up call (buffers, caches, threads)."""
    fn()
    return statistics.median(_timed(fn)[1] for _ in range(runs))


def _seconds(t: float) -> str:
    if t < 0.01:
        return f"{t * 1e3:.2f} ms"
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
    """Build, tabulate, prune, compile, run, check and time VGG-16 at `size` x `size`."""
    from patcc.frontend import import_model
    from patcc.models import vgg16
    from patcc.report import format_table, layer_table

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
    del module

    print("\n== pattern pruning: K = 8 patterns, connectivity rate 3.6 ==\n")
    pruned = _prune(model)

    threads = os.cpu_count() or 1
    print(f"\n== compile the pruned model for x86 ({threads} threads) ==\n")
    compiled = _compile(pruned, size, threads)
    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((1, 3, size, size), dtype=np.float32)
    ours = compiled.run({"input": x})
    t_ours = median_seconds(lambda: compiled.run({"input": x}))

    try:
        import onnxruntime as ort
    except ImportError:
        print(
            "onnxruntime is not installed (it comes with the dev extra: pip install -e '.[dev]'): "
            "comparison skipped"
        )
        print(f"patcc x86: {_seconds(t_ours)} (median of {TIMED_RUNS} runs)")
        return 0
    session = _ort_session(pruned, threads)
    ref = session.run(None, {"input": x})[0]
    t_ort = median_seconds(lambda: session.run(None, {"input": x}))

    print("\n== check against ONNX Runtime on the same pruned ONNX model ==\n")
    (name, out), *_ = ours.items()
    ok = _report_check(name, out, np.asarray(ref))
    print(f"\n== latency: median of {TIMED_RUNS} runs, {threads} threads, batch 1 ==\n")
    print(f"{'patcc (x86, pattern convs)':34s}{_seconds(t_ours):>10s}")
    print(f"{f'onnxruntime {ort.__version__} (dense kernels)':34s}{_seconds(t_ort):>10s}")
    print(f"speed-up of patcc over onnxruntime: {t_ort / t_ours:.2f}x")
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


def _prune(model: onnx.ModelProto) -> onnx.ModelProto:
    """Prune the ONNX weights (an ordinary ONNX model comes out) and show the report."""
    from patcc.compression.onnx_prune import prune_with_report
    from patcc.compression.plan import PruneOptions
    from patcc.compression.prune_report import format_prune_report

    (pruned, report), t_prune = _timed(lambda: prune_with_report(model, PruneOptions(8, 3.6)))
    print(format_prune_report(report))
    print(f"\npruned in {_seconds(t_prune)}")
    return pruned


def demo_cache() -> Path:
    """Where the demo keeps its one build (several hundred MB for VGG-16 at 224)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "patcc" / "demo"


def build_key(model: onnx.ModelProto) -> str:
    """The model's bytes and the compiler's own sources: a build is reused only when
    neither changed."""
    import patcc
    import patcc.dialects
    import patcc.passes

    digest = hashlib.sha256(model.SerializeToString())
    for package in (patcc, patcc.dialects, patcc.passes):
        root = Path(package.__file__ or "").parent
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".c")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _compile(pruned: onnx.ModelProto, size: int, threads: int) -> CompiledModel:
    """Compile with patterns=None: the pruned weights are recognised as patterns and kept
    exactly, so patcc and ONNX Runtime run the very same function. The build is cached
    (VGG-16 takes minutes to compile); a changed model or compiler rebuilds it."""
    import json

    from patcc.driver import compile
    from patcc.runtime import CompiledModel

    folder = demo_cache() / f"vgg16-{size}-{build_key(pruned)}"
    if (folder / "model.json").is_file():
        compiled = CompiledModel(folder, threads=threads)
        print(f"reusing the build in {folder} (delete it to compile again)")
    else:
        shutil.rmtree(demo_cache(), ignore_errors=True)  # one cached build at a time
        folder.parent.mkdir(parents=True, exist_ok=True)
        compiled, t_compile = _timed(
            lambda: compile(pruned, target="x86", patterns=None, threads=threads, out_dir=folder)
        )
        print(f"compiled in {_seconds(t_compile)} into {folder}")
    report = json.loads((folder / "report.json").read_text())
    n_pattern = sum(1 for r in report["layers"] if r["op"].startswith("pat."))
    total = report["total"]
    print(
        f"{n_pattern} pattern convs: {total['nonzero_macs'] / 1e9:.2f} G non-zero MACs of "
        f"{total['macs'] / 1e9:.2f} G, weights {total['storage_bytes'] / 2**20:.1f} MiB"
    )
    return compiled


def _ort_session(model: onnx.ModelProto, threads: int) -> InferenceSession:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


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
