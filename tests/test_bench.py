"""`patcc bench` and its parts. Benchmarks are not timed tests: structure, not speed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from bench_helpers import tiny_conv

from patcc.bench.layers import conv_layers
from patcc.bench.report import table
from patcc.bench.timing import interleave, robust_stats
from patcc.cli import main
from patcc.models import vgg_style


def test_robust_stats_drops_outliers() -> None:
    s = robust_stats([0.010, 0.011, 0.010, 0.012, 0.011, 0.500])
    assert s.dropped == 1 and s.samples == 6
    assert 10.0 <= s.median_ms <= 12.0 and s.min_ms == pytest.approx(10.0)


def test_interleave_round_robin_order() -> None:
    """Warm-up in order, then rounds that each start with the next runner."""
    calls: list[str] = []
    runners = {n: (lambda n=n: calls.append(n)) for n in "abc"}
    samples = interleave(runners, 4, warmup=1)
    assert "".join(calls) == "abc" + "abc" + "bca" + "cab" + "abc"
    assert {k: len(v) for k, v in samples.items()} == {"a": 4, "b": 4, "c": 4}


def test_interleave_settles_before_each_call_outside_the_timing() -> None:
    import time

    stamps: list[float] = []
    start = time.perf_counter()
    samples = interleave(
        {"a": lambda: stamps.append(time.perf_counter())}, 3, warmup=0, settle_s=0.05
    )
    gaps = np.diff([start, *stamps])
    assert (gaps >= 0.05).all()  # each call waited
    assert max(samples["a"]) < 0.05  # and the wait is not in its time


def test_conv_layers_are_single_conv_models() -> None:
    model = vgg_style()
    layers = conv_layers(model)
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    assert len(layers) == len(convs)
    for layer in layers:
        onnx.checker.check_model(layer.model)
        assert [n.op_type for n in layer.model.graph.node] == ["Conv"]
        assert layer.nonzero_macs > 0


def test_bench_command_writes_json_and_png(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    scratch = tmp_path / "scratch"  # the system temp folder, during the bench
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_conv(), str(path))
    out_json, out_png = tmp_path / "b.json", tmp_path / "b.png"
    args = [str(path), "--peers", "ort,deepsparse", "--repeat", "3", "--json", str(out_json)]
    assert main(["bench", *args, "--block", "2", "--png", str(out_png)]) == 0
    result = json.loads(out_json.read_text())
    assert result["block"] == 2  # pruned in blocks of 2 filters, and compiled so
    run = result["runs"][0]
    assert set(run["results"]) == {"patcc", "ort"} and "deepsparse" in run["skipped"]
    assert run["results"]["ort"]["max_rel_diff"] < 1e-4  # the same model, the same answer
    assert result["compile"]["total_s"] > 0 and result["peak_gflops"]["1"] > 0
    assert run["sgemm_gflops"] > 0 and result["compile"]["emit_s"] > 0
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    printed = capsys.readouterr().out
    assert (
        "| 1 | patcc |" in printed
        and "| deepsparse |" in printed
        and "skipped: not installed (make deepsparse, then --peer-python deepsparse=" in printed
    )
    assert "blocks of 2 filters" in printed
    assert table(result) in printed
    assert np.isfinite(run["results"]["patcc"]["median_ms"])
    assert not list(scratch.iterdir())  # its builds and converted models are removed


@pytest.mark.parametrize(
    ("missing", "extra_args", "says"),
    [("threadpoolctl", [], "patcc bench (its sgemm peak) needs threadpoolctl"),
     ("matplotlib", ["--png", "b.png"], "--png needs matplotlib")],
)  # fmt: skip
def test_bench_without_its_extra_is_a_one_line_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    missing: str,
    extra_args: list[str],
    says: str,
) -> None:
    """threadpoolctl and matplotlib come with `patcc[bench]`: without them the bench says so
    in one line before compiling anything, not with a traceback after minutes of work."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == missing else find_spec(name, *a),
    )
    monkeypatch.chdir(tmp_path)
    onnx.save(tiny_conv(), str(tmp_path / "tiny.onnx"))
    assert main(["bench", "tiny.onnx", "--peers", "ort", *extra_args]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and "pip install 'patcc[bench]'" in err[0]
    assert not (tmp_path / "b.png").exists()


def test_bench_runs_tuned_and_untuned_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from patcc.bench.run import cpu_model
    from patcc.compression.onnx_prune import prune
    from patcc.tune.log import TuningLog
    from patcc.tune.space import Schedule
    from patcc.tune.tuner import TuneOptions, tune

    model = tiny_conv(16, 8)
    best = Schedule(2, 2, 1, True)
    log = TuningLog(tmp_path / "log.jsonl")  # the schedules a tune run on 1 thread would log
    tune(
        prune(model, patterns=8, connectivity=3.6),  # what the bench prunes, as it prunes it
        log,
        TuneOptions(threads=1, budget_s=0.0, min_trials=2),
        measure=lambda _, s: 1.0 if s == best else 2.0,
        cpu=cpu_model(),
    )
    path, out_json = tmp_path / "tiny.onnx", tmp_path / "b.json"
    onnx.save(model, str(path))
    onnx.save(prune(model, patterns=8, connectivity=3.6), str(tmp_path / "pruned.onnx"))
    args = [str(path), "--peers", "ort", "--repeat", "3", "--json", str(out_json)]
    assert main(["bench", *args, "--tuning-log", str(log.path)]) == 0
    result = json.loads(out_json.read_text())
    results = result["runs"][0]["results"]
    assert list(results) == ["patcc", "patcc-tuned", "ort"]
    assert results["patcc-tuned"]["max_rel_diff"] < 1e-5  # same model, another schedule
    assert result["tuned_layers"] == 1 and result["tuned_compile"]["total_s"] > 0
    assert "tuned_miss" not in result
    printed = capsys.readouterr().out
    assert "| tuned speed-up |" in printed and "| 1 | patcc-tuned |" in printed

    # the same log for a bench whose first thread count is 2: no schedule, and why
    from patcc.bench.run import BenchOptions, compile_patcc

    options = BenchOptions(threads=(2, 1), tuning_log=log.path)
    _, report = compile_patcc(tmp_path / "pruned.onnx", options, tmp_path / "b2", tuned=True)
    assert report["tuning_miss"] == "its records are for threads 1 (here 2)"
    missed = {**result, "tuned_layers": 0, "tuned_miss": report["tuning_miss"]}
    assert (
        "patcc-tuned: layers with tuned schedules: 0 (its records are for threads 1 (here 2);"
        " the bench looks up its first thread count)." in table(missed)
    )


def test_mnn_converter_runs_in_the_work_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MNN's converter leaves a weights-sized scratch file in its working directory: it
    runs in the bench's work folder, never the user's, with the model paths absolute."""
    import subprocess

    from patcc.bench import peers

    user, work = tmp_path / "user", tmp_path / "work"
    user.mkdir()
    work.mkdir()
    (user / "model.onnx").write_bytes(b"onnx")
    seen: dict[str, object] = {}

    def converter(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        cwd = Path(str(kwargs["cwd"]))
        (cwd / ".__convert_external_data.bin").write_bytes(b"scratch")
        model = Path(cmd[cmd.index("--modelFile") + 1])
        seen["model"] = model.read_bytes()  # found from the converter's own folder
        Path(cmd[cmd.index("--MNNModel") + 1]).write_bytes(b"mnn")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.chdir(user)
    monkeypatch.setattr(peers.subprocess, "run", converter)
    peers._mnn_convert(Path("model.onnx"), work / "model.mnn")
    assert seen["model"] == b"onnx"
    assert (work / "model.mnn").read_bytes() == b"mnn"
    assert sorted(p.name for p in user.iterdir()) == ["model.onnx"]
