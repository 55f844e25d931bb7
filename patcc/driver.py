"""`patcc.compile`: ONNX model -> build folder -> `CompiledModel`, the whole flow in one call.

import (patcc.frontend) -> pruning and the co-design passes (`patcc.pipelines.patdnn`, or
lower-to-loops alone for a dense model) -> the target's passes -> the target's printer ->
the build folder with its compiled artifact (patcc.runtime). Tools are checked before the
slow part, so a missing compiler is reported at once. `emit_model` stops before the C
compiler and `build_model` does the rest, for callers that look at the source first.
"""

from __future__ import annotations

import gc
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import onnx
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from patcc.errors import PatccError
from patcc.runtime.builder import build, check_tools
from patcc.runtime.loader import CompiledModel, check_threads

if TYPE_CHECKING:
    from patcc.tune.apply import ScheduleSource

TARGETS = ("x86", "neon", "opencl")
LOWER_TO_LOOPS = "lower-to-loops"


def check_options(target: str, threads: int | None, vector_length: int | None) -> None:
    if target not in TARGETS:
        raise PatccError(f"unknown target '{target}' (targets: {', '.join(TARGETS)})")
    check_threads(threads)
    from patcc.targets.emit import check_vector_length

    check_vector_length(target, vector_length)


def target_available(target: str) -> bool:
    """Whether patcc.targets can print `target` (the OpenCL printer comes separately)."""
    from importlib.util import find_spec

    from patcc.targets.emit import FAMILY_TARGETS

    if target == "opencl":
        return find_spec("patcc.targets.opencl_target") is not None
    return target in FAMILY_TARGETS


def compression_passes(
    module: ModuleOp,
    patterns: int | None,
    connectivity: float,
    vector_length: int,
    schedule: Mapping[str, Any] | None = None,
    block: int | None = None,
) -> list[ModulePass]:
    """The passes from the imported module to loop level. patterns=None: no pruning, but a
    model whose weights already fit a pattern set (pruned before, e.g. by ADMM training) is
    compiled as pattern convs with its weights unchanged, packed per block of `block`
    filters (None: the block size the weights show, `existing_patterns`); any other model
    takes patdnn's loop-level passes alone (the pattern convs a target's graph pass makes,
    the opencl target's dense 3x3 convs, are tiled as a pruned model's are)."""
    from patcc.pipelines import loop_passes, patdnn

    if patterns is None:
        existing = existing_patterns(module, block)
        if existing is None:  # patdnn's loop-level passes, with the schedule's options
            return loop_passes(vector_length=vector_length, **(schedule or {}))
        patterns, block = existing
        connectivity = 1.0
    pipeline = patdnn(
        patterns, connectivity, block=block or 1, vector_length=vector_length, **(schedule or {})
    )
    return list(pipeline.passes)


def existing_pattern_count(module: ModuleOp) -> int | None:
    """The size of the pattern set the module's eligible convs already use, or None."""
    found = existing_patterns(module)
    return None if found is None else found[0]


def existing_patterns(module: ModuleOp, block: int | None = None) -> tuple[int, int] | None:
    """(pattern-set size, block size) of the module's eligible convs when their weights are
    pattern-pruned already, else None. block=None: the largest block size the weights fit
    (`detect_pruning`); a given block the weights do not fit is an error (packing them
    per kernel would break the block invariant the caller asked for)."""
    from patcc.compression.patterns import detect_existing_patterns, detect_pruning
    from patcc.compression.plan import ConvWeights, skip_reason
    from patcc.constants import constant_value
    from patcc.dialects.nn.base import get_int
    from patcc.dialects.nn.conv import Conv2dOp

    weights = []
    for conv in module.walk():
        if not isinstance(conv, Conv2dOp):
            continue
        weight = constant_value(conv.weight)
        if weight is None:
            continue
        candidate = ConvWeights("", weight, get_int(conv.properties, "group"))
        if skip_reason(candidate, first_layer=False) is None:
            weights.append(weight)
    if block is None:
        detected = detect_pruning(weights)
        return None if detected is None else (len(detected[0]), detected[1])
    if detect_existing_patterns(weights) is None:
        return None
    found = detect_existing_patterns(weights, block)
    if found is None:
        raise PatccError(f"the model's pattern-pruned weights are not pruned in blocks of {block}")
    return len(found), block


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. The passes create and drop
    hundreds of thousands of IR objects while millions stay alive (the module), so the
    collector's full passes over the live heap took a third of VGG-16's compile time;
    with it off the peak memory grew by ~4 % (the cycles of erased ops wait until after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _apply(
    module: ModuleOp,
    passes: Sequence[ModulePass],
    schedules: ScheduleSource | None = None,
    before_lowering: Sequence[ModulePass] = (),
    after_each: Callable[[str], None] = lambda name: None,
) -> list[dict[str, Any]]:
    """Run the passes; returns the layer report taken just before the loop level. With
    `schedules`, each layer it has a schedule for is marked (`pat.schedule`) right before
    lower-to-loops, which builds its nest by it and hands it on to tile-conv.
    `before_lowering` (the target's graph passes) run after the report, just before
    lower-to-loops. `after_each(name)` follows every pass
    (scripts/compile_profile.py times them)."""
    from patcc.frontend import make_context
    from patcc.runtime.layer_report import add_loop_schedules, layer_report

    ctx = make_context()
    layers: list[dict[str, Any]] | None = None
    for p in passes:
        if p.name == LOWER_TO_LOOPS and layers is None:
            layers = layer_report(module)
            for early in before_lowering:
                early.apply(ctx, module)
                after_each(early.name)
            if schedules is not None:
                from patcc.tune.apply import set_schedules

                set_schedules(layers, module, schedules)
        p.apply(ctx, module)
        after_each(p.name)
    if layers is None:
        return []
    add_loop_schedules(layers, module)
    return layers


@dataclass(frozen=True)
class UnbuiltModel:
    """What `emit_model` produced: the target's files (`files`, the emitter's
    `patcc.targets.EmittedModel`: model.c or model.cl, weights.bin, model.json), the
    report.json content, and what `build_model` needs to compile them."""

    files: Mapping[str, bytes]
    report: Mapping[str, Any]
    target: str
    threads: int | None
    cflags: Sequence[str]
    simde_cflags: Sequence[str] | None


@dataclass(frozen=True)
class CompileOptions:
    """`compile`'s arguments but the model and the output folder (see `compile`)."""

    target: str = "x86"
    patterns: int | None = 8
    connectivity: float = 3.6
    block: int | None = None
    threads: int | None = None
    input_shape: Mapping[str, Sequence[int]] | None = None
    vector_length: int | None = None
    schedules: ScheduleSource | None = None


def emit_model(
    model: str | Path | onnx.ModelProto, options: CompileOptions | None = None
) -> UnbuiltModel:
    """`compile` up to the emitted source, without the C compiler: `patcc tune` compares a
    trial's source with those it timed before it pays for gcc."""
    from patcc.compression.plan import PruneOptions
    from patcc.frontend import import_model
    from patcc.targets import CFLAGS, emit_for

    o = options or CompileOptions()
    target, patterns, connectivity, block = o.target, o.patterns, o.connectivity, o.block
    threads, vector_length = o.threads, o.vector_length
    check_options(target, threads, vector_length)
    if patterns is not None:
        PruneOptions(patterns, connectivity, block=1 if block is None else block).check()
    elif block is not None:
        PruneOptions(block=block).check()
    if not target_available(target):
        raise PatccError(f"target '{target}' is not available yet (available: x86, neon)")
    check_tools(target)
    emitter = emit_for(target, threads=threads, vector_length=vector_length)
    start = time.perf_counter()  # compile time without the C compiler, for `patcc bench`
    with gc_paused():
        module = import_model(model, {k: list(v) for k, v in (o.input_shape or {}).items()})
        vl = emitter.vector_length
        passes = compression_passes(module, patterns, connectivity, vl, emitter.schedule, block)
        layers = _apply(module, [*passes, *emitter.passes], o.schedules, emitter.graph_passes)
        emitted = emitter.emit(module)
    emit_s = time.perf_counter() - start
    report = {
        "target": target,
        "patterns": patterns,
        "connectivity": connectivity if patterns is not None else None,
        "block": _block_of(passes),
        "threads": threads,
        "vector_length": emitter.vector_length,
        "layers": layers,
        "total": {
            key: sum(int(row.get(key, 0)) for row in layers)
            for key in ("macs", "nonzero_macs", "storage_bytes")
        },
        "timings": {"emit_s": round(emit_s, 3)},
    }
    simde_cflags = CFLAGS.get(f"{emitter.target}-simde")
    return UnbuiltModel(emitted, report, target, threads, emitter.cflags, simde_cflags)


def build_model(emitted: UnbuiltModel, out_dir: str | Path | None = None) -> CompiledModel:
    """Write and compile `emitted` into `out_dir` (a fresh temporary folder if None) and
    load it: the rest of `compile`."""
    folder = Path(out_dir) if out_dir is not None else _fresh_folder()
    build(
        emitted.files,
        emitted.target,
        folder,
        cflags=emitted.cflags,
        simde_cflags=emitted.simde_cflags,
        report=emitted.report,
    )
    return CompiledModel(folder, threads=emitted.threads)


def compile(
    model: str | Path | onnx.ModelProto,
    *,
    target: str = "x86",
    patterns: int | None = 8,
    connectivity: float = 3.6,
    block: int | None = None,
    threads: int | None = None,
    out_dir: str | Path | None = None,
    input_shape: Mapping[str, Sequence[int]] | None = None,
    vector_length: int | None = None,
    schedules: ScheduleSource | None = None,
) -> CompiledModel:
    """Compile an ONNX model (a path or a ModelProto) for `target` into `out_dir` (a fresh
    temporary folder if None) and load it. `patterns=None` compiles without pruning.
    `block`: block pruning in blocks of that many filters (None: 1, or with patterns=None
    the block size the pruned weights show).
    `schedules` gives pattern convs their own tiles (`patcc.tune.apply.LogSchedules`: the
    tuned ones of a tuning log)."""
    options = CompileOptions(
        target, patterns, connectivity, block, threads, input_shape, vector_length, schedules
    )
    return build_model(emit_model(model, options), out_dir)


def _block_of(passes: Sequence[ModulePass]) -> int | None:
    """The block size the prune-patterns pass ran with (None: nothing was pruned)."""
    from patcc.passes.prune_patterns import PrunePatternsPass

    found = [p.block for p in passes if isinstance(p, PrunePatternsPass)]
    return found[0] if found else None


def _fresh_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="patcc-")) / "build"
