"""`patcc profile`: per-layer times of x86 builds inside the whole model.

A small pruned net (conv, relu, max pool, conv, flatten, gemm) is compiled once; the
profile must time exactly the layer functions the build defines, in call order, leave the
model's results unchanged, run two builds side by side, and refuse bad input in one line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import make_model
from onnx import helper

import patcc
from patcc.bench.layer_profile import Instrumented, profile, table
from patcc.errors import PatccError
from patcc.runtime.loader import CompiledModel

PATCC = Path(sys.executable).parent / "patcc"


def _net() -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    w1 = rng.standard_normal((16, 3, 3, 3), dtype=np.float32)
    w2 = rng.standard_normal((16, 16, 3, 3), dtype=np.float32)
    fc = rng.standard_normal((10, 16 * 8 * 8), dtype=np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Flatten", ["r2"], ["f"]),
        helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1),
    ]
    return make_model(nodes, {"x": (1, 3, 16, 16)}, {"y": (1, 10)}, {"w1": w1, "w2": w2, "fc": fc})


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profile") / "build"
    patcc.compile(_net(), target="x86", out_dir=out)
    return out


def _defined_layers(build: Path) -> list[str]:
    """The layer functions model.c defines, in the order it defines (and calls) them."""
    return re.findall(r"^static void (layer\d+_\w+)\(", (build / "model.c").read_text(), re.M)


def test_profile_times_every_layer_in_call_order(build: Path) -> None:
    result = profile([build], runs=3)
    (times,) = result.times
    layers = _defined_layers(build)
    assert list(times) == layers
    assert any("pool" in n for n in layers) and any("conv" in n for n in layers)
    assert all(np.isfinite(ms) and ms > 0 for ms in times.values())
    text = table(result, peak=100.0)
    for name in layers:
        assert name in text
    assert "GFLOP/s" in text and "% of peak" in text


def test_the_clocks_leave_the_results_alone(build: Path, tmp_path: Path) -> None:
    clocked = Instrumented(build, tmp_path / "copy", threads=1)
    plain = CompiledModel(build, threads=1)
    got = clocked()
    want = plain.run(clocked.feed)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


def test_cli_profiles_two_builds_in_turns(build: Path, tmp_path: Path) -> None:
    out = tmp_path / "profile.json"
    res = subprocess.run(
        [str(PATCC), "profile", str(build), str(build), "--runs", "3", "--json", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["layer", "0", "1"]
    sums = [line for line in lines if line.startswith("sum ")]
    assert len(sums) == 1 and sums[0].rstrip().endswith("x")
    data = json.loads(out.read_text())
    assert data["threads"] == 1 and data["runs"] == 3
    assert [list(b["layers_ms"]) for b in data["builds"]] == [_defined_layers(build)] * 2
    for b in data["builds"]:
        assert b["sum_ms"] == pytest.approx(sum(b["layers_ms"].values()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "{missing}: no such build folder"),
        (["{file}"], "{file}: a file, not a build folder (`patcc compile -o DIR` writes one)"),
        (
            ["{empty}"],
            "{empty}: not an x86 build folder (no model.c, model.json, weights.bin, Makefile)",
        ),
        (["{build}", "--runs", "65"], "runs must be 1..64, got 65"),
        (["{build}", "--threads", "0"], "threads must be >= 1, got 0"),
        (["{build}", "--peak", "0"], "--peak must be > 0, got 0.0"),
    ],
)
def test_cli_bad_input_is_one_line(
    build: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "model.onnx").write_bytes(b"")
    paths = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "build": build}
    paths["file"] = tmp_path / "model.onnx"
    out = tmp_path / "never.json"
    argv = [a.format(**paths) for a in args] + ["--json", str(out)]
    res = subprocess.run([str(PATCC), "profile", *argv], capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip() == f"patcc profile: error: {message.format(**paths)}"
    assert not out.exists()


def test_a_folder_of_another_target_is_refused(build: Path, tmp_path: Path) -> None:
    """An opencl build has model.cl and no Makefile; a folder whose Makefile builds no
    libmodel.so is no x86 build either."""
    cl = tmp_path / "cl"
    cl.mkdir()
    for name in ("model.cl", "model.json", "weights.bin"):
        (cl / name).write_bytes(b"")
    with pytest.raises(PatccError, match=r"cl: not an x86 build folder \(no model.c, Makefile\)"):
        profile([cl])
    other = tmp_path / "other"
    other.mkdir()
    for name in ("model.c", "model.json", "weights.bin"):
        (other / name).write_bytes((build / name).read_bytes())
    (other / "Makefile").write_text("all:\n\tgcc -O3 model.c -o model\n")
    with pytest.raises(
        PatccError, match=re.escape("not an x86 build (its Makefile builds no libmodel.so)")
    ):
        profile([other])
