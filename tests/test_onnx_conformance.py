"""ONNX backend conformance: the node test cases shipped in the onnx wheel, for every op we claim.

Each case's model goes through `import_model` + the interpreter and must reproduce the
expected outputs within the case's own tolerances. Cases that are knowingly unsupported are
listed with a reason; for those the importer must refuse with a clear `PatccError` (never a
traceback, never a wrong answer).

patcc compiles static graphs: inputs that ONNX feeds at run time but that are parameters of
the op (Reshape's shape, Resize's scales, Clip's bounds, ...) are bound as constants here, as
they are in any exported CNN.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import onnx
import pytest
from conftest import run_ort
from onnx import numpy_helper
from onnx.backend.test.case.test_case import TestCase

from patcc.errors import PatccError
from patcc.frontend import import_model
from patcc.semantics import run_function

# ONNX op types patcc claims (docs/dialects.md lists them with their nn ops).
CLAIMED_OPS = [
    "Conv",
    "ConvTranspose",
    "Relu",
    "LeakyRelu",
    "PRelu",
    "Clip",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Sum",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Concat",
    "Slice",
    "Split",
    "Pad",
    "Resize",
    "Reshape",
    "Flatten",
    "Transpose",
    "Squeeze",
    "Unsqueeze",
    "Gemm",
    "MatMul",
    "Softmax",
    "LSTM",
    "LRN",
    "Dropout",
    "Identity",
    "BatchNormalization",
]

# Inputs (by index) that are parameters of the op, bound as constants (see module docstring).
PARAMETER_INPUTS: dict[str, set[int]] = {
    "Clip": {1, 2},
    "Pad": {1, 2, 3},
    "Resize": {1, 2, 3},
    "Slice": {1, 2, 3, 4},
    "Split": {1},
    "Reshape": {1},
    "Squeeze": {1},
    "Unsqueeze": {1},
    "Dropout": {1, 2},
    "LSTM": {4},
}

# Ops (and cases) that import as no op at all: inference-mode identities.
PASS_THROUGH = {"Identity", "Dropout", "test_sum_one_input"}

# case name -> why patcc does not support it. Calibrated against the onnx version in use;
# a case listed here must be refused with a PatccError.
KNOWN_UNSUPPORTED: dict[str, str] = {
    "test_add_int16": "integer tensors: patcc compiles float32 models",
    "test_add_int8": "integer tensors: patcc compiles float32 models",
    "test_add_uint16": "integer tensors: patcc compiles float32 models",
    "test_add_uint32": "integer tensors: patcc compiles float32 models",
    "test_add_uint64": "integer tensors: patcc compiles float32 models",
    "test_add_uint8": "integer tensors: patcc compiles float32 models",
    "test_clip_default_int8_inbounds": "integer tensors: patcc compiles float32 models",
    "test_clip_default_int8_inbounds_expanded": "integer tensors: patcc compiles float32 models",
    "test_clip_default_int8_max": "integer tensors: patcc compiles float32 models",
    "test_clip_default_int8_min": "integer tensors: patcc compiles float32 models",
    "test_div_int16": "integer tensors: patcc compiles float32 models",
    "test_div_int32_trunc": "integer tensors: patcc compiles float32 models",
    "test_div_int8": "integer tensors: patcc compiles float32 models",
    "test_div_uint16": "integer tensors: patcc compiles float32 models",
    "test_div_uint32": "integer tensors: patcc compiles float32 models",
    "test_div_uint64": "integer tensors: patcc compiles float32 models",
    "test_div_uint8": "integer tensors: patcc compiles float32 models",
    "test_edge_pad": "integer tensors: patcc compiles float32 models",
    "test_identity_opt": "optional and sequence types are not tensors: patcc compiles tensor graphs",
    "test_identity_sequence": "optional and sequence types are not tensors: patcc compiles tensor graphs",
    "test_maxpool_2d_uint8": "integer tensors: patcc compiles float32 models",
    "test_mul_int16": "integer tensors: patcc compiles float32 models",
    "test_mul_int8": "integer tensors: patcc compiles float32 models",
    "test_mul_uint16": "integer tensors: patcc compiles float32 models",
    "test_mul_uint32": "integer tensors: patcc compiles float32 models",
    "test_mul_uint64": "integer tensors: patcc compiles float32 models",
    "test_mul_uint8": "integer tensors: patcc compiles float32 models",
    "test_reflect_pad": "integer tensors: patcc compiles float32 models",
    "test_sub_int16": "integer tensors: patcc compiles float32 models",
    "test_sub_int8": "integer tensors: patcc compiles float32 models",
    "test_sub_uint16": "integer tensors: patcc compiles float32 models",
    "test_sub_uint32": "integer tensors: patcc compiles float32 models",
    "test_sub_uint64": "integer tensors: patcc compiles float32 models",
    "test_sub_uint8": "integer tensors: patcc compiles float32 models",
    "test_wrap_pad": "integer tensors: patcc compiles float32 models",
    "test_averagepool_1d_default": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_default": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_False": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_False": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_averagepool_3d_dilations_small": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_batchnorm_epsilon_training_mode": "training mode (random dropout, batch statistics) is not inference",
    "test_batchnorm_example_training_mode": "training mode (random dropout, batch statistics) is not inference",
    "test_convtranspose_1d": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_convtranspose_3d": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_dropout_default_mask": "the dropout mask output is training-only; inference graphs do not use it",
    "test_dropout_default_mask_ratio": "the dropout mask output is training-only; inference graphs do not use it",
    "test_maxpool_1d_default": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_maxpool_3d_default": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_maxpool_3d_dilations": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_maxpool_3d_dilations_use_ref_impl": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_maxpool_3d_dilations_use_ref_impl_large": "patcc compiles 2-D (NCHW) image ops; 1-D/3-D windows are refused",
    "test_maxpool_with_argmax_2d_precomputed_pads": "MaxPool's Indices output (int64) is not supported",
    "test_maxpool_with_argmax_2d_precomputed_strides": "MaxPool's Indices output (int64) is not supported",
    "test_reshape_allowzero_reordered": "empty (size-0) tensors are not supported",
    "test_resize_downsample_scales_cubic": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_scales_cubic_A_n0p5_exclude_outside": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_scales_cubic_align_corners": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_scales_cubic_antialias": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_scales_linear_antialias": "Resize antialiased downsampling is not supported",
    "test_resize_downsample_sizes_cubic": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_sizes_cubic_antialias": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_downsample_sizes_linear_antialias": "Resize antialiased downsampling is not supported",
    "test_resize_tf_crop_and_resize": "Resize tf_crop_and_resize mode is not supported",
    "test_resize_tf_crop_and_resize_axes_2_3": "Resize tf_crop_and_resize mode is not supported",
    "test_resize_tf_crop_and_resize_axes_3_2": "Resize tf_crop_and_resize mode is not supported",
    "test_resize_tf_crop_and_resize_extrapolation_value": "Resize tf_crop_and_resize mode is not supported",
    "test_resize_upsample_scales_cubic": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_upsample_scales_cubic_A_n0p5_exclude_outside": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_upsample_scales_cubic_align_corners": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_upsample_scales_cubic_asymmetric": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_resize_upsample_sizes_cubic": "Resize cubic mode is not supported (CNNs use nearest and linear)",
    "test_slice_start_out_of_bounds": "empty (size-0) tensors are not supported",
    "test_split_zero_size_splits_opset13": "empty (size-0) tensors are not supported",
    "test_split_zero_size_splits_opset18": "empty (size-0) tensors are not supported",
    "test_training_dropout": "training mode (random dropout, batch statistics) is not inference",
    "test_training_dropout_default": "training mode (random dropout, batch statistics) is not inference",
    "test_training_dropout_default_mask": "training mode (random dropout, batch statistics) is not inference",
    "test_training_dropout_mask": "training mode (random dropout, batch statistics) is not inference",
    "test_training_dropout_zero_ratio": "training mode (random dropout, batch statistics) is not inference",
    "test_training_dropout_zero_ratio_mask": "training mode (random dropout, batch statistics) is not inference",
}

# case name -> why ONNX Runtime, not the case's expected output, is the reference. The case
# is still run and checked, against what ONNX Runtime computes on the same model.
ORT_IS_REFERENCE: dict[str, str] = {
    "test_resize_downsample_scales_linear_align_corners": (
        "the ONNX reference maps align_corners with the fractional output length scale * size "
        "(2.4), ONNX Runtime with the integer length (2); patcc follows ONNX Runtime"
    ),
}


@functools.cache
def _all_cases() -> dict[str, TestCase]:
    """Single-node cases of the claimed ops, by name (collect_testcases caches on first call,
    so it is called once without a filter; '_expanded' cases test ONNX function bodies)."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    return {
        c.name: c
        for c in cases
        if c.model is not None
        and len(c.model.graph.node) == 1
        and c.model.graph.node[0].op_type in CLAIMED_OPS
    }


def _case_params() -> list:
    return [pytest.param(name, id=name) for name in sorted(_all_cases())]


def _bind_parameters(
    model: onnx.ModelProto, inputs: list[np.ndarray]
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """Move parameter inputs into initializers (data inputs stay run-time inputs, so the op
    is really imported, never folded away by onnx's reference evaluator)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    consumers: dict[str, set[int]] = {}
    for node in graph.node:
        for idx, name in enumerate(node.input):
            if idx in PARAMETER_INPUTS.get(node.op_type, set()):
                consumers.setdefault(name, set()).add(idx)
    feeds: dict[str, np.ndarray] = {}
    keep = []
    for info, value in zip(graph.input, inputs, strict=False):
        value = np.asarray(value)
        if info.name in consumers:
            graph.initializer.append(numpy_helper.from_array(value, info.name))
        else:
            keep.append(info)
            feeds[info.name] = value
    del graph.input[:]
    graph.input.extend(keep)
    return model, feeds


@pytest.mark.parametrize("name", _case_params())
def test_onnx_node_case(name: str) -> None:
    case = _all_cases()[name]
    assert case.model is not None and case.data_sets, f"{name}: no model or data"
    for inputs, expected in case.data_sets:
        model, feeds = _bind_parameters(case.model, list(inputs))
        shapes = {k: list(v.shape) for k, v in feeds.items()}
        if name in KNOWN_UNSUPPORTED:
            with pytest.raises(PatccError):
                module = import_model(model, shapes)
                run_function(module, feeds)
            return
        module = import_model(model, shapes)
        op_type = case.model.graph.node[0].op_type
        if op_type not in PASS_THROUGH and name not in PASS_THROUGH:
            assert any(op.name.startswith("nn.") for op in module.walk()), "no nn op imported"
        outputs = run_function(module, feeds)
        if name in ORT_IS_REFERENCE:
            expected = list(run_ort(model, feeds).values())
        for info, want in zip(model.graph.output, expected, strict=True):
            got = outputs[info.name]
            np.testing.assert_allclose(
                got,
                np.asarray(want, dtype=np.float64),
                rtol=max(case.rtol, 1e-5),
                atol=max(case.atol, 1e-6),
                err_msg=f"{name}: output {info.name}",
            )
