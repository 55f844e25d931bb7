"""Pruning end to end: `patcc.prune` / `patcc prune`, and the prune-patterns /
prune-connectivity passes against ONNX Runtime on the pruned ONNX model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, make_model, model_inputs, run_ort
from onnx import helper, numpy_helper
from xdsl.dialects.builtin import ModuleOp

import patcc
from patcc.compression.onnx_prune import prune_with_report
from patcc.compression.patterns import check_pattern_fit, dense_from_pattern
from patcc.compression.plan import PruneOptions
from patcc.compression.prune_report import format_prune_report
from patcc.constants import constant_value
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.pat.conv import PatConv2dOp, ids_array
from patcc.driver import compression_passes
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.models import FAMILIES
from patcc.passes.prune_connectivity import PruneConnectivityPass
from patcc.passes.prune_patterns import SKIP_ATTR, PrunePatternsPass
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.semantics import run_function

PATCC = [sys.executable, "-m", "patcc.cli"]


def _conv_weights(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    inits = {t.name: t for t in model.graph.initializer}
    return {
        n.name: numpy_helper.to_array(inits[n.input[1]])
        for n in model.graph.node
        if n.op_type == "Conv" and n.input[1] in inits
    }


def _is_eligible(w: np.ndarray, group_one: bool = True) -> bool:
    return w.shape[2:] == (3, 3) and w.shape[1] > 4 and group_one


@pytest.mark.parametrize("family", ["vgg", "resnet", "yolo"])
def test_pruned_onnx_matches_pruned_ir(family: str) -> None:
    """interpreter(pruned IR) == ONNX Runtime(pruned ONNX); the IR conversion is lossless."""
    model = FAMILIES[family]()
    pruned = patcc.prune(model, patterns=8, connectivity=3.6)
    onnx.checker.check_model(pruned)
    module = import_model(pruned)
    PrunePatternsPass(num_patterns=8).apply(make_context(), module)
    module.verify()
    pat_convs = [op for op in module.walk() if isinstance(op, PatConv2dOp)]
    assert pat_convs, "no conv became a pattern conv"
    inputs = model_inputs(pruned)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


@pytest.mark.parametrize("block", [1, 4])
def test_ir_passes_equal_onnx_prune(block: int) -> None:
    """prune-patterns + prune-connectivity on the IR make the same decisions as patcc.prune
    (VGG-style: no BatchNorm, so the IR weights are the ONNX weights)."""
    model = FAMILIES["vgg"]()
    module = import_model(model)
    ctx = make_context()
    PrunePatternsPass(num_patterns=8, block=block).apply(ctx, module)
    PruneConnectivityPass(rate=3.6, block=block).apply(ctx, module)
    module.verify()
    pruned = patcc.prune(model, patterns=8, connectivity=3.6, block=block)
    onnx_weights = [w for w in _conv_weights(pruned).values() if _is_eligible(w)]
    for op, weight in zip(_pat_convs(module), onnx_weights, strict=True):
        dense = dense_from_pattern(ids_array(op.ids), _values(op), op.patterns.data)
        np.testing.assert_array_equal(dense, weight)
    inputs = model_inputs(model)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


@pytest.mark.parametrize("block", [1, 4])
def test_batchnorm_models_prune_as_compile_does(block: int) -> None:
    """A conv with a BatchNorm after it: `patcc.compile` folds the BatchNorm at import and
    prunes the folded weights, so `patcc.prune` decides on them too (its BatchNorm scales
    spread over 0.05-4 here: ranking the unfolded weights chose other kernels). The pruned
    model, imported (folded), holds exactly the weights the IR passes leave, and ORT on it
    computes what the pruned IR does."""
    model = FAMILIES["resnet"]()
    rng = np.random.default_rng(7)
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "BatchNormalization":
            tensor = inits[node.input[1]]
            spread = rng.uniform(0.05, 4.0, tensor.dims).astype(np.float32)
            scaled = numpy_helper.to_array(tensor) * spread
            tensor.CopyFrom(numpy_helper.from_array(scaled, tensor.name))
    module = import_model(model)  # fold-batchnorm runs at import
    ctx = make_context()
    PrunePatternsPass(num_patterns=8, block=block).apply(ctx, module)
    PruneConnectivityPass(rate=3.6, block=block).apply(ctx, module)
    pruned = patcc.prune(model, patterns=8, connectivity=3.6, block=block)
    folded = import_model(pruned)
    weights = [constant_value(op.weight) for op in folded.walk() if isinstance(op, Conv2dOp)]
    eligible = [w for w in weights if w is not None and _is_eligible(w)]
    convs = _pat_convs(module)
    assert len(convs) == len(eligible) > 3
    for op, weight in zip(convs, eligible, strict=True):
        dense = dense_from_pattern(ids_array(op.ids), _values(op), op.patterns.data)
        np.testing.assert_array_equal(dense, weight)
    inputs = model_inputs(model)
    assert_outputs_close(run_function(module, inputs), run_ort(pruned, inputs))


def _pat_convs(module: ModuleOp) -> list[PatConv2dOp]:
    return [op for op in module.walk() if isinstance(op, PatConv2dOp)]


def _values(op: PatConv2dOp) -> np.ndarray:
    values = constant_value(op.values)
    assert values is not None
    return values


def test_block_pruned_model_is_recognised_per_block() -> None:
    """prune(block=4) -> compile's import and detection (patterns=None) -> ids identical in
    each block of 4 filters, weights bit-exact. A zeroed kernel inside a kept unit stays in
    its unit (per kernel it would become removed, -1, unlike its block mates)."""
    model, report = prune_with_report(FAMILIES["vgg"](), PruneOptions(block=4))
    assert "blocks of 4 filters" in format_prune_report(report)
    name, weight = next((n, w) for n, w in _conv_weights(model).items() if _is_eligible(w))
    first, c = np.argwhere(weight.reshape(*weight.shape[:2], 9).any(axis=2))[0]
    assert first % 4 == 0  # the first kept kernel: its unit (first's block, c) is kept
    o = first + 1  # a block mate
    weight = weight.copy()
    weight[o, c] = 0.0
    init = next(n.input[1] for n in model.graph.node if n.name == name)
    tensor = next(t for t in model.graph.initializer if t.name == init)
    tensor.CopyFrom(numpy_helper.from_array(weight, init))
    module = import_model(model)
    passes = compression_passes(module, None, 3.6, 8)
    assert [p.block for p in passes if isinstance(p, PrunePatternsPass)] == [4]
    assert [p.group_size for p in passes if isinstance(p, ReorderFiltersPass)] == [4]
    passes[0].apply(make_context(), module)
    convs = _pat_convs(module)
    assert len(convs) == 3
    eligible = [w for w in _conv_weights(model).values() if _is_eligible(w)]
    for op, weight in zip(convs, eligible, strict=True):
        ids = ids_array(op.ids)
        assert (ids.reshape(-1, 4, ids.shape[1]) == ids[::4, None]).all()
        dense = dense_from_pattern(ids, _values(op), op.patterns.data)
        np.testing.assert_array_equal(dense, weight)
    assert ids_array(convs[0].ids)[o, c] >= 0
    with pytest.raises(PatccError, match="not pruned in blocks of 8"):
        compression_passes(import_model(model), None, 3.6, 8, block=8)


def test_vgg_like_compression_is_about_8x() -> None:
    """K = 8 keeps 4/9 of each kernel, rate 3.6 keeps 1/3.6 of the kernels: 8.1x."""
    model = FAMILIES["vgg"]()
    before = _conv_weights(model)
    after = _conv_weights(patcc.prune(model, patterns=8, connectivity=3.6))
    pruned = [n for n, w in before.items() if _is_eligible(w)]
    assert pruned
    dense = sum(np.count_nonzero(before[n]) for n in pruned)
    kept = sum(np.count_nonzero(after[n]) for n in pruned)
    assert 7.5 <= dense / kept <= 8.7, dense / kept
    for name, w in after.items():
        if name in pruned:
            kernels = w.reshape(-1, 9)
            assert (np.count_nonzero(kernels, axis=1) <= 4).all()
            assert (kernels[:, 4] != 0).sum() == np.count_nonzero(kernels.any(axis=1))
        else:
            np.testing.assert_array_equal(w, before[name])  # untouched


def test_prune_is_deterministic_and_idempotent() -> None:
    model = FAMILIES["resnet"]()
    once = patcc.prune(model).SerializeToString()
    assert patcc.prune(model).SerializeToString() == once
    twice = patcc.prune(onnx.ModelProto.FromString(once)).SerializeToString()
    assert twice == once


def test_existing_patterns_are_kept_exactly() -> None:
    """A model pruned elsewhere (here: by patcc at K=4) is recognised, not re-pruned at K=8."""
    model = patcc.prune(FAMILIES["vgg"](), patterns=4, connectivity=2.0)
    module = import_model(model)
    PrunePatternsPass(num_patterns=8).apply(make_context(), module)
    convs = [op for op in module.walk() if isinstance(op, PatConv2dOp)]
    assert convs and all(len(op.patterns.data) <= 4 for op in convs)
    again = patcc.prune(model, patterns=8, connectivity=3.6 / 3.6)
    for name, w in _conv_weights(again).items():
        np.testing.assert_array_equal(w, _conv_weights(model)[name])
    for op in convs:
        assert check_pattern_fit(np.zeros((1, 1, 3, 3)), op.patterns.data).lossless
        assert (ids_array(op.ids) >= -1).all()


def test_skip_reasons_are_in_the_ir() -> None:
    module = import_model(FAMILIES["mobilenet"]())
    PrunePatternsPass().apply(make_context(), module)
    reasons = [
        op.attributes[SKIP_ATTR].data
        for op in module.walk()
        if isinstance(op, Conv2dOp) and SKIP_ATTR in op.attributes
    ]
    assert any("depthwise" in r for r in reasons)
    assert any("1x1 kernel" in r for r in reasons)
    assert any("first layer" in r for r in reasons)


def _dynamic_batch_model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1], name="c1"),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Conv", ["b", "w2"], ["y"], pads=[1, 1, 1, 1], name="c2"),
    ]
    return make_model(nodes, {"x": ["N", 3, 8, 8]}, {"y": ["N", 8, 8, 8]}, {"w1": w1, "w2": w2})


def test_cli_prune_with_dynamic_dims_and_report(tmp_path: Path) -> None:
    src, out, png = tmp_path / "m.onnx", tmp_path / "p.onnx", tmp_path / "p.png"
    onnx.save(_dynamic_batch_model(), src)
    res = subprocess.run(
        [
            *PATCC,
            "prune",
            str(src),
            "-o",
            str(out),
            "--connectivity",
            "2",
            "--report",
            "--plot",
            str(png),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "c2" in res.stdout and "total (pruned layers)" in res.stdout
    assert "first layer" in res.stdout  # c1 has 3 input channels
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    w2 = _conv_weights(onnx.load(out))["c2"].reshape(-1, 9)
    assert np.count_nonzero(w2.any(axis=1)) == 32  # round(64 / 2)
    x = {"x": np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype(np.float32)}
    run_ort(onnx.load(out), x)  # loads and runs in ONNX Runtime at batch 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patterns", "0"], "K must be in 1..56"),
        (["--patterns", "57"], "K must be in 1..56"),
        (["--connectivity", "0.5"], "rate must be a number >= 1"),
        (["--block", "0"], "block must be an integer >= 1"),
    ],
)
def test_cli_prune_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    src, out = tmp_path / "m.onnx", tmp_path / "p.onnx"
    onnx.save(_dynamic_batch_model(), src)
    res = subprocess.run(
        [*PATCC, "prune", str(src), "-o", str(out), *args], capture_output=True, text=True
    )
    assert res.returncode == 2
    assert message in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


def test_cli_prune_no_eligible_conv_and_bad_file(tmp_path: Path) -> None:
    w = np.ones((4, 3, 1, 1), np.float32)
    model = make_model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="pointwise")],
        {"x": [1, 3, 4, 4]},
        ["y"],
        {"w": w},
        opset=onnx.defs.onnx_opset_version(),
    )
    src, out = tmp_path / "m.onnx", tmp_path / "p.onnx"
    onnx.save(model, src)
    res = subprocess.run(
        [*PATCC, "prune", str(src), "-o", str(out)], capture_output=True, text=True
    )
    assert res.returncode == 2 and "no conv is eligible" in res.stderr and "pointwise" in res.stderr
    assert not out.exists()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not onnx")
    res = subprocess.run(
        [*PATCC, "prune", str(bad), "-o", str(out)], capture_output=True, text=True
    )
    assert res.returncode == 2 and "not a readable ONNX model" in res.stderr
    assert not out.exists()
    with pytest.raises(PatccError, match="no conv is eligible"):
        patcc.prune(model)


def test_passes_by_name_through_xdsl_opt(tmp_path: Path) -> None:
    """The passes are registered with xdsl-opt through the universe entry point."""
    from patcc.fileio import module_text

    module: ModuleOp = import_model(FAMILIES["vgg"]())
    path = tmp_path / "m.mlir"
    path.write_text(module_text(module))
    xdsl_opt = Path(sys.executable).parent / "xdsl-opt"
    res = subprocess.run(
        [
            str(xdsl_opt),
            str(path),
            "-p",
            "prune-patterns{num-patterns=4},prune-connectivity{rate=2.0},dce",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.count("pat.conv2d") >= 2 and "nn.conv2d" in res.stdout
