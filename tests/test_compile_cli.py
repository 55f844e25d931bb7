"""`patcc compile` and `patcc run` as a user runs them: a round trip that matches ONNX
Runtime, and bad input that is one line on stderr, exit code 2, and no half-written output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, model_inputs, run_ort
from test_cli import PATCC, assert_user_error, patcc, save

import patcc as patcc_api
from patcc.fileio import read_npz, write_npz
from patcc.models import vgg_style


@pytest.fixture(scope="module")
def pruned_onnx(tmp_path_factory: pytest.TempPathFactory) -> tuple[onnx.ModelProto, Path]:
    model = patcc_api.prune(vgg_style(), patterns=4, connectivity=2.0)
    return model, save(model, tmp_path_factory.mktemp("m") / "vgg.onnx")


@pytest.fixture(scope="module")
def x86_build(pruned_onnx, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("b") / "out"
    proc = patcc("compile", pruned_onnx[1], "-o", out, "--target", "x86", "--no-prune")
    assert proc.returncode == 0, proc.stderr
    return out


def test_compile_and_run_round_trip(pruned_onnx, x86_build: Path, tmp_path: Path) -> None:
    model, _ = pruned_onnx
    inputs = model_inputs(model)
    write_npz(tmp_path / "in.npz", inputs)
    for name in ("model.c", "weights.bin", "model.json", "main.c", "Makefile", "report.json"):
        assert (x86_build / name).is_file(), name
    proc = patcc("run", x86_build, "--inputs", tmp_path / "in.npz", "--outputs", tmp_path / "o.npz")
    assert proc.returncode == 0, proc.stderr
    assert_outputs_close(read_npz(tmp_path / "o.npz"), run_ort(model, inputs))


def test_outputs_get_the_modes_of_plain_files(pruned_onnx, x86_build: Path, tmp_path: Path) -> None:
    """Outputs go through a private temporary file or folder (mkstemp's 0600, mkdtemp's
    0700) and then get what `open` and `mkdir` would have given, 0666 and 0777 less the
    umask; a replaced file keeps its own mode."""
    umask = os.umask(0o022)
    os.umask(umask)
    assert x86_build.stat().st_mode & 0o777 == 0o777 & ~umask
    write_npz(tmp_path / "in.npz", model_inputs(pruned_onnx[0]))
    out = tmp_path / "o.npz"
    for mode in (0o666 & ~umask, 0o640):
        if out.exists():
            out.chmod(mode)
        proc = patcc("run", x86_build, "--inputs", tmp_path / "in.npz", "--outputs", out)
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_mode & 0o777 == mode


def test_neon_compile_and_run_through_simde(pruned_onnx, tmp_path: Path) -> None:
    model, path = pruned_onnx
    out = tmp_path / "neon"
    proc = patcc("compile", path, "-o", out, "--target", "neon", "--no-prune", "--threads", "2")
    assert proc.returncode == 0, proc.stderr
    inputs = model_inputs(model)
    write_npz(tmp_path / "in.npz", inputs)
    proc = patcc(
        "run", out, "--inputs", tmp_path / "in.npz", "--outputs", tmp_path / "o.npz", "--simde"
    )
    assert proc.returncode == 0, proc.stderr
    assert_outputs_close(read_npz(tmp_path / "o.npz"), run_ort(model, inputs))


# ---- user mistakes: one line, exit code 2, nothing half-written ------------------------------


def test_unknown_target(pruned_onnx, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_user_error(patcc("compile", pruned_onnx[1], "-o", out, "--target", "tpu"), "'tpu'")
    assert list(tmp_path.iterdir()) == []


def test_missing_compiler_is_named(pruned_onnx, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path / "no-tools")}
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(PATCC), "compile", str(pruned_onnx[1]), "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert_user_error(proc, "gcc", "build-essential")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("target", "length", "widths"), [("x86", "3", "1, 4, 8, 16"), ("neon", "8", "1, 4")]
)
def test_vector_length_the_target_lacks(
    pruned_onnx, tmp_path: Path, target: str, length: str, widths: str
) -> None:
    """Named before the pipeline runs, not by the printer at the end of it."""
    args = ("-o", tmp_path / "o", "--target", target, "--vector-length", length)
    proc = patcc("compile", pruned_onnx[1], *args)
    assert_user_error(proc, f"vector length {length}", f"{target} target prints {widths}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("log", "message"), [("missing.jsonl", "no such tuning log"), ("m.onnx", "not a tuning log")]
)
def test_tuning_log_that_is_missing_or_not_one(
    pruned_onnx, tmp_path: Path, log: str, message: str
) -> None:
    """A typo in --tuning-log used to build untuned without a word (a model file: a
    UnicodeDecodeError traceback)."""
    shutil.copy(pruned_onnx[1], tmp_path / "m.onnx")
    proc = patcc(
        "compile", tmp_path / "m.onnx", "-o", tmp_path / "o", "--tuning-log", tmp_path / log
    )
    assert_user_error(proc, log, message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_no_prune_with_pattern_options(pruned_onnx, tmp_path: Path) -> None:
    proc = patcc("compile", pruned_onnx[1], "-o", tmp_path / "o", "--no-prune", "--patterns", "4")
    assert_user_error(proc, "--no-prune")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--block", "0"], "block must be an integer >= 1"),
        (["--no-prune", "--block", "4"], "not pruned in blocks of 4"),  # pruned per kernel
    ],
)
def test_bad_block(pruned_onnx, tmp_path: Path, args: list[str], message: str) -> None:
    proc = patcc("compile", pruned_onnx[1], "-o", tmp_path / "o", *args)
    assert_user_error(proc, message)
    assert list(tmp_path.iterdir()) == []


def test_wrong_input_shape_at_run(x86_build: Path, tmp_path: Path) -> None:
    write_npz(tmp_path / "in.npz", {"input": np.zeros((1, 3, 8, 8), np.float32)})
    out = tmp_path / "o.npz"
    proc = patcc("run", x86_build, "--inputs", tmp_path / "in.npz", "--outputs", out)
    assert_user_error(proc, "'input'", "1x3x8x8")
    assert not out.exists()


@pytest.mark.parametrize("threads", ["0", "-1"])
def test_run_with_a_thread_count_below_one(
    pruned_onnx, x86_build: Path, tmp_path: Path, threads: str
) -> None:
    """Named, as `compile --threads 0` is; the C entry point would take it as its default."""
    write_npz(tmp_path / "in.npz", model_inputs(pruned_onnx[0]))
    out = tmp_path / "o.npz"
    proc = patcc(
        "run", x86_build, "--inputs", tmp_path / "in.npz", "--outputs", out, "--threads", threads
    )
    assert_user_error(proc, "threads must be >= 1", threads)
    assert not out.exists()


def test_run_on_a_folder_that_is_no_build(tmp_path: Path) -> None:
    proc = patcc("run", tmp_path, "--inputs", tmp_path / "i.npz", "--outputs", tmp_path / "o.npz")
    assert_user_error(proc, "model.json")
