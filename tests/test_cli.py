"""The `patcc` command as a user runs it: results match ONNX Runtime, and every bad input is
one line on stderr, exit code 2, and no output file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, make_model, model_inputs, run_ort
from onnx import helper

from patcc.fileio import write_npz
from patcc.models import vgg_style

PATCC = Path(sys.executable).parent / "patcc"


def patcc(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PATCC), *map(str, args)], capture_output=True, text=True, timeout=timeout
    )


def assert_user_error(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit code 2, exactly one line on stderr that mentions every word, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    return lines[0]


def conv_model(batch: int | str = 1, extra: onnx.NodeProto | None = None) -> onnx.ModelProto:
    """input [batch,3,8,8] -> Conv 3x3 (4 filters) -> output; optionally one more node."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal(108).astype(np.float32).reshape(4, 3, 3, 3)
    nodes = [helper.make_node("Conv", ["input", "w"], ["conv"], pads=[1, 1, 1, 1])]
    out_name, out_shape = "conv", [batch, 4, 8, 8]
    if extra is not None:
        nodes.append(extra)
        out_name, out_shape = extra.output[0], None
    return make_model(nodes, {"input": [batch, 3, 8, 8]}, {out_name: out_shape}, {"w": w})


def save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.save(model, str(path))
    return path


# ---- the good path ------------------------------------------------------------------------


def test_import_and_run_ir_match_onnxruntime(tmp_path: Path) -> None:
    model = vgg_style()
    inputs = model_inputs(model)
    write_npz(tmp_path / "in.npz", inputs)
    ir = tmp_path / "model.mlir"
    proc = patcc("import", save(model, tmp_path / "m.onnx"), "-o", ir)
    assert proc.returncode == 0, proc.stderr
    assert "nn.conv2d" in ir.read_text()
    proc = patcc("run-ir", ir, "--inputs", tmp_path / "in.npz", "--outputs", tmp_path / "o.npz")
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "o.npz") as out:
        assert_outputs_close(dict(out), run_ort(model, inputs))


def test_dynamic_dim_with_input_shape(tmp_path: Path) -> None:
    model = conv_model(batch="N")
    out = tmp_path / "m.mlir"
    proc = patcc(
        "import", save(model, tmp_path / "m.onnx"), "-o", out, "--input-shape", "input=2x3x8x8"
    )
    assert proc.returncode == 0, proc.stderr
    assert "tensor<2x3x8x8xf32>" in out.read_text()


@pytest.fixture(scope="module")
def demo_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo caches its build: one folder for both demo tests, none in the user's home."""
    return tmp_path_factory.mktemp("cache")


def test_demo_small_size_passes(demo_cache: Path) -> None:
    proc = subprocess.run(
        [str(PATCC), "demo", "--size", "32"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "XDG_CACHE_HOME": str(demo_cache)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "PASS"
    assert any("conv2d_13" in line.split() for line in lines)
    assert any("total" in line for line in lines)


def test_demo_without_onnxruntime_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo_cache: Path
) -> None:
    from patcc.demo import run_demo

    monkeypatch.setenv("XDG_CACHE_HOME", str(demo_cache))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    assert run_demo(size=32) == 0
    out = capsys.readouterr().out
    assert "onnxruntime is not installed" in out and "comparison skipped" in out
    assert "PASS" not in out


# ---- user mistakes: one line, exit code 2, no output file ----------------------------------


def test_demo_size_too_small() -> None:
    assert_user_error(patcc("demo", "--size", "16"), "--size 16")


def test_missing_model_file(tmp_path: Path) -> None:
    out = tmp_path / "m.mlir"
    assert_user_error(patcc("import", tmp_path / "nope.onnx", "-o", out), "nope.onnx")
    assert not out.exists()


def test_corrupt_onnx(tmp_path: Path) -> None:
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07this is not a protobuf\xff\xfe" * 10)
    out = tmp_path / "m.mlir"
    assert_user_error(patcc("import", bad, "-o", out), "bad.onnx")
    assert not out.exists()


@pytest.mark.parametrize(
    "node",
    [
        helper.make_node("Einsum", ["conv"], ["y"], equation="nchw->nhwc"),
        helper.make_node("Det", ["conv"], ["y"]),
    ],
    ids=["Einsum", "Det"],
)
def test_unsupported_operator(tmp_path: Path, node: onnx.NodeProto) -> None:
    out = tmp_path / "m.mlir"
    model = save(conv_model(extra=node), tmp_path / "m.onnx")
    assert_user_error(patcc("import", model, "-o", out), node.op_type, "unsupported")
    assert not out.exists()


def test_dynamic_dim_without_input_shape(tmp_path: Path) -> None:
    out = tmp_path / "m.mlir"
    model = save(conv_model(batch="N"), tmp_path / "m.onnx")
    line = assert_user_error(patcc("import", model, "-o", out), "'input'", "--input-shape")
    assert "dimension 0" in line and "N" in line
    assert not out.exists()


def test_input_shape_for_unknown_input(tmp_path: Path) -> None:
    out = tmp_path / "m.mlir"
    model = save(conv_model(), tmp_path / "m.onnx")
    proc = patcc("import", model, "-o", out, "--input-shape", "images=1x3x8x8")
    assert_user_error(proc, "images", "input")
    assert not out.exists()


@pytest.mark.parametrize(
    ("spec", "rule"),
    [("input=2x4x8x8", "dimension 1 is 3 in the model"), ("input=2x3x8", "has rank 4")],
)
def test_input_shape_disagreeing_with_the_model(tmp_path: Path, spec: str, rule: str) -> None:
    out = tmp_path / "m.mlir"
    model = save(conv_model(batch="N"), tmp_path / "m.onnx")
    assert_user_error(patcc("import", model, "-o", out, "--input-shape", spec), rule)
    assert not out.exists()


@pytest.mark.parametrize("spec", ["input=1x3xAx8", "input", "=1x3x8x8", "input=1x0x8x8"])
def test_bad_input_shape_syntax(tmp_path: Path, spec: str) -> None:
    out = tmp_path / "m.mlir"
    model = save(conv_model(), tmp_path / "m.onnx")
    assert_user_error(patcc("import", model, "-o", out, "--input-shape", spec), spec)
    assert not out.exists()


@pytest.fixture
def conv_ir(tmp_path: Path) -> Path:
    ir = tmp_path / "conv.mlir"
    proc = patcc("import", save(conv_model(), tmp_path / "conv.onnx"), "-o", ir)
    assert proc.returncode == 0, proc.stderr
    return ir


def test_run_ir_wrong_input_shape(tmp_path: Path, conv_ir: Path) -> None:
    np.savez(tmp_path / "in.npz", input=np.zeros((1, 3, 9, 9), np.float32))
    out = tmp_path / "out.npz"
    proc = patcc("run-ir", conv_ir, "--inputs", tmp_path / "in.npz", "--outputs", out)
    assert_user_error(proc, "input", "(1, 3, 9, 9)", "(1, 3, 8, 8)")
    assert not out.exists()


def test_run_ir_invalid_ir_text(tmp_path: Path) -> None:
    ir = tmp_path / "bad.mlir"
    ir.write_text("func.func @main( {\n  this is not IR\n")
    np.savez(tmp_path / "in.npz", input=np.zeros((1, 3, 8, 8), np.float32))
    out = tmp_path / "out.npz"
    proc = patcc("run-ir", ir, "--inputs", tmp_path / "in.npz", "--outputs", out)
    assert_user_error(proc, "bad.mlir", "invalid IR")
    assert not out.exists()


def test_run_ir_ir_that_fails_verification(tmp_path: Path, conv_ir: Path) -> None:
    """A conv whose declared result shape disagrees with its operands (function consistent)."""
    text = conv_ir.read_text()
    assert "1x4x8x8" in text
    bad = tmp_path / "bad.mlir"
    bad.write_text(text.replace("1x4x8x8", "1x4x7x7"))
    np.savez(tmp_path / "in.npz", input=np.zeros((1, 3, 8, 8), np.float32))
    out = tmp_path / "out.npz"
    proc = patcc("run-ir", bad, "--inputs", tmp_path / "in.npz", "--outputs", out)
    assert_user_error(proc, "does not verify", "nn.conv2d")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["missing.onnx"], ["missing.onnx", "no such file"]),
        (["bad.onnx"], ["bad.onnx", "not a readable ONNX model"]),
        (["--size", "7"], ["--size 7", "too small"]),
        (["--threads", "1,0"], ["threads", ">= 1", "1,0"]),
        (["--repeat", "0"], ["repeat", ">= 1"]),
        (["--budget", "-1"], ["budget", ">= 0"]),
        (["--peers", "ort,onnxruntime"], ["unknown peer", "'onnxruntime'", "ort, mnn"]),
        (["--tuning-log", "missing.jsonl"], ["missing.jsonl", "no such tuning log"]),
        (["--tuning-log", "bad.onnx"], ["bad.onnx", "not a tuning log"]),
        (["--json", "nowhere/b.json"], ["nowhere/b.json", "does not exist"]),
        (["--png", "nowhere/b.png"], ["nowhere/b.png", "does not exist"]),
    ],
)
def test_bench_bad_arguments(tmp_path: Path, args: list[str], words: list[str]) -> None:
    """Caught before anything is compiled or timed (an output folder that is missing too:
    not after minutes of rounds)."""
    (tmp_path / "bad.onnx").write_bytes(b"not a protobuf")
    proc = subprocess.run(
        [str(PATCC), "bench", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_user_error(proc, *words)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--budget", "-1"], ["budget", ">= 0"]),
        (["--threads", "-2"], ["threads", ">= 1", "-2"]),
        (["--threads", "0"], ["threads", ">= 1", "0"]),  # as compile and run refuse it
        (["--vector-length", "0"], ["vector length 0", "1, 4, 8, 16"]),
        (["--vector-length", "3"], ["vector length 3", "1, 4, 8, 16"]),
    ],
)
def test_tune_bad_arguments(tmp_path: Path, args: list[str], words: list[str]) -> None:
    model = save(conv_model(), tmp_path / "m.onnx")
    log = tmp_path / "t.jsonl"
    assert_user_error(patcc("tune", model, "--log", log, *args), *words)
    assert not log.exists()
