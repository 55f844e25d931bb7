"""Every model family end to end: valid ONNX, import, interpreter == ONNX Runtime, and the
imported IR round-trips through plain `xdsl-opt` (custom and generic syntax)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import assert_outputs_close, model_inputs, run_ort
from xdsl.dialects.builtin import ModuleOp

from patcc.fileio import module_text
from patcc.frontend import import_model
from patcc.models import FAMILIES, builtin_model, resnet50, unet_style, vgg16
from patcc.semantics import run_function

XDSL_OPT = Path(sys.executable).parent / "xdsl-opt"
NAMES = sorted(FAMILIES)


@cache
def family_model(name: str) -> onnx.ModelProto:
    return FAMILIES[name]()


@cache
def family_module(name: str) -> ModuleOp:
    return import_model(family_model(name))


def xdsl_opt(text: str, *args: str) -> str:
    """Run the real `xdsl-opt` executable (our dialects come in through the entry point)."""
    proc = subprocess.run(
        [str(XDSL_OPT), *args], input=text, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"xdsl-opt {' '.join(args)} failed:\n{proc.stderr[-2000:]}"
    return proc.stdout.rstrip("\n") + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_family_is_valid_static_onnx(name: str) -> None:
    model = family_model(name)
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    (inp,) = model.graph.input
    assert inp.name == "input"
    assert all(d.dim_value > 0 for d in inp.type.tensor_type.shape.dim)
    assert [o.name for o in model.graph.output] == ["output"]


@pytest.mark.parametrize("name", NAMES)
def test_family_builder_is_deterministic(name: str) -> None:
    builder = FAMILIES[name]
    assert builder(seed=3).SerializeToString() == builder(seed=3).SerializeToString()
    assert builder(seed=3).SerializeToString() != builder(seed=4).SerializeToString()


@pytest.mark.parametrize("name", NAMES)
def test_family_interpreter_matches_onnxruntime(name: str) -> None:
    model = family_model(name)
    inputs = model_inputs(model)
    expected = run_ort(model, inputs)
    assert_outputs_close(run_function(family_module(name), inputs), expected)
    # Keep the tolerance meaningful: outputs are O(1), neither vanishing nor exploding.
    scale = max(float(np.max(np.abs(v))) for v in expected.values())
    assert 0.05 < scale < 100, f"output magnitude {scale:.3g}: rescale the initialisation"


@pytest.mark.parametrize("name", NAMES)
def test_family_ir_round_trips_through_xdsl_opt(name: str) -> None:
    text = module_text(family_module(name))
    assert xdsl_opt(text) == text


@pytest.mark.parametrize("name", NAMES)
def test_family_ir_generic_form_parses_back(name: str) -> None:
    text = module_text(family_module(name))
    generic = xdsl_opt(text, "--print-op-generic")
    assert generic != text and '"nn.' in generic
    assert xdsl_opt(generic) == text


def test_vgg16_has_the_real_shape() -> None:
    """13 convs, 5 pools, 3 gemms; at size 32 the pools reach 1x1 (the fast demo size)."""
    model = vgg16(size=32)
    ops = [n.op_type for n in model.graph.node]
    assert (ops.count("Conv"), ops.count("MaxPool"), ops.count("Gemm")) == (13, 5, 3)
    onnx.checker.check_model(model)
    fc1 = next(t for t in model.graph.initializer if t.name.startswith("fc_w"))
    assert list(fc1.dims) == [4096, 512]


@pytest.mark.slow
def test_vgg16_224_parameter_count() -> None:
    """torchvision's VGG-16 has 138,357,544 parameters; so must the built-in model."""
    model = builtin_model()
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer) == 138_357_544
    inp = model.graph.input[0].type.tensor_type.shape
    assert [d.dim_value for d in inp.dim] == [1, 3, 224, 224]


@pytest.mark.slow
def test_resnet50_has_the_real_shape() -> None:
    """53 convs each followed by BN (16 bottlenecks, 4 with a projection shortcut).

    torchvision counts 25,557,032 parameters (conv + fc weights, BN scale and shift); the
    ONNX model also stores BN running statistics, 2 per BN channel.
    """
    model = resnet50()
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Conv") == ops.count("BatchNormalization") == 53
    assert ops.count("Add") == 16
    sizes = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}
    stats = sum(v for k, v in sizes.items() if k.startswith(("mean", "var")))
    assert sum(sizes.values()) - stats == 25_557_032
    out = model.graph.output[0].type.tensor_type.shape
    assert [d.dim_value for d in out.dim] == [1, 1000]


@pytest.mark.slow
def test_resnet50_small_input_matches_onnxruntime() -> None:
    """The full ResNet-50 graph (at 64x64 to stay quick) through import and interpreter."""
    model = resnet50(size=64)
    inputs = model_inputs(model)
    assert_outputs_close(run_function(import_model(model), inputs), run_ort(model, inputs))


def test_unet_align_corners_resize_matches_onnxruntime() -> None:
    """The other linear Resize export (torch `align_corners=True`)."""
    model = unet_style(resize_transform="align_corners")
    inputs = model_inputs(model)
    assert_outputs_close(run_function(import_model(model), inputs), run_ort(model, inputs))
