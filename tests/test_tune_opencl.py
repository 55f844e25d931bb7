"""`patcc tune --target opencl` on an OpenCL device (PoCL on CI): the log keys its records by
the device, every schedule of the GPU space builds kernels that match ONNX Runtime with the
work-group size it asks for, and `patcc compile --target opencl --tuning-log` takes the
fastest without measuring."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import pytest
from bench_helpers import tiny_conv
from conftest import make_model
from hypothesis import example, given, settings
from hypothesis import strategies as st
from onnx import helper

from patcc.cli import main
from patcc.compression.onnx_prune import prune
from patcc.errors import PatccError
from patcc.runtime.opencl_runner import OPTIONS_ENV, opencl_devices
from patcc.targets.opencl_target import LOCAL_SIZE
from patcc.tune.log import TuningLog
from patcc.tune.space import GPU_DEFAULT, Schedule, default, space


@cache
def _has_device() -> bool:
    try:
        return bool(opencl_devices())
    except PatccError:
        return False


pytestmark = pytest.mark.skipif(
    not _has_device(),
    reason="no OpenCL device (install pyopencl and an OpenCL driver, e.g. pocl-opencl-icd)",
)


@pytest.fixture(autouse=True)
def _quick_kernel_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    """PoCL's kernel compiles dominate; the layers here are tiny (as in test_opencl.py)."""
    monkeypatch.setenv(OPTIONS_ENV, "-cl-opt-disable")


@cache
def layer() -> onnx.ModelProto:
    return prune(tiny_conv(8, 16), patterns=4, connectivity=1.5)


@cache
def layer_input() -> np.ndarray:
    return np.random.default_rng(3).standard_normal((1, 8, 16, 16), dtype=np.float32)


@cache
def expected() -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(layer().SerializeToString())
    return session.run(None, {"x": layer_input()})[0]


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(space(1, 1, "opencl")))
@example(GPU_DEFAULT)
@example(Schedule(4, 1, 4, False, ls=32))
@example(Schedule(2, 8, 2, True, ls=256))
def test_every_gpu_schedule_matches_onnxruntime(schedule: Schedule) -> None:
    """The tuner may pick any point of the GPU space: each builds, runs on the device equal
    to ONNX Runtime, and launches the conv's kernels in work groups of its `ls` (0: the
    target's)."""
    from patcc.driver import CompileOptions, build_model, emit_model
    from patcc.tune.apply import fixed

    options = CompileOptions(target="opencl", patterns=None, schedules=fixed(schedule))
    with tempfile.TemporaryDirectory() as out:
        built = build_model(emit_model(layer(), options), Path(out))
        got = built.run({"x": layer_input()})["y"]
        launch = json.loads((Path(out) / "model.json").read_text())["launch"]
    np.testing.assert_allclose(got, expected(), rtol=1e-4, atol=1e-4)
    kernels = [step for step in launch if step["kind"] != "copy"]
    assert kernels and {tuple(step["local"]) for step in kernels} == {(schedule.ls or LOCAL_SIZE,)}


def test_tune_on_the_device_then_compile_with_its_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from patcc.tune.tuner import measured_on

    model, log_path, out = tmp_path / "m.onnx", tmp_path / "log.jsonl", tmp_path / "build"
    onnx.save(layer(), model)
    tune = ["tune", str(model), "--no-prune", "--target", "opencl", "--log", str(log_path)]
    assert main([*tune, "--budget", "0"]) == 0  # the default and one other schedule
    records = TuningLog(log_path).records
    keys = {(r.key.target, r.key.cpu, r.key.threads, r.key.vector_length) for r in records}
    assert keys == {("opencl", measured_on("opencl"), 0, 1)}
    assert len(records) >= 2 and default("opencl") in {r.schedule for r in records}
    assert all(r.ms is not None and r.ms > 0 for r in records)
    best = TuningLog(log_path).best(records[0].key)
    assert best is not None
    capsys.readouterr()
    build = ["compile", str(model), "-o", str(out), "--target", "opencl", "--no-prune"]
    assert main([*build, "--tuning-log", str(log_path)]) == 0
    assert "tuned schedules: 1 layer(s)\n" in capsys.readouterr().out
    (row,) = [r for r in json.loads((out / "report.json").read_text())["layers"] if "tuned" in r]
    assert row["tuned"] == best.as_dict()
    from patcc.runtime import CompiledModel

    got = CompiledModel(out).run({"x": layer_input()})["y"]
    np.testing.assert_allclose(got, expected(), rtol=1e-4, atol=1e-4)


def test_a_dense_stem_rewritten_by_the_target_leaves_the_pattern_convs_tuned() -> None:
    """The opencl target's graph passes put ops in front of the layers the schedules are
    looked up for (the first layer's input repeated in one `nn.concat`, the dense stem conv
    as `pat.conv2d`): the pattern conv after them still takes its schedule, as a VGG-16
    does (before, the new ops stopped the pairing and no layer was tuned)."""
    from patcc.driver import CompileOptions, build_model, emit_model
    from patcc.tune.apply import fixed

    rng = np.random.default_rng(4)
    weights = {
        "w1": rng.standard_normal((8, 3, 3, 3), dtype=np.float32),
        "w2": rng.standard_normal((8, 8, 3, 3), dtype=np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["h"], name="stem", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Conv", ["r", "w2"], ["y"], name="conv", pads=[1, 1, 1, 1]),
    ]
    shape = (1, 3, 16, 16)
    dense = make_model(nodes, {"x": shape}, {"y": (1, 8, 16, 16)}, weights)
    model = prune(dense, patterns=4, connectivity=1.5)
    schedule = Schedule(2, 2, 2, True, ls=64)
    options = CompileOptions(target="opencl", patterns=None, schedules=fixed(schedule))
    emitted = emit_model(model, options)
    tuned = [(row["op"], row["tuned"]) for row in emitted.report["layers"] if "tuned" in row]
    assert tuned == [("pat.fkw_conv2d", schedule.as_dict())]
    launch = json.loads(emitted.files["model.json"])["launch"]
    conv = [step for step in launch if str(step.get("layer", "")).startswith("fkw_conv2d")]
    assert conv and {tuple(step["local"]) for step in conv} == {(64,)}
    x = rng.standard_normal(shape, dtype=np.float32)
    import onnxruntime as ort

    want = ort.InferenceSession(model.SerializeToString()).run(None, {"x": x})[0]
    with tempfile.TemporaryDirectory() as out:
        got = build_model(emitted, Path(out)).run({"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
