"""`patcc bench`: patcc against the dense frameworks on the same pruned model, in one process.

The model is pruned once (`patcc.prune`) and that ONNX file is what every contender runs:
patcc compiles it (its weights already fit the pattern set, so they are kept bit for bit),
the peers load it as it is. Per thread count, all contenders are timed round-robin
(`timing.interleave`), so the ratios are fair on a shared machine; patcc's output is checked
against ONNX Runtime's so a fast wrong kernel cannot win.
"""

from __future__ import annotations

import datetime
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

from patcc.bench.layers import conv_layers
from patcc.bench.peak import sgemm_gflops, sgemm_runner
from patcc.bench.peers import PEERS, REMOTE_PEERS, Session, Skipped, open_peer
from patcc.bench.report import TUNED
from patcc.bench.timing import interleave, robust_stats
from patcc.errors import PatccError

SGEMM = "sgemm"  # the peak's contender in the round-robin
Runners = dict[str, Callable[[], object]]


@dataclass
class BenchOptions:
    patterns: int = 8
    connectivity: float = 3.6
    block: int = 1  # block pruning: filters per block (patcc.compression.blocks)
    peers: Sequence[str] = ("ort", "mnn", "deepsparse", "tvm")
    threads: Sequence[int] = (1,)
    repeat: int = 10
    layers: bool = False
    target: str = "x86"
    budget_s: float | None = None  # per thread count, after the minimum of 3 rounds
    tuning_log: Path | None = None  # schedules for patcc (keyed by the first thread count)
    settle_s: float = 0.2  # pause before each timed multi-threaded call (timing.interleave)
    peer_python: dict[str, str] = field(default_factory=dict)  # peer -> its own interpreter
    log: Callable[[str], None] = field(default=lambda s: print(s, file=sys.stderr, flush=True))

    def check(self) -> None:
        """The timing options a run needs (pruning options are checked by the pruner)."""
        if not self.threads or min(self.threads) < 1:
            counts = ",".join(str(t) for t in self.threads) or "none"
            raise PatccError(f"threads: each thread count must be >= 1, got {counts}")
        if self.repeat < 1:
            raise PatccError(f"repeat: the rounds must be >= 1, got {self.repeat}")
        if self.budget_s is not None and self.budget_s < 0:
            raise PatccError(f"budget: the seconds must be >= 0, got {self.budget_s}")
        if self.tuning_log is not None:  # read now, not after the untuned build
            from patcc.tune.log import existing_log

            existing_log(self.tuning_log)
        unknown = [p for p in self.peers if p not in PEERS]
        if unknown:
            names = ", ".join(PEERS)
            raise PatccError(f"peers: unknown peer {unknown[0]!r} (peers: {names})")
        for peer, python in self.peer_python.items():
            where = f"peer-python {peer}={python}"
            if peer not in REMOTE_PEERS:
                names = ", ".join(REMOTE_PEERS)
                raise PatccError(f"{where}: only {names} can run in another Python")
            if peer not in self.peers:
                raise PatccError(f"{where}: {peer} is not among the peers ({','.join(self.peers)})")
            if shutil.which(python) is None:
                raise PatccError(f"{where}: no such executable")


def cpu_model() -> str:
    """/proc/cpuinfo's model name (the tuning log keys on it too)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    import os

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "patcc": _revision(),
    }


def _revision() -> str:
    """The git commit the bench ran (with '+dirty' for uncommitted changes), if in a checkout."""
    import subprocess

    root = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        if proc.returncode != 0:
            raise OSError(proc.stderr)
        return proc.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except OSError:
        return ""
    return head + ("+dirty" if dirty else "")


def random_inputs(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    inits = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(0)
    out = {}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        shape = [d.dim_value or 1 for d in inp.type.tensor_type.shape.dim]
        out[inp.name] = rng.standard_normal(shape, dtype=np.float32)
    return out


def compile_patcc(
    path: Path, options: BenchOptions, out_dir: Path, tuned: bool = False
) -> tuple[Any, dict[str, Any]]:
    """Compile the pruned model (with the tuning log's schedules when `tuned`); its
    report.json, with compile seconds added: `emit_s` (import -> emitted source, as the
    driver measures it, when it does) and `total_s` (including the C compiler)."""
    from patcc.driver import compile

    schedules = None
    if tuned and options.tuning_log is not None:
        from patcc.targets.emit import default_vector_length
        from patcc.tune.apply import LogSchedules
        from patcc.tune.log import TuningLog

        length = default_vector_length(options.target)
        log = TuningLog(options.tuning_log)
        schedules = LogSchedules(log, options.target, cpu_model(), options.threads[0], length)
    start = time.perf_counter()
    compiled = compile(
        path,
        target=options.target,
        patterns=None,
        block=options.block,
        out_dir=out_dir,
        schedules=schedules,
    )
    total = time.perf_counter() - start
    report = json.loads((compiled.build_dir / "report.json").read_text())
    emit = report.get("timings", {}).get("emit_s")
    report["compile"] = {
        "emit_s": emit,
        "cc_s": None if emit is None else total - emit,
        "total_s": total,
    }
    if schedules is not None:
        report["tuning_miss"] = schedules.miss()
    return compiled, report


def _patcc_session(
    name: str, compiled: Any, inputs: dict[str, np.ndarray], threads: int
) -> Session:
    def run() -> object:
        return next(iter(compiled.run(inputs, threads=threads).values()))

    return Session(name, "", run)


def _contenders(
    builds: dict[str, Any],
    path: Path,
    inputs: dict[str, np.ndarray],
    threads: int,
    peers: Sequence[str],
    peer_python: dict[str, str],
) -> tuple[Runners, dict[str, Callable[[], float]], dict[str, dict[str, Any]], dict[str, str]]:
    """The runners of the patcc builds (the first one is the reference output) and of the
    installed peers, and the timers of those that time themselves (`timing.interleave`);
    every output but the reference's is checked against it."""
    runners: Runners = {}
    timers: dict[str, Callable[[], float]] = {}
    info: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    sessions: dict[str, Session | Skipped] = {
        name: _patcc_session(name, compiled, inputs, threads) for name, compiled in builds.items()
    }
    sessions.update(
        (name, open_peer(name, path, inputs, threads, peer_python.get(name))) for name in peers
    )
    reference: np.ndarray | None = None
    for name, session in sessions.items():
        if isinstance(session, Skipped):
            skipped[name] = session.reason
            continue
        runners[name] = session.run
        if session.timer is not None:
            timers[name] = session.timer
        info[name] = {"version": session.version, "note": session.note}
        out = np.asarray(session.run())
        if reference is None:
            reference = out
            continue
        theirs = out.reshape(reference.shape)
        scale = float(np.abs(theirs).max()) or 1.0
        info[name]["max_rel_diff"] = float(np.abs(theirs - reference).max()) / scale
    return runners, timers, info, skipped


def bench(model: onnx.ModelProto, name: str, options: BenchOptions) -> dict[str, Any]:
    """Run the whole benchmark; returns the JSON-able result (see `report.table`). Its
    builds and converted models (over 1 GB for VGG-16) live in a folder removed at the end."""
    options.check()
    with tempfile.TemporaryDirectory(prefix="patcc-bench-") as tmp:
        return _bench(model, name, options, Path(tmp))


def _bench(model: onnx.ModelProto, name: str, options: BenchOptions, work: Path) -> dict[str, Any]:
    from patcc.compression.onnx_prune import prune

    log = options.log
    pruned = prune(
        model, patterns=options.patterns, connectivity=options.connectivity, block=options.block
    )
    path = work / "pruned.onnx"
    onnx.save(pruned, str(path))
    log(f"compiling {name} with patcc ({options.target}) ...")
    compiled, report = compile_patcc(path, options, work / "build")
    builds = {"patcc": compiled}
    tuned_report: dict[str, Any] | None = None
    if options.tuning_log is not None:  # side by side: what the tuning log buys
        log(f"compiling {name} with patcc ({options.target}), tuned schedules ...")
        builds[TUNED], tuned_report = compile_patcc(path, options, work / "tuned", tuned=True)
    inputs = random_inputs(pruned)
    total = report.get("total", {})
    result: dict[str, Any] = {
        "model": name,
        "patterns": options.patterns,
        "connectivity": options.connectivity,
        "block": options.block,
        "target": options.target,
        "machine": machine(),
        "compile": report["compile"],
        "macs": total.get("macs"),
        "nonzero_macs": total.get("nonzero_macs"),
        "peak_gflops": {},
        "runs": [],
    }
    if tuned_report is not None:
        from patcc.tune.apply import tuned_layers

        result["tuned_layers"] = tuned_layers(tuned_report)
        result["tuned_compile"] = tuned_report["compile"]
        if tuned_report.get("tuning_miss"):  # the log keys by the first thread count
            result["tuned_miss"] = tuned_report["tuning_miss"]
    for threads in options.threads:
        log(f"threads={threads}: sgemm peak ...")
        peak = sgemm_gflops(threads)
        result["peak_gflops"][str(threads)] = peak
        runners, timers, info, skipped = _contenders(
            builds, path, inputs, threads, options.peers, options.peer_python
        )
        runners[SGEMM], flops = sgemm_runner(threads)
        log(f"threads={threads}: timing {', '.join(runners)} round-robin x{options.repeat}")
        samples = interleave(
            runners,
            options.repeat,
            budget_s=options.budget_s,
            settle_s=options.settle_s if threads > 1 else 0.0,
            progress=lambda done, of: log(f"  round {done}/{of}"),
            timers=timers,
        )
        sgemm = robust_stats(samples.pop(SGEMM))
        stats = {k: {**robust_stats(v).as_dict(), **info[k]} for k, v in samples.items()}
        result["runs"].append(
            {
                "threads": threads,
                "results": stats,
                "skipped": skipped,
                "sgemm_gflops": flops / (sgemm.median_ms * 1e-3) / 1e9,
            }
        )
    if options.layers:
        result["layers"] = bench_layers(pruned, options, work)
    return result


def bench_layers(
    pruned: onnx.ModelProto, options: BenchOptions, work: Path
) -> list[dict[str, Any]]:
    """patcc vs the peers per conv layer, each layer compiled and timed alone (a row per
    layer and thread count: `{contender}_ms`, absent for a peer skipped on that layer)."""
    from patcc.driver import compile

    rows = []
    for i, layer in enumerate(conv_layers(pruned)):
        path = work / f"layer{i}.onnx"
        onnx.save(layer.model, str(path))
        compiled = compile(
            path, target=options.target, patterns=None, block=options.block, out_dir=work / f"l{i}"
        )
        inputs = random_inputs(layer.model)
        for threads in options.threads:
            runners, timers, _, _ = _contenders(
                {"patcc": compiled}, path, inputs, threads, options.peers, options.peer_python
            )
            settle = options.settle_s if threads > 1 else 0.0
            samples = interleave(
                runners, options.repeat, budget_s=options.budget_s, settle_s=settle, timers=timers
            )
            row: dict[str, Any] = {
                "name": layer.name,
                "threads": threads,
                "shape": f"{'x'.join(map(str, layer.input_shape[1:]))}->"
                f"{'x'.join(map(str, layer.output_shape[1:]))}",
                "nonzero_macs": layer.nonzero_macs,
            }
            for who, secs in samples.items():
                row[f"{who}_ms"] = robust_stats(secs).median_ms
            rows.append(row)
            options.log(f"  layer {layer.name} threads={threads}: {row}")
    return rows
