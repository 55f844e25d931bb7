"""The named `patdnn` pipeline: Python object, `patcc pipeline` string, and xdsl-opt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_outputs_close, model_inputs, run_ort

import patcc
from patcc.dialects.pat.fkw import FkwConv2dOp
from patcc.fileio import module_text
from patcc.frontend import import_model, make_context
from patcc.models import FAMILIES
from patcc.pipelines import patdnn, pipeline_string
from patcc.semantics import run_function

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("family", ["vgg", "resnet", "yolo", "unet"])
def test_patdnn_pipeline_matches_onnxruntime_on_pruned_model(family: str) -> None:
    """import(pruned ONNX) -> patdnn pipeline -> interpreter == ONNX Runtime(pruned ONNX).

    The pruned model's patterns are recognised losslessly and connectivity at the same rate
    removes nothing more, so the FKW-level IR must compute the pruned model exactly."""
    pruned = patcc.prune(FAMILIES[family](), patterns=8, connectivity=3.6)
    module = import_model(pruned)
    patdnn(8, 3.6).apply(make_context(), module)
    module.verify()
    assert any(isinstance(op, FkwConv2dOp) for op in module.walk())
    inputs = model_inputs(pruned)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


def test_pipeline_string_drives_xdsl_opt(tmp_path: Path) -> None:
    model = FAMILIES["vgg"]()
    path = tmp_path / "m.mlir"
    path.write_text(module_text(import_model(model)))
    spec = subprocess.run(
        [str(BIN / "patcc"), "pipeline", "patdnn", "--patterns", "8", "--connectivity", "3.6"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert spec == pipeline_string(patdnn(8, 3.6))
    res = subprocess.run(
        [str(BIN / "xdsl-opt"), str(path), "-p", spec], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "pat.fkw_conv2d" in res.stdout

    # The Python pipeline gives the same IR as xdsl-opt with the printed string.
    module = import_model(model)
    patdnn(8, 3.6).apply(make_context(), module)
    assert module_text(module).strip() == res.stdout.strip()


def test_pipeline_bad_option_is_one_line() -> None:
    res = subprocess.run(
        [str(BIN / "patcc"), "pipeline", "patdnn", "--connectivity", "0.9"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "rate must be" in res.stderr
