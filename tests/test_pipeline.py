"""The named `patdnn` pipeline: Python object, `patcc pipeline` string, and xdsl-opt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_outputs_close, model_inputs, run_ort
from xdsl.dialects import vector

import patcc
from patcc.dialects.pat.fkw import FkwConv2dOp
from patcc.fileio import module_text, read_module
from patcc.frontend import import_model, make_context
from patcc.models import FAMILIES
from patcc.pipelines import Tiles, patdnn, pipeline_string
from patcc.semantics import run_function

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("family", ["vgg", "resnet", "yolo", "unet"])
def test_patdnn_pipeline_matches_onnxruntime_on_pruned_model(family: str) -> None:
    """import(pruned ONNX) -> patdnn pipeline to FKW -> interpreter == ONNX Runtime(pruned).

    The pruned model's patterns are recognised losslessly and connectivity at the same rate
    removes nothing more, so the FKW-level IR must compute the pruned model exactly. (The
    whole pipeline, to loop level, is checked the same way in test_lower_pattern_conv.py.)"""
    pruned = patcc.prune(FAMILIES[family](), patterns=8, connectivity=3.6)
    module = import_model(pruned)
    patdnn(8, 3.6, to_loops=False).apply(make_context(), module)
    module.verify()
    assert any(isinstance(op, FkwConv2dOp) for op in module.walk())
    inputs = model_inputs(pruned)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


def _pipeline_spec(*options: str) -> str:
    return subprocess.run(
        [str(BIN / "patcc"), "pipeline", "patdnn", *options],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_pipeline_string_drives_xdsl_opt_to_loop_level(tmp_path: Path) -> None:
    """`xdsl-opt model.mlir -p "$(patcc pipeline patdnn)"` takes an imported model to loop
    level (tiled, LRE'd); the result is what the Python pipeline makes and computes what the
    FKW-level module does."""
    model = FAMILIES["vgg"]()
    path = tmp_path / "m.mlir"
    path.write_text(module_text(import_model(model)))
    spec = _pipeline_spec("--patterns", "8", "--connectivity", "3.6")
    assert spec == pipeline_string(patdnn(8, 3.6))
    assert "tile-conv" in spec and "eliminate-load-redundancy" in spec
    res = subprocess.run(
        [str(BIN / "xdsl-opt"), str(path), "-p", spec], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr[-2000:]

    # The Python pipeline gives the same IR as xdsl-opt with the printed string.
    module = import_model(model)
    patdnn(8, 3.6).apply(make_context(), module)
    assert module_text(module).strip() == res.stdout.strip()

    # ... and that IR, read back as patcc run-ir does, computes what the FKW level does.
    fkw = import_model(model)
    patdnn(8, 3.6, to_loops=False).apply(make_context(), fkw)
    path.write_text(res.stdout)
    loops = read_module(path)
    assert not any(isinstance(op, FkwConv2dOp) for op in loops.walk())
    assert any(isinstance(op, vector.FMAOp) for op in loops.walk())
    inputs = model_inputs(model)
    assert_outputs_close(run_function(loops, inputs), run_function(fkw, inputs))


def test_pipeline_options_reach_the_string() -> None:
    assert _pipeline_spec("--to", "fkw") == pipeline_string(patdnn(to_loops=False))
    spec = _pipeline_spec("--vector-length", "4", "--tile-oh", "2", "--no-lre")
    assert spec == pipeline_string(patdnn(vector_length=4, tiles=Tiles(oh=2), lre=False))
    assert (
        "lower-to-loops{vector_length=4 shared_groups=true halos=true shared_min_items=0 row_blocks=true pads_in_one_nest=false pool_rows=true input_stationary=0 input_stationary_bytes=0 input_stationary_filter_bytes=0 gemm_filters=0}"
        in spec
        and "tile-conv{oc=4 oh=2 ow=2 min_items=0}" in spec
    )
    assert "tile-conv" not in _pipeline_spec("--no-tile")
    assert "pool_rows=true input_stationary=6 input_stationary_bytes=0 input" in _pipeline_spec(
        "--input-stationary", "6"
    )
    assert "input_stationary_bytes=65536 input_stationary_filter_bytes=32768 gemm" in (
        _pipeline_spec(
            "--input-stationary",
            "6",
            "--input-stationary-bytes",
            "65536",
            "--input-stationary-filter-bytes",
            "32768",
        )
    )
    gpu = _pipeline_spec(
        "--vector-length", "1", "--tile-oc", "1", "--tile-ow", "1", "--tile-min-items", "65536"
    )  # the opencl target's tiles
    assert "tile-conv{oc=1 oh=0 ow=1 min_items=65536}" in gpu


def test_pipeline_rejects_negative_min_items() -> None:
    res = subprocess.run(
        [str(BIN / "patcc"), "pipeline", "patdnn", "--tile-min-items", "-1"],
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "patcc pipeline: error: --tile-min-items must be >= 0, got -1"


def test_block_option_makes_the_fkr_groups_the_blocks() -> None:
    """--block N prunes in blocks of N filters; reorder-filters then groups N filters (the
    blocks) and tile-conv tiles a group, unless --group-size says otherwise."""
    spec = _pipeline_spec("--block", "2")
    assert spec == pipeline_string(patdnn(block=2))
    assert "block=2}" in spec and "prune-connectivity{rate=3.6 block=2}" in spec
    assert "reorder-filters{group_size=2}" in spec and "tile-conv{oc=2 " in spec
    assert "reorder-filters{group_size=8}" in _pipeline_spec("--block", "2", "--group-size", "8")
    assert "reorder-filters{group_size=4}" in pipeline_string(patdnn(block=1))


def test_pipeline_bad_option_is_one_line() -> None:
    res = subprocess.run(
        [str(BIN / "patcc"), "pipeline", "patdnn", "--connectivity", "0.9"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "rate must be" in res.stderr
