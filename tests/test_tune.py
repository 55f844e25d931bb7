"""The tuner's logic: search space, tuning log (round trip, reuse, resume), per-layer
schedules in tile-conv, and `patcc compile --tuning-log` taking them without measuring."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from bench_helpers import tiny_conv
from xdsl.dialects import scf
from xdsl.dialects.builtin import IntegerAttr, StringAttr

from patcc.cli import main
from patcc.compression.onnx_prune import prune
from patcc.errors import PatccError
from patcc.tune.log import Key, Record, TuningLog
from patcc.tune.space import (
    DEFAULT,
    GPU_DEFAULT,
    GPU_OC,
    LS,
    MAX_ACCUMULATORS,
    MAX_REGISTER_TILE,
    RB,
    Schedule,
    default,
    searched,
    space,
    valid,
)
from patcc.tune.tuner import TuneOptions, compiled_measure, describe, summary_table, tune

CPU = "test cpu"


def fake_ms(schedule: Schedule) -> float:
    """A made-up cost with its minimum at 2x2x1 with LRE."""
    s = schedule
    return 1.0 + abs(s.oc - 2) + abs(s.oh - 2) + abs(s.ow - 1) + (0.0 if s.lre else 0.5)


def recorder() -> tuple[list[Schedule], Callable[[onnx.ModelProto, Schedule], float]]:
    """fake_ms as a measure, and the schedules it was asked for."""
    calls: list[Schedule] = []

    def measure(model: onnx.ModelProto, s: Schedule) -> float:
        calls.append(s)
        return fake_ms(s)

    return calls, measure


def resume(
    model: onnx.ModelProto, log: TuningLog, measure: Callable[..., float], trials: int
) -> None:
    """Another run on `log`'s file (read afresh) until the key holds `trials` trials."""
    options = TuneOptions(budget_s=0.0, min_trials=trials)
    tune(model, TuningLog(log.path), options, measure=measure, cpu=CPU)


def test_space_is_valid_and_bounded() -> None:
    schedules = space()
    assert DEFAULT in schedules and len(set(schedules)) == len(schedules)
    assert all(valid(s) and s.oc * (s.oh or 8) * s.ow <= MAX_ACCUMULATORS for s in schedules)
    assert all((s.oh or 8) * s.ow <= MAX_REGISTER_TILE for s in schedules)
    assert not valid(Schedule(8, 8, 4, True)) and not valid(Schedule(3, 1, 1, True))
    assert not valid(Schedule(1, 0, 3, True)) and valid(Schedule(4, 0, 2, True))
    # a layer's own vector length: the build's or half of it; row blocks from RB
    assert {s.vl for s in schedules} == {0, 8} and {s.vl for s in space(8)} == {0, 4}
    assert {s.vl for s in space(4)} == {0} and {s.vl for s in space(1)} == {0}
    assert not valid(Schedule(vl=4)) and valid(Schedule(vl=4), 8)
    assert {s.rb for s in schedules} == set(RB) and not valid(Schedule(rb=5))
    # prefetch hints: the rules', every loop's, none
    assert {s.pf for s in schedules} == {0, 1, -1} and not valid(Schedule(pf=2))
    # the nest: the pipeline's input-stationary rule, input-stationary, per filter
    assert {s.st for s in schedules} == {0, 1, -1} and not valid(Schedule(st=2))
    assert {s.st for s in space(1)} == {0} and not valid(Schedule(st=1), 1)  # opencl's lane
    # the input-stationary tiles' rows: the rule's, or at most 2, 4 or 8
    assert {s.sr for s in schedules} == {0, 2, 4, 8} and not valid(Schedule(sr=3))
    assert {s.sr for s in space(1)} == {0} and not valid(Schedule(sr=4), 1)
    assert searched(Schedule(sr=4, st=-1)) == Schedule(st=-1)  # per filter: sr changes nothing
    assert searched(Schedule(sr=4, st=1)) == Schedule(sr=4, st=1)


def test_block_shared_layers_do_not_search_the_filter_tile() -> None:
    """The shared nest runs a group's filters in one tile whatever oc says: that space has
    the default's oc only, and a trial logged with another oc is the same point."""
    shared = space(16, group=4)
    assert {s.oc for s in shared} == {DEFAULT.oc} and DEFAULT in shared
    assert {replace(s, oc=DEFAULT.oc, st=DEFAULT.st, sr=DEFAULT.sr) for s in space()} == set(shared)
    assert valid(Schedule(4, 2, 2), 16) and not valid(Schedule(4, 2, 2), 16, group=4)
    assert searched(Schedule(8, 2, 1, False, 8, -1), 4) == Schedule(1, 2, 1, False, 8, -1)
    assert searched(Schedule(8, 2, 1), 1) == Schedule(8, 2, 1)
    # nor the nest: input-stationary needs a layer without shared groups
    assert {s.st for s in shared} == {0} and not valid(Schedule(1, 2, 2, st=1), 16, group=4)
    assert {s.sr for s in shared} == {0} and searched(replace(DEFAULT, sr=8), 4) == DEFAULT
    assert searched(Schedule(DEFAULT.oc, 2, 1, st=-1), 4) == Schedule(DEFAULT.oc, 2, 1)
    assert searched(Schedule(4, 2, 1, st=-1), 1) == Schedule(4, 2, 1, st=-1)


def test_schedules_logged_before_vl_rb_pf_st_sr_and_ls_read_as_the_defaults() -> None:
    old = {"oc": 2, "oh": 0, "ow": 2, "lre": True}
    assert Schedule.from_dict(old) == Schedule(2, 0, 2, True, vl=0, rb=0, pf=0, st=0, sr=0, ls=0)
    every = Schedule(1, 2, 3, False, 8, -1, -1, 1, 4, 64)
    assert Schedule.from_dict(every.as_dict()) == every


def test_the_opencl_space_searches_work_items_not_cpu_knobs() -> None:
    """On the opencl target a schedule is the work item's outputs (filters x rows x
    columns), LRE and the work-group size; the CPU knobs stay 0, and a C target never takes
    a work-group size."""
    grid = space(1, 1, "opencl")
    assert default("opencl") == GPU_DEFAULT == Schedule(1, 0, 1, True) and GPU_DEFAULT in grid
    assert default("x86") == DEFAULT and DEFAULT in space()
    assert {s.ls for s in grid} == set(LS) and {s.oc for s in grid} == set(GPU_OC)
    assert {(s.vl, s.rb, s.pf, s.st, s.sr) for s in grid} == {(0, 0, 0, 0, 0)}
    assert all(valid(s, 1, 1, "opencl") for s in grid)
    assert {s.ls for s in space()} == {0} and not valid(replace(DEFAULT, ls=64))
    assert searched(replace(DEFAULT, ls=64)) == DEFAULT
    assert searched(replace(GPU_DEFAULT, rb=8, pf=1, st=1), target="opencl") == GPU_DEFAULT
    assert {s.oc for s in space(1, 4, "opencl")} == {GPU_DEFAULT.oc}  # a shared group's nest
    assert describe(replace(GPU_DEFAULT, oc=4, ow=4, ls=32)) == "4x0x4, lre, groups of 32"


def test_the_opencl_default_schedule_is_the_untuned_build(pruned: onnx.ModelProto) -> None:
    """The reference a GPU trial is timed against is the build `patcc compile --target
    opencl` makes without a log: the same kernels and launch plan."""
    from patcc.driver import CompileOptions, emit_model
    from patcc.tune.apply import ScheduleSource, fixed

    def files(schedules: ScheduleSource | None) -> tuple[bytes, list[object]]:
        options = CompileOptions(target="opencl", patterns=None, schedules=schedules)
        emitted = emit_model(pruned, options)
        return emitted.files["model.cl"], json.loads(emitted.files["model.json"])["launch"]

    untuned = files(None)
    assert files(fixed(GPU_DEFAULT)) == untuned
    assert files(fixed(replace(GPU_DEFAULT, ow=2))) != untuned


@pytest.mark.parametrize("target", ["neon", "neon-c"])
def test_tuning_the_neon_target_is_a_one_line_error(
    pruned: onnx.ModelProto, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """A neon build runs here under qemu-aarch64 (a process a run) or SIMDe: its times
    would key an x86 CPU's log with schedules no Arm core was measured on."""
    onnx.save(pruned, tmp_path / "m.onnx")
    log = tmp_path / "log.jsonl"
    args = ["tune", str(tmp_path / "m.onnx"), "--no-prune", "--target", target]
    assert main([*args, "--log", str(log)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"tuning the {target} target" in err[0]
    assert not log.exists()
    with pytest.raises(PatccError, match="unknown C target 'arm'"):
        TuneOptions("arm").check()
    TuneOptions("x86-c").check()  # the x86 target by its C name


def test_tuning_opencl_on_a_thread_count_is_a_one_line_error(
    pruned: onnx.ModelProto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    onnx.save(pruned, tmp_path / "m.onnx")
    log = tmp_path / "log.jsonl"
    args = ["tune", str(tmp_path / "m.onnx"), "--no-prune", "--target", "opencl"]
    assert main([*args, "--threads", "2", "--log", str(log)]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "threads 2: the opencl target's work items" in err[0]
    assert not log.exists()


def test_the_summary_names_the_knobs_off_their_defaults() -> None:
    assert describe(DEFAULT) == "1x0x2, lre"
    assert describe(Schedule(2, 4, 1, False, 8, -1, 1)) == "2x4x1, no lre, vl 8, rb all, hints"
    assert describe(Schedule(1, 0, 2, rb=16, pf=-1)) == "1x0x2, lre, rb 16, no hints"
    assert describe(Schedule(st=1)).endswith("lre, input-stationary")
    assert describe(Schedule(st=-1)).endswith("lre, per filter")
    assert describe(Schedule(st=1, sr=4)).endswith("lre, input-stationary, 4 tile rows")
    best = Schedule(1, 3, 3, pf=1).as_dict()
    row = {"schedule": best, "ms": 1.0, "default_ms": 1.1, "trials": 9}
    table = summary_table({"conv_11": row, "conv_2": {**row, "schedule": None, "ms": None}})
    assert table.startswith("| layer | best schedule (oc x oh x ow, lre, the knobs off their")
    assert "| conv_11 | 1x3x3, lre, hints | 1.000 | 1.100 | 1.10x | 9 |" in table
    assert "| conv_2 | - |  | 1.100 |  | 9 |" in table


def test_log_round_trip_skips_torn_lines(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    log = TuningLog(path)
    key = Key("sig", "x86", CPU, 1, 8)
    log.append(Record(key, DEFAULT, 2.0, "conv"))
    log.append(Record(key, Schedule(2, 2, 1, False), 1.5, "conv"))
    log.append(Record(key, Schedule(1, 1, 1, True), None, "conv", "did not build"))
    with path.open("a") as f:
        f.write('{"key": {"signature": "torn')  # a run stopped mid-write
    again = TuningLog(path)
    assert again.records == log.records
    assert again.best(key) == Schedule(2, 2, 1, False)
    assert again.best(Key("sig", "x86", "another cpu", 1, 8)) is None  # keyed by CPU too


def test_a_file_that_is_not_a_tuning_log_is_an_error(tmp_path: Path) -> None:
    """A model or a CSV passed as the log would have compiled untuned without a word (or
    stopped with a UnicodeDecodeError); a log whose only line is torn still opens, empty."""
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07\x12\xe9\xff binary")
    (tmp_path / "t.csv").write_text("layer,ms\nconv,1.5\n")
    (tmp_path / "torn.jsonl").write_text('{"key": {"signature": "to')
    (tmp_path / "folder").mkdir()
    with pytest.raises(PatccError, match=r"model.onnx: not a tuning log \(not text"):
        TuningLog(tmp_path / "model.onnx")
    with pytest.raises(PatccError, match=r"t.csv: not a tuning log \(no record"):
        TuningLog(tmp_path / "t.csv")
    with pytest.raises(PatccError, match=r"folder: cannot read the tuning log"):
        TuningLog(tmp_path / "folder")
    assert TuningLog(tmp_path / "torn.jsonl").records == []


@pytest.fixture(scope="module")
def pruned() -> onnx.ModelProto:
    return prune(tiny_conv(16, 16), patterns=4, connectivity=1.5)


def test_tuning_without_optuna_is_a_one_line_error(
    pruned: onnx.ModelProto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """optuna is an optional extra (`patcc[tune]`): where it is missing, `patcc tune` says so
    in one line, before any work, instead of a ModuleNotFoundError from the first search."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "optuna" else find_spec(name, *a),
    )
    calls, measure = recorder()
    with pytest.raises(PatccError, match=r"tuning needs optuna.*pip install 'patcc\[tune\]'"):
        tune(pruned, TuningLog(tmp_path / "log.jsonl"), TuneOptions(budget_s=0.0), measure=measure)
    assert calls == []
    onnx.save(pruned, tmp_path / "m.onnx")
    assert main(["tune", str(tmp_path / "m.onnx"), "--no-prune", "--log", str(tmp_path / "l")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs optuna" in err[0]


def test_tune_searches_logs_and_resumes(
    pruned: onnx.ModelProto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    scratch = tmp_path / "scratch"  # the system temp folder: the trial builds go there
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    calls, measure = recorder()
    log = TuningLog(tmp_path / "log.jsonl")
    options = TuneOptions(budget_s=0.0, min_trials=12)
    summary = tune(pruned, log, options, measure=measure, cpu=CPU)
    assert calls[0] == DEFAULT and len(calls) == len(set(calls)) == 12
    assert all(valid(s, options.length) for s in calls)
    assert any(s.vl for s in calls) and any(s.rb for s in calls)  # the whole space is searched
    (layer,) = summary.values()
    assert layer["ms"] == min(map(fake_ms, calls)) and layer["default_ms"] == fake_ms(DEFAULT)
    # resume: the logged trials count, nothing is measured again, the search goes on; the
    # default is asked for once, as the anchor of today's times (see the next test)
    calls.clear()
    resume(pruned, log, measure, 15)
    assert len(calls) == 4 and calls.count(DEFAULT) == 1
    assert not set(calls) - {DEFAULT} & {r.schedule for r in log.records}
    assert len(TuningLog(log.path).records) == 15
    assert not list(scratch.iterdir())  # and are removed at the end


def test_tune_of_a_block_shared_layer_keeps_its_filter_tile(tmp_path: Path) -> None:
    """A block-pruned layer: no trial varies oc, and a log written before that rule (oc
    varied) resumes: its trials are points of the search, not measured again."""
    shared = prune(tiny_conv(16, 8), patterns=4, connectivity=1.5, block=4)
    calls, measure = recorder()
    log = TuningLog(tmp_path / "log.jsonl")
    tune(shared, log, TuneOptions(budget_s=0.0, min_trials=10), measure=measure, cpu=CPU)
    assert len(calls) == len(set(calls)) == 10 and {s.oc for s in calls} == {DEFAULT.oc}
    (key,) = {r.key for r in log.records}
    old = [Schedule(4, 2, 2, True, 0, 8), Schedule(8, 2, 2, True, 0, 8)]  # one point
    for ms, s in zip((1.25, 0.5), old, strict=True):
        log.append(Record(key, s, ms, "conv"))
    calls.clear()
    resume(shared, log, measure, 14)
    point = searched(old[0], 4)
    assert calls and point not in calls and {s.oc for s in calls} == {DEFAULT.oc}
    assert calls.count(DEFAULT) == 1  # the anchor of the resumed run


def test_resumed_tune_anchors_its_times_to_the_logged_default(
    pruned: onnx.ModelProto, tmp_path: Path
) -> None:
    """A run on another day finds the machine 2x slower: its trials are logged in the first
    run's units (scaled by logged default / today's default), so they rank fairly against
    the first run's."""
    log = TuningLog(tmp_path / "log.jsonl")
    first = TuneOptions(budget_s=0.0, min_trials=5)
    tune(pruned, log, first, measure=lambda m, s: fake_ms(s), cpu=CPU)
    before = {r.schedule for r in log.records}
    resume(pruned, log, lambda m, s: 2 * fake_ms(s), 10)
    later = [r for r in TuningLog(log.path).records if r.schedule not in before]
    assert later and all(r.ms == pytest.approx(fake_ms(r.schedule)) for r in later)


def test_tile_conv_takes_the_layer_schedule(pruned: onnx.ModelProto) -> None:
    from patcc.frontend import import_model, make_context
    from patcc.passes.tile_conv import TileConvPass
    from patcc.pipelines import patdnn
    from patcc.runtime.layer_report import layer_report
    from patcc.tune.apply import fixed, set_schedules

    module = import_model(pruned)
    ctx = make_context()
    for p in patdnn(4, 1.0, tiles=None, lre=False).passes:
        if p.name == "lower-to-loops":  # as the driver: on the tensor-level op
            rows = layer_report(module)
            assert len(set_schedules(rows, module, fixed(Schedule(2, 3, 1, False)))) == 1
        p.apply(ctx, module)
    TileConvPass(oc=4, oh=4, ow=2).apply(ctx, module)
    tiles = {
        op.attributes["pat.loop"].data: op.attributes["pat.tile"].value.data
        for op in module.walk()
        if isinstance(op.attributes.get("pat.loop"), StringAttr)
        and isinstance(op.attributes.get("pat.tile"), IntegerAttr)
    }
    assert tiles == {"filters": 2, "rows": 3}  # ow = 1: the cols loop is left as it is
    assert not any(
        "pat.unroll" in op.attributes for op in module.walk() if isinstance(op, scf.ForOp)
    )


def test_a_log_for_other_keys_says_why_it_gives_no_schedule(tmp_path: Path) -> None:
    """A log tuned on 2 threads keys nothing of a 1-thread build (the bench looks up its
    first thread count): `miss` names what differs, and is empty where the keys agree."""
    from patcc.tune.apply import LogSchedules

    log = TuningLog(tmp_path / "log.jsonl")
    assert LogSchedules(log, "x86", "CPU A", 1, 16).miss() == "the log has no records"
    log.append(Record(Key("sig", "x86", "CPU A", 2, 16), Schedule(1, 0, 2, True), 1.0))
    assert LogSchedules(log, "x86", "CPU A", 2, 16).miss() == ""
    assert LogSchedules(log, "x86", "CPU A", 1, 16).miss() == (
        "its records are for threads 2 (here 1)"
    )
    other = LogSchedules(log, "x86", "CPU B", 1, 8).miss()
    assert other == (
        "its records are for CPU CPU A (here CPU B); threads 2 (here 1); vector length 16 (here 8)"
    )
    log.append(Record(Key("sig", "x86", "CPU B", 2, 8), Schedule(1, 0, 2, True), 1.0))
    assert "other combinations" in LogSchedules(log, "x86", "CPU B", 2, 16).miss()
    assert LogSchedules(log, "x86", "CPU A", 0, 16).miss() == (
        "its records are for threads 2 (here the default (all cores))"
    )


def test_compile_takes_logged_schedules_without_measuring(
    pruned: onnx.ModelProto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from patcc.bench.run import cpu_model

    model_path, log_path = tmp_path / "m.onnx", tmp_path / "log.jsonl"
    onnx.save(pruned, str(model_path))
    log = TuningLog(log_path)
    best = Schedule(2, 2, 1, True, st=-1)  # per filter (the rule runs it input-stationary)
    real = compiled_measure(TuneOptions(), tmp_path / "work", repeat=3)(pruned, best)
    assert real > 0

    def measure(model: onnx.ModelProto, s: Schedule) -> float:
        return real if s == best else real * 2

    tune(pruned, log, TuneOptions(budget_s=0.0, min_trials=3), measure=measure, cpu=cpu_model())
    log.append(Record(log.records[0].key, best, real, "conv"))
    out = tmp_path / "build"
    args = ["compile", str(model_path), "-o", str(out), "--no-prune", "--tuning-log", str(log_path)]
    assert main(args) == 0
    assert "tuned schedules: 1 layer(s)\n" in capsys.readouterr().out
    (row,) = [r for r in json.loads((out / "report.json").read_text())["layers"] if "tuned" in r]
    assert row["tuned"] == best.as_dict()
    # the same log for a build on another thread count: untuned, and it says why
    assert main([*args, "--threads", "3"]) == 0
    printed = capsys.readouterr().out
    # the log's records: threads 0, `patcc compile`'s default (all cores)
    assert log.records[0].key.threads == 0
    want = "tuned schedules: 0 layer(s) (its records are for threads the default (all cores)"
    assert f"{want} (here 3))" in printed
    assert row["schedule"]["tiles"] == {"filters": 2, "rows": 2}
    from patcc.runtime import CompiledModel

    x = np.random.default_rng(0).standard_normal((1, 16, 16, 16), dtype=np.float32)
    import onnxruntime as ort

    expected = ort.InferenceSession(pruned.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(
        CompiledModel(out).run({"x": x})["y"], expected, rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize(
    ("vendor", "pf", "hinted"),
    [
        ("AuthenticAMD", 1, True),
        ("AuthenticAMD", 0, False),
        ("GenuineIntel", 0, True),
        ("GenuineIntel", -1, False),
    ],
)
def test_a_tuned_pf_decides_the_layers_hints(
    pruned: onnx.ModelProto,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    vendor: str,
    pf: int,
    hinted: bool,
) -> None:
    """A layer's `pf` reaches the built C whatever the host's rule: 1 hints the layer where
    the rules are off (an AMD host), -1 leaves it unhinted where they are on (Intel, whose
    rules hint this layer's whole-row tiles), 0 follows the host; the outputs match ONNX
    Runtime either way."""
    import importlib

    import onnxruntime as ort

    from patcc.driver import compile as compile_model
    from patcc.tune.apply import fixed

    emit_module = importlib.import_module("patcc.targets.emit")
    monkeypatch.setattr(emit_module, "host_cpu_vendor", lambda: vendor)
    schedule = Schedule(1, 2, 4, True, pf=pf)  # 16 wide at 4 lanes: 4 vectors, whole rows
    model = compile_model(
        pruned, patterns=None, vector_length=4, out_dir=tmp_path / "b", schedules=fixed(schedule)
    )
    assert ("__builtin_prefetch(" in (tmp_path / "b" / "model.c").read_text()) == hinted
    x = np.random.default_rng(0).standard_normal((1, 16, 16, 16), dtype=np.float32)
    expected = ort.InferenceSession(pruned.SerializeToString()).run(None, {"x": x})[0]
    np.testing.assert_allclose(model.run({"x": x})["y"], expected, rtol=1e-4, atol=1e-4)


def test_compiled_measure_times_trials_against_the_default(
    pruned: onnx.ModelProto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default schedule is built and timed once per layer (its time is the reference);
    a trial's time is that reference times its ratio to the default in one round-robin, so
    a slower machine minute scales both. Trial builds are removed, the reference kept; a
    trial whose source was built before is neither built nor timed."""
    from patcc.bench import timing

    real = timing.interleave
    calls: list[set[str]] = []

    def skewed(runners, repeat, **kw):  # type: ignore[no-untyped-def]
        """Runs both for real, then reports the trial twice as slow as the default."""
        calls.append(set(runners))
        real(runners, repeat, **kw)
        return {"trial": [2e-3] * repeat, "default": [1e-3] * repeat}

    monkeypatch.setattr(timing, "interleave", skewed)
    from patcc import driver

    built: list[Path] = []
    real_build = driver.build_model

    def counted(emitted, out_dir=None):  # type: ignore[no-untyped-def]
        built.append(Path(out_dir))
        return real_build(emitted, out_dir)

    monkeypatch.setattr(driver, "build_model", counted)
    measure = compiled_measure(TuneOptions(), tmp_path / "work", repeat=3)
    base = measure(pruned, DEFAULT)
    assert base > 0 and measure(pruned, DEFAULT) == base  # timed once, then reused
    assert not calls  # the default alone is not interleaved with anything
    trial = measure(pruned, Schedule(2, 2, 1, True, st=-1))  # the default: input-stationary
    assert trial == pytest.approx(2 * base)
    assert calls == [{"trial", "default"}]
    # a knob this 16x16 layer ignores (its 16 rows make one block anyway) gives the same
    # C: that trial's time, neither compiled by gcc nor timed again
    same = Schedule(2, 2, 1, True, rb=16, st=-1)
    assert measure(pruned, same) == trial and measure(pruned, replace(DEFAULT, rb=-1)) == base
    assert len(calls) == 1 and [p.name for p in built] == ["reference0", "trial1"]
    assert [p.name for p in (tmp_path / "work").iterdir()] == ["reference0"]


def test_block_shared_layers_have_their_own_log_key() -> None:
    """A block-pruned layer runs the shared-group nest: its schedules must not be taken for
    (or from) the per-filter layer of the same shape and kept-kernel count."""
    from patcc.frontend import import_model, make_context
    from patcc.pipelines import patdnn
    from patcc.runtime.layer_report import layer_report
    from patcc.tune.space import signature

    def conv_row(block: int) -> dict[str, object]:
        module = import_model(prune(tiny_conv(), patterns=4, connectivity=2.0, block=block))
        ctx = make_context()
        for p in patdnn(4, 1.0, to_loops=False, group_size=4).passes:
            p.apply(ctx, module)
        (row,) = [r for r in layer_report(module) if str(r["op"]).startswith("pat.")]
        return row

    per_kernel, shared = conv_row(1), conv_row(4)
    assert per_kernel["shared_group"] == 1 and shared["shared_group"] == 4
    assert per_kernel["kernels_kept"] == shared["kernels_kept"]
    assert signature(shared) == signature(per_kernel) + " shared 4"
