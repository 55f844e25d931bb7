"""`patcc.compile` end to end: every model family, pruned and dense, compiled for x86 (and
neon through SIMDe and qemu-aarch64) matches ONNX Runtime on the same ONNX model."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, make_model, model_inputs, run_ort
from onnx import helper, numpy_helper

import patcc
from patcc.lowering.shared_groups import SHARED_GROUP
from patcc.models import FAMILIES
from patcc.models.vgg import vgg16
from patcc.runtime import CompiledModel
from patcc.runtime.builder import artifact_commands, compile_artifact

NAMES = sorted(FAMILIES)
QEMU_FAMILIES = ["resnet", "vgg"]


# MobileNetV3 has no conv that pattern pruning applies to (depthwise, 1x1, 5x5 and the
# 3-channel first layer): it is tested dense only.
PRUNABLE = [n for n in NAMES if n != "mobilenet"]


@cache
def family_model(name: str, variant: str) -> onnx.ModelProto:
    """The family's test model, or its weights pattern-pruned by `patcc.prune` (an ordinary
    ONNX model: the reference for the pruned build)."""
    model = FAMILIES[name]()
    if variant == "dense":
        return model
    return patcc.prune(model, patterns=8, connectivity=2.0)


def best_variant(name: str) -> str:
    return "pruned" if name in PRUNABLE else "dense"


_BUILDS: dict[tuple[str, str, str], Path] = {}


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory):
    """Compile each (family, variant, target) once for all tests that run it."""

    def get(name: str, variant: str, target: str = "x86") -> Path:
        key = (name, variant, target)
        if key not in _BUILDS:
            out = tmp_path_factory.mktemp(f"{name}-{variant}-{target}") / "build"
            # patterns=None: dense weights stay dense, pruned ones are recognised losslessly
            patcc.compile(family_model(name, variant), target=target, patterns=None, out_dir=out)
            _BUILDS[key] = out
        return _BUILDS[key]

    return get


def check_against_onnxruntime(model: CompiledModel, onnx_model: onnx.ModelProto) -> None:
    inputs = model_inputs(onnx_model)
    assert_outputs_close(model.run(inputs), run_ort(onnx_model, inputs))


@pytest.mark.parametrize(
    ("name", "variant"), [*((n, "pruned") for n in PRUNABLE), *((n, "dense") for n in NAMES)]
)
def test_x86_matches_onnxruntime(builds, name: str, variant: str) -> None:
    check_against_onnxruntime(CompiledModel(builds(name, variant)), family_model(name, variant))


@pytest.mark.parametrize("name", NAMES)
def test_neon_through_simde_matches_onnxruntime(builds, name: str) -> None:
    variant = best_variant(name)
    model = CompiledModel(builds(name, variant, "neon"), simde=True)
    check_against_onnxruntime(model, family_model(name, variant))


@pytest.mark.parametrize("name", QEMU_FAMILIES)
def test_neon_aarch64_under_qemu_matches_onnxruntime(builds, name: str) -> None:
    model = CompiledModel(builds(name, "pruned", "neon"))
    check_against_onnxruntime(model, family_model(name, "pruned"))


def test_pruned_weights_are_compiled_as_patterns_bit_exact(builds) -> None:
    report = json.loads((builds("vgg", "pruned") / "report.json").read_text())
    pattern_layers = [r for r in report["layers"] if r["op"].startswith("pat.")]
    assert pattern_layers and report["patterns"] is None
    for row in pattern_layers:
        assert 0 < row["kernels_kept"] < row["kernels_total"]
        assert row["nonzero_macs"] < row["macs"] and "schedule" in row
    dense = json.loads((builds("vgg", "dense") / "report.json").read_text())
    assert not any(r["op"].startswith("pat.") for r in dense["layers"])
    blob = np.fromfile(builds("vgg", "pruned") / "weights.bin", dtype=np.float32)
    for init in family_model("vgg", "pruned").graph.initializer:
        weight = numpy_helper.to_array(init)
        if weight.ndim == 4:  # every kept conv weight is in the blob, bit for bit
            assert np.isin(weight[weight != 0], blob).all(), init.name


def test_classifier_layers_skip_zero_inputs(builds) -> None:
    """The C targets' graph pass (skip-zero-inputs): the vgg family's one-row gemms run as
    gemvs that skip zero inputs (its outputs match ONNX Runtime above), and the report
    still pairs them with their gemm rows."""
    build = builds("vgg", "pruned")
    assert "gemv_skip_zeros" in (build / "model.c").read_text()
    report = json.loads((build / "report.json").read_text())
    gemms = [r for r in report["layers"] if r["op"] == "nn.gemm"]
    assert gemms and all(r.get("schedule", {}).get("parallel") for r in gemms)


def test_compile_prunes_like_patcc_prune(tmp_path: Path) -> None:
    """patterns=8 prunes inside the compiler; a model without BatchNorm gets the same weights
    as `patcc.prune` gives the ONNX model."""
    model = FAMILIES["vgg"]()
    compiled = patcc.compile(model, patterns=8, connectivity=2.0, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, family_model("vgg", "pruned"))


def test_model_file_with_external_data(tmp_path: Path) -> None:
    """A model file whose weights lie in a separate file (onnx's external data) compiles
    from its path as from the loaded model: the importer maps the file and then loads the
    external data as onnx.load does."""
    model = FAMILIES["vgg"]()
    path = tmp_path / "m" / "model.onnx"
    path.parent.mkdir()
    saved = onnx.ModelProto()
    saved.CopyFrom(model)  # onnx.save moves the weights of the proto it saves out of it
    onnx.save(saved, path, save_as_external_data=True, location="weights.data")
    assert (path.parent / "weights.data").stat().st_size > path.stat().st_size
    compiled = patcc.compile(path, patterns=None, out_dir=tmp_path / "b")
    check_against_onnxruntime(compiled, model)


def test_compiling_does_not_import_the_interpreter(tmp_path: Path) -> None:
    """A compile (import -> emitted source, in a fresh interpreter) loads neither
    patcc's interpreter nor xDSL's interpreters package (~0.3 s of imports that the bench
    counted as compile time); `patcc.run_function` still loads them on first use."""
    path = tmp_path / "m.onnx"
    onnx.save(FAMILIES["vgg"](), path)
    script = (
        "import sys; from patcc.driver import emit_model, CompileOptions\n"
        f"emit_model({str(path)!r}, CompileOptions(patterns=8, connectivity=2.0))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('xdsl.interpreters', "
        "'patcc.semantics.interpret'))))\n"
        "import patcc; patcc.run_function\n"
        "print('patcc.semantics.interpret' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["[]", "True"], done.stdout + done.stderr


def test_thread_counts_give_identical_outputs(builds) -> None:
    model = CompiledModel(builds("resnet", "pruned"))
    inputs = model_inputs(family_model("resnet", "pruned"))
    one, two = model.run(inputs, threads=1), model.run(inputs, threads=2)
    for name in one:
        np.testing.assert_array_equal(one[name], two[name])


def small_cnn() -> onnx.ModelProto:
    """Conv 3->8, Relu, Conv 8->8 (pattern-pruned), Relu, MaxPool, Gemm: every kind of layer
    the big families have, small enough to build with sanitizers in seconds."""
    rng = np.random.default_rng(0)
    inits = {
        "w0": rng.standard_normal((8, 3, 3, 3)).astype(np.float32),
        "w1": rng.standard_normal((8, 8, 3, 3)).astype(np.float32),
        "b1": rng.standard_normal(8).astype(np.float32),
        "fc": rng.standard_normal((128, 10)).astype(np.float32),
        "shape": np.array([1, 128], dtype=np.int64),
    }
    nodes = [
        helper.make_node("Conv", ["input", "w0"], ["c0"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c0"], ["r0"]),
        helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Reshape", ["p1", "shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc"], ["output"]),
    ]
    return make_model(nodes, {"input": [1, 3, 8, 8]}, ["output"], inits)


def test_sanitized_build_runs_clean(tmp_path: Path) -> None:
    """A model's C and the standalone harness under AddressSanitizer + UBSan."""
    onnx_model = patcc.prune(small_cnn(), patterns=4, connectivity=2.0)
    folder = patcc.compile(onnx_model, patterns=None, out_dir=tmp_path / "b").build_dir
    meta = json.loads((folder / "model.json").read_text())
    flags = [*meta["cflags"], "-O1", "-g"]
    harness = next(a for a in artifact_commands("x86", flags) if a.name == "model")
    exe = compile_artifact(folder, harness, ["-fsanitize=address,undefined"])
    inputs = model_inputs(onnx_model)
    inputs["input"].tofile(tmp_path / "in.bin")
    proc = subprocess.run(
        [
            str(exe),
            str(folder / "weights.bin"),
            "2",
            str(tmp_path / "in.bin"),
            str(tmp_path / "out.bin"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"},
        timeout=300,
    )
    assert proc.returncode == 0 and not proc.stderr, proc.stderr[-3000:]
    got = np.fromfile(tmp_path / "out.bin", dtype=np.float32).reshape(meta["outputs"][0]["shape"])
    assert_outputs_close({"output": got}, run_ort(onnx_model, inputs))


@pytest.mark.parametrize("prune_first", [True, False])
def test_block_pruning_compiles_and_matches_onnxruntime(tmp_path: Path, prune_first: bool) -> None:
    """Block pruning (blocks of 4 filters) through the driver: pruned by `patcc.prune` and
    recognised (patterns=None finds the block), or pruned by `compile(block=4)` itself;
    the build computes what ONNX Runtime computes on `patcc.prune(block=4)`'s model."""
    model = FAMILIES["vgg"]()  # no BatchNorm: the IR's weights are the ONNX weights
    pruned = patcc.prune(model, patterns=8, connectivity=2.0, block=4)
    if prune_first:
        compiled = patcc.compile(pruned, patterns=None, out_dir=tmp_path / "b")
    else:
        compiled = patcc.compile(model, connectivity=2.0, block=4, out_dir=tmp_path / "b")
    report = json.loads((compiled.build_dir / "report.json").read_text())
    assert report["block"] == 4
    check_against_onnxruntime(compiled, pruned)


def test_blocks_larger_than_a_shared_group_run_as_its_sub_groups(tmp_path: Path) -> None:
    """A block of 32 filters (whole layers of the test VGG) is one FKR group of 32 with one
    kernel list: the lowering feeds sub-groups of SHARED_GROUP filters from each load, not
    32 accumulators per vector (VGG-16 `--block 512` ran out of time in the compiler), and
    computes what ONNX Runtime computes on the block-pruned model."""
    model = FAMILIES["vgg"]()
    pruned = patcc.prune(model, patterns=8, connectivity=2.0, block=32)
    compiled = patcc.compile(model, connectivity=2.0, block=32, out_dir=tmp_path / "b")
    report = json.loads((compiled.build_dir / "report.json").read_text())
    shared = [layer["shared_group"] for layer in report["layers"] if "shared_group" in layer]
    assert shared and set(shared) == {SHARED_GROUP}, report["layers"]
    check_against_onnxruntime(compiled, pruned)


def test_blocks_that_leave_one_filter_keep_each_layer_whole(tmp_path: Path) -> None:
    """Blocks of 3 filters leave a one-filter group in each 64/256-filter conv of VGG-16:
    canonicalize inlines its one-trip loop unlabelled, and CSE merges its pure ops with the
    next conv's. The build used to stop with "a value of 'memref.load' is used by another
    layer" (`patcc bench --block 3`); its layers must stay one function each, and compute
    what ONNX Runtime computes."""
    model = vgg16(size=32)
    pruned = patcc.prune(model, patterns=8, connectivity=3.6, block=3)
    compiled = patcc.compile(model, connectivity=3.6, block=3, out_dir=tmp_path / "b")
    source = (compiled.build_dir / "model.c").read_text()
    names = re.findall(r"^static void layer\d+_(\w+)\(", source, flags=re.MULTILINE)
    assert len(names) > 13 and len(names) == len(set(names)), names
    check_against_onnxruntime(compiled, pruned)
