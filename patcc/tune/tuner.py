"""`patcc tune`: per conv layer, search the schedule space by measuring the real kernel.

Each pattern conv is cut out of the (pruned) model as a one-conv ONNX model with its own
weights, compiled alone by `patcc.compile` with a candidate schedule, and timed (robust
median). The search is optuna's TPE sampler through its ask/tell interface: a trial costs a
full compile (seconds), so only a few dozen fit a budget, and TPE, which models the good and
the bad regions of each knob from the trials so far, closes in on good tiles in far fewer
trials than random or grid search; a genetic search needs populations of that size to start.
Every measurement is appended to the tuning log at once; trials already in the log are fed
back to the sampler instead of being re-measured, so a stopped run resumes where it was.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx

from patcc.bench.layers import ConvLayer, conv_layers
from patcc.errors import PatccError, require
from patcc.tune.log import Key, Record, TuningLog
from patcc.tune.space import (
    GPU_TARGET,
    Schedule,
    choices,
    default,
    searched,
    signature,
    tunable,
    valid,
)

if TYPE_CHECKING:
    from patcc.runtime import CompiledModel

Measure = Callable[[onnx.ModelProto, Schedule], float]
"""(one-conv model, schedule) -> milliseconds; raises if the schedule does not build."""
Clock = Callable[[], float]
"""Runs a build once; the seconds it took (`run_clock`)."""


@dataclass(frozen=True)
class TuneOptions:
    target: str = "x86"
    threads: int = 0  # 0: the build's default (all cores), as `patcc compile` without --threads
    vector_length: int | None = None  # None: the target's default (the host's widest, x86)
    budget_s: float = 600.0
    min_trials: int = 2  # per layer, even past its share of the budget: default + one

    def check(self) -> None:
        """Options a user can get wrong: a one-line error before any layer is measured."""
        if self.threads < 0:
            raise PatccError(f"threads must be >= 0 (0: all cores), got {self.threads}")
        if self.budget_s < 0:
            raise PatccError(f"budget: the seconds must be >= 0, got {self.budget_s}")
        from patcc.targets.emit import check_vector_length, target_name

        if self.target != GPU_TARGET and target_name(self.target) != "x86-c":
            raise PatccError(
                f"tuning the {self.target} target: its builds run here as one process per call "
                "(under qemu-aarch64 off Arm) or through SIMDe, so their times are not their "
                "kernels' (tune x86 on this CPU, or opencl on an OpenCL device)"
            )
        if self.target == GPU_TARGET and self.threads:
            raise PatccError(
                f"threads {self.threads}: the opencl target's work items are the device's to "
                "schedule (tune it without --threads)"
            )
        check_vector_length(self.target, self.vector_length)

    @property
    def length(self) -> int:
        """The vector length the builds get (and the log's key)."""
        from patcc.targets.emit import default_vector_length

        return self.vector_length or default_vector_length(self.target)


@dataclass(frozen=True)
class Task:
    layer: ConvLayer
    key: Key
    group: int = 1  # filters per shared kernel list (block pruning), 1: none


def tensor_level_rows(model: onnx.ModelProto, vector_length: int) -> list[dict[str, Any]]:
    """The report rows of a model compiled as it is (its weights kept), taken just before
    lower-to-loops: the rows signatures are computed from, without building anything."""
    from patcc.driver import LOWER_TO_LOOPS, compression_passes
    from patcc.frontend import import_model, make_context
    from patcc.runtime.layer_report import layer_report

    module = import_model(model)
    ctx = make_context()
    for p in compression_passes(module, None, 1.0, vector_length):
        if p.name == LOWER_TO_LOOPS:
            break
        p.apply(ctx, module)
    return layer_report(module)


def tasks(pruned: onnx.ModelProto, options: TuneOptions, cpu: str) -> list[Task]:
    """One task per distinct key among the model's pattern convs (equal layers tune once)."""
    out: dict[Key, Task] = {}
    for layer in conv_layers(pruned):
        rows = [r for r in tensor_level_rows(layer.model, options.length) if tunable(r)]
        if not rows:
            continue  # a dense conv (first layer, 1x1): tile-conv does not touch it
        key = Key(signature(rows[0]), options.target, cpu, options.threads, options.length)
        out.setdefault(key, Task(layer, key, int(rows[0].get("shared_group", 1))))
    return list(out.values())


def measured_on(target: str) -> str:
    """What a tuning log keys a record by besides the layer and the build: the CPU model for
    the C targets, which run on the host, and the OpenCL device's name for opencl (the
    device `patcc run` takes: $PATCC_OPENCL_DEVICE, else the first)."""
    if target == GPU_TARGET:
        from patcc.runtime.opencl_runner import choose_device

        return " ".join(choose_device().name.split())
    from patcc.bench.run import cpu_model

    return cpu_model()


def run_clock(model: CompiledModel, feed: dict[str, np.ndarray]) -> Clock:
    """Seconds of one run of `model`: its wall time on a CPU; on an OpenCL device the time
    of its kernels by profiling events, without the upload of the input and the download of
    the output, which no schedule changes and which on a GPU behind PCIe take longer than a
    layer's kernels."""
    from patcc.bench.timing import time_call
    from patcc.runtime.opencl_runner import OpenCLRunner

    backend = model.backend
    if isinstance(backend, OpenCLRunner):
        inputs = [feed[t.name] for t in model.inputs]
        return lambda: sum(row["ms"] for row in backend.profile(inputs)) * 1e-3
    return lambda: time_call(lambda: model.run(feed))


def compiled_measure(options: TuneOptions, work: Path, repeat: int = 15) -> Measure:
    """Compile the one-conv model with the schedule and time it (`run_clock`) against the
    same layer built with the target's default schedule, their runs interleaved
    (`patcc.bench.timing`): the result is the default's time, measured once per layer, times
    this trial's median ratio to the default in its own round-robin (outliers dropped).
    Whole runs on the 2-core VM drift by +-15 % within seconds (docs/performance.md), so a
    trial timed alone in a slow minute looked like a slow schedule; against a reference
    timed in the same minutes the drift cancels. A trial whose emitted source is byte for
    byte one timed before in this run (knobs its layer ignores: the filter tile of a
    block-shared nest, a row block equal to the L2 rule's, a vector length the row halves
    to anyway, a work-group size equal to the target's; a fifth of the trials of a VGG-16
    tune) takes that time without the C compiler or timing: the best of several samples of
    one code would pass its luck for a faster schedule."""
    from patcc.bench.timing import interleave, robust_stats
    from patcc.driver import CompileOptions, UnbuiltModel, build_model, emit_model
    from patcc.tune.apply import fixed

    count = iter(range(1 << 30))
    work.mkdir(parents=True, exist_ok=True)
    base = default(options.target)
    # per layer model (the tuner passes each task's own model object; kept here, so its id
    # is not reused): its default build, input, clock and time
    references: dict[
        int, tuple[onnx.ModelProto, CompiledModel, dict[str, np.ndarray], Clock, float]
    ] = {}
    timed: dict[tuple[int, bytes], float] = {}  # (layer model, emitted files' digest) -> ms

    def emit(model: onnx.ModelProto, schedule: Schedule) -> UnbuiltModel:
        return emit_model(
            model,
            CompileOptions(
                target=options.target,
                patterns=None,
                threads=options.threads or None,
                vector_length=options.length,
                schedules=fixed(schedule),
            ),
        )

    def code(model: onnx.ModelProto, emitted: UnbuiltModel) -> tuple[int, bytes]:
        digest = hashlib.sha256()
        for name in sorted(emitted.files):  # a layer's weights are small: all files
            digest.update(name.encode() + b"\0" + emitted.files[name])
        return id(model), digest.digest()

    def reference(model: onnx.ModelProto) -> tuple[dict[str, np.ndarray], Clock, float]:
        if id(model) not in references:
            emitted = emit(model, base)
            ref = build_model(emitted, work / f"reference{next(count)}")
            x = np.random.default_rng(0).standard_normal(ref.inputs[0].shape, np.float32)
            feed = {ref.inputs[0].name: x}
            clock = run_clock(ref, feed)
            clock()
            samples = [clock() for _ in range(repeat)]
            references[id(model)] = (model, ref, feed, clock, robust_stats(samples).median_ms)
            timed[code(model, emitted)] = references[id(model)][4]
        return references[id(model)][2:]

    def measure(model: onnx.ModelProto, schedule: Schedule) -> float:
        feed, ref_clock, base_ms = reference(model)
        if schedule == base:
            return base_ms
        emitted = emit(model, schedule)
        same = code(model, emitted)
        if same in timed:  # no C compiler, no timing: the same code ran already
            return timed[same]
        out = work / f"trial{next(count)}"
        trial = build_model(emitted, out)
        clocks = {"trial": run_clock(trial, feed), "default": ref_clock}
        samples = interleave(clocks, repeat, timers=clocks)
        shutil.rmtree(out, ignore_errors=True)  # a long tune would fill the disk with builds
        trial_ms = robust_stats(samples["trial"]).median_ms
        timed[same] = base_ms * trial_ms / robust_stats(samples["default"]).median_ms
        return timed[same]

    return measure


def _distributions(length: int, group: int, target: str) -> dict[str, Any]:
    """optuna's view of the space (`patcc.tune.space.choices`) in a `target` build of
    `length` lanes, on a layer whose groups of `group` filters share their kernels."""
    from optuna.distributions import CategoricalDistribution

    return {k: CategoricalDistribution(v) for k, v in choices(length, group, target).items()}


def search_layer(
    task: Task,
    log: TuningLog,
    measure: Measure,
    deadline: float,
    min_trials: int,
    seed: int = 0,
    on_trial: Callable[[], None] = lambda: None,
) -> Schedule | None:
    """TPE over the space for one layer until `deadline` (time.monotonic), at least
    `min_trials` measured or logged; the log's trials for this key seed the sampler."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    length, target = task.key.vector_length, task.key.target
    base = default(target)
    dists = _distributions(length, task.group, target)
    study = optuna.create_study(
        direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=4)
    )

    def logged() -> dict[Schedule, float | None]:
        """The log's trials for this key as the search sees them (`searched`): a point's
        own trial, else the first logged with a knob the layer ignores (not the fastest of
        those: one code's luckiest sample would pass for its time)."""
        measured = log.measured(task.key)
        out = {s: ms for s, ms in measured.items() if searched(s, task.group, target) == s}
        for sched, ms in measured.items():
            out.setdefault(searched(sched, task.group, target), ms)
        return out

    known = logged()
    for sched, ms in known.items():
        state = TrialState.COMPLETE if ms is not None else TrialState.FAIL
        study.add_trial(
            create_trial(params=sched.as_dict(), distributions=dists, value=ms, state=state)
        )
    if base not in known:
        study.enqueue_trial(base.as_dict())
    logged_default = known.get(base)
    anchor: list[float] = []

    def timed(sched: Schedule) -> float:
        """measure(), in the units of this key's logged trials: a resumed run's times are
        scaled by logged default / the default timed now, so trials of another day (another
        drift of the machine) and today's compare as ratios to the same default."""
        ms = measure(task.layer.model, sched)
        if logged_default is None:
            return ms
        if not anchor:
            anchor.append(logged_default / measure(task.layer.model, base))
        return ms * anchor[0]

    tried = len(known)
    proposals = 0
    while (time.monotonic() < deadline or tried < min_trials) and proposals < 200:
        proposals += 1
        trial = study.ask(dists)
        sched = Schedule.from_dict(trial.params)
        if not valid(sched, length, task.group, target):  # over the register budget: never measured
            study.tell(trial, state=TrialState.PRUNED)
            continue
        if sched in known:
            ms = known[sched]
            study.tell(trial, ms, state=TrialState.COMPLETE if ms is not None else TrialState.FAIL)
            continue
        try:
            ms, error = timed(sched), ""
        except Exception as exc:  # a schedule that does not build is a result, not a crash
            ms, error = None, f"{type(exc).__name__}: {str(exc)[:200]}"
        log.append(Record(task.key, sched, ms, task.layer.name, error))
        known[sched] = ms  # what logged() would now give: valid() keeps oc searched
        study.tell(trial, ms, state=TrialState.COMPLETE if ms is not None else TrialState.FAIL)
        tried += 1
        on_trial()
    return log.best(task.key)


class Progress:
    """tqdm over the budget in seconds when tqdm is installed, else one line per trial."""

    def __init__(self, total_s: float, layers: int) -> None:
        self.start = time.monotonic()
        self.layers = layers
        self.bar: Any = None
        try:
            from tqdm import tqdm

            self.bar = tqdm(total=round(total_s), unit="s", desc="tune", file=sys.stderr)
        except ImportError:
            pass

    def update(self, layer: int, name: str, best: float | None) -> None:
        text = f"layer {layer + 1}/{self.layers} {name}, best {best or float('nan'):.3f} ms"
        elapsed = round(time.monotonic() - self.start)
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.update(max(0, min(elapsed, self.bar.total) - self.bar.n))
        else:
            print(f"tune [{elapsed} s] {text}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def tune(
    model: onnx.ModelProto,
    log: TuningLog,
    options: TuneOptions,
    *,
    measure: Measure | None = None,
    cpu: str | None = None,
) -> dict[str, Any]:
    """Tune every pattern conv of `model` (already pruned: its weights are kept) within the
    budget, split evenly over the distinct layers; returns {layer: best schedule + ms}."""
    options.check()
    require("optuna", "tuning", "tune")
    cpu = cpu or measured_on(options.target)
    todo = tasks(model, options, cpu)
    work = Path(tempfile.mkdtemp(prefix="patcc-tune-"))  # the trial builds: removed at the end
    measure = measure or compiled_measure(options, work)
    progress = Progress(options.budget_s, len(todo))
    start = time.monotonic()
    summary: dict[str, Any] = {}
    try:
        for i, task in enumerate(todo):
            share = (options.budget_s - (time.monotonic() - start)) / (len(todo) - i)
            deadline = time.monotonic() + share

            def tick(i: int = i, task: Task = task) -> None:
                progress.update(i, task.layer.name, _best_ms(log, task.key))

            best = search_layer(task, log, measure, deadline, options.min_trials, on_trial=tick)
            tick()
            summary[task.layer.name] = {
                "signature": task.key.signature,
                "schedule": None if best is None else best.as_dict(),
                "ms": _best_ms(log, task.key),
                "default_ms": log.measured(task.key).get(default(options.target)),
                "trials": len(log.measured(task.key)),
            }
    finally:
        progress.close()
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _best_ms(log: TuningLog, key: Key) -> float | None:
    times = [ms for ms in log.measured(key).values() if ms is not None]
    return min(times) if times else None


def summary_table(summary: Mapping[str, Any]) -> str:
    lines = [
        "| layer | best schedule (oc x oh x ow, lre, the knobs off their default) | best ms "
        "| default ms | speed-up | trials |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, s in summary.items():
        sched = s["schedule"]
        text = "-" if sched is None else describe(Schedule.from_dict(sched))
        best, default = s["ms"], s["default_ms"]
        ratio = f"{default / best:.2f}x" if best and default else ""
        lines.append(
            f"| {name} | {text} | {_fmt(best)} | {_fmt(default)} | {ratio} | {s['trials']} |"
        )
    return "\n".join(lines)


def describe(s: Schedule) -> str:
    """'4x0x2, lre, vl 8, rb all, hints': the tile, LRE, and the knobs that are not the
    default (pf: 'hints' in every kernel loop, 'no hints'; st: 'input-stationary', 'per
    filter'; sr: 'N tile rows'; ls: 'groups of N')."""
    parts = [f"{s.oc}x{s.oh}x{s.ow}", "lre" if s.lre else "no lre"]
    if s.vl:
        parts.append(f"vl {s.vl}")
    if s.rb:
        parts.append(f"rb {'all' if s.rb < 0 else s.rb}")
    if s.pf:
        parts.append("hints" if s.pf > 0 else "no hints")
    if s.st:
        parts.append("input-stationary" if s.st > 0 else "per filter")
    if s.sr:
        parts.append(f"{s.sr} tile rows")
    if s.ls:
        parts.append(f"groups of {s.ls}")
    return ", ".join(parts)


def _fmt(ms: float | None) -> str:
    return "" if ms is None else f"{ms:.3f}"
