"""The C targets compute what the interpreter computes: printed C compiled with gcc, called
through the C ABI (ctypes), on dense and pattern-pruned single layers and whole small
networks; x86-c natively, neon-c through SIMDe and as a static aarch64 binary under qemu.

Every build is compiled once per session, two gcc processes at a time (the `builds`
fixture); the references are the interpreter at graph or pattern level (numpy, fast).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from c_build import Build, aarch64, compile_all, emit_module, native, run_library, run_qemu
from conftest import assert_close, make_model, model_inputs
from onnx import helper, numpy_helper
from xdsl.dialects.builtin import ModuleOp

from patcc.dialects.nn.base import get_int
from patcc.errors import PatccError
from patcc.frontend import import_model, make_context
from patcc.lowering.shared_groups import GROUP_ATTR
from patcc.models import FAMILIES
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.plan_buffers import PlanBuffersPass
from patcc.passes.skip_zero_inputs import SkipZeroInputsPass
from patcc.pipelines import patdnn
from patcc.semantics import run_function
from patcc.targets import emit

CTX = make_context()
RNG = np.random.default_rng(5)


def conv_model(
    c: int,
    o: int,
    hw: tuple[int, int],
    *,
    k: int = 3,
    stride: int = 1,
    pad: int = 1,
    group: int = 1,
    bias: bool = True,
    relu: bool = True,
) -> onnx.ModelProto:
    w = RNG.standard_normal((o, c // group, k, k)).astype(np.float32)
    inits: dict[str, np.ndarray] = {"w": w}
    names = ["x", "w"]
    if bias:
        inits["b"] = RNG.standard_normal(o).astype(np.float32)
        names.append("b")
    attrs = {"kernel_shape": [k, k], "strides": [stride] * 2, "pads": [pad] * 4, "group": group}
    nodes = [helper.make_node("Conv", names, ["y" if relu else "output"], **attrs)]
    if relu:
        nodes.append(helper.make_node("Relu", ["y"], ["output"]))
    return make_model(nodes, {"x": [1, c, *hw]}, ["output"], inits)


def gemm_model() -> onnx.ModelProto:
    w = RNG.standard_normal((10, 24)).astype(np.float32)
    b = RNG.standard_normal(10).astype(np.float32)
    nodes = [helper.make_node("Gemm", ["x", "w", "b"], ["output"], transB=1)]
    return make_model(nodes, {"x": [1, 24]}, ["output"], {"w": w, "b": b})


def classifier_case(vector_length: int, streams: int = 1) -> tuple[ModuleOp, dict, dict]:
    """relu -> gemm (transB) -> relu -> gemm through skip-zero-inputs: the input's negative
    runs (and a K that groups of 8 do not divide) take both sides of the skip; with
    `streams` 3 the first gemm's 3 blocks go in lockstep."""
    w1 = RNG.standard_normal((40, 203)).astype(np.float32)
    w2 = RNG.standard_normal((40, 10)).astype(np.float32)
    inits = {"w1": w1, "b1": RNG.standard_normal(40).astype(np.float32), "w2": w2}
    inits["b2"] = np.array([0.25], np.float32)
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Gemm", ["r", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "w2", "b2"], ["output"]),
    ]
    model = make_model(nodes, {"x": [1, 203]}, ["output"], inits)
    module = import_model(model)
    x = RNG.standard_normal((1, 203)).astype(np.float32)
    x[0, 16:80] = -1.0  # 8 skipped groups
    inputs = {"x": x}
    reference = run_function(module, inputs)
    SkipZeroInputsPass(streams=streams).apply(CTX, module)
    gemvs = [op for op in module.walk() if op.name == "nn.gemv_skip_zeros"]
    assert len(gemvs) == 2
    assert get_int(gemvs[0].properties, "streams", 1) == streams
    LowerToLoopsPass(vector_length=vector_length).apply(CTX, module)
    return module, inputs, reference


DENSE = {
    "conv3x3_pad_relu": lambda: conv_model(3, 8, (12, 12)),
    "conv3x3_stride2_remainder": lambda: conv_model(5, 6, (9, 11), stride=2, pad=0, relu=False),
    "conv1x1_grouped": lambda: conv_model(4, 6, (5, 13), k=1, pad=0, group=2, bias=False),
    "gemm": gemm_model,
}


def dense_case(model: onnx.ModelProto, vector_length: int) -> tuple[ModuleOp, dict, dict]:
    module = import_model(model)
    inputs = model_inputs(model)
    reference = run_function(module, inputs)
    LowerToLoopsPass(vector_length=vector_length).apply(CTX, module)
    return module, inputs, reference


def pruned_case(
    model: onnx.ModelProto, vector_length: int, **prune: float
) -> tuple[ModuleOp, dict, dict]:
    """patdnn to loop level (tiles and LRE included); the reference is the pattern level."""
    module = import_model(model)
    inputs = model_inputs(model)
    pipeline = patdnn(vector_length=vector_length, **prune)  # type: ignore[arg-type]
    lowering = next(i for i, p in enumerate(pipeline.passes) if p.name == "lower-to-loops")
    for p in pipeline.passes[:lowering]:
        p.apply(CTX, module)
    reference = run_function(module, inputs)
    for p in pipeline.passes[lowering:]:
        p.apply(CTX, module)
    return module, inputs, reference


def pruned_layer() -> onnx.ModelProto:
    return conv_model(8, 12, (10, 14))


def block_pruned_layer(o: int = 14, c: int = 6, g: int = 4, width: int = 21) -> onnx.ModelProto:
    """conv_model's weights where, in every block of g filters (the last one shorter), each
    filter keeps the channels and patterns of the block's first (block pruning)."""
    from patcc.compression.patterns import candidate_patterns

    model = conv_model(c, o, (9, width))
    w = numpy_helper.to_array(model.graph.initializer[0])
    patterns = candidate_patterns()[:4]
    heads = RNG.integers(-1, len(patterns), size=(-(-o // g), c))
    mask = np.zeros((o, c, 9), np.float32)
    for f in range(o):
        for ch in range(c):
            if heads[f // g, ch] >= 0:
                mask[f, ch, list(patterns[heads[f // g, ch]])] = 1
    pruned = (w * mask.reshape(w.shape)).astype(np.float32)
    model.graph.initializer[0].CopyFrom(numpy_helper.from_array(pruned, "w"))
    return model


def block_case(vector_length: int, width: int = 21) -> tuple[ModuleOp, dict, dict]:
    """The block-pruned layer through patdnn (its patterns kept): shared groups of 4."""
    module, inputs, reference = pruned_case(
        block_pruned_layer(width=width), vector_length, patterns=4, connectivity=1.0
    )
    assert any(GROUP_ATTR in op.attributes for op in module.walk())
    return module, inputs, reference


Case = tuple[Build, dict, dict]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("c_targets")
    cases: dict[str, Case] = {}

    def add(
        name: str, make: Callable[[], tuple[ModuleOp, dict, dict]], target: str, how=native
    ) -> None:
        module, inputs, reference = make()
        emitted = emit_module(CTX, module, target)
        cases[name] = (how(emitted, Path(root / name)), inputs, reference)

    for name, model in DENSE.items():
        add(f"x86/{name}", lambda m=model: dense_case(m(), 8), "x86-c")
    add(
        "neon/conv3x3_stride2_remainder",
        lambda: dense_case(DENSE["conv3x3_stride2_remainder"](), 4),
        "neon-c",
    )
    add(
        "x86/pruned_layer",
        lambda: pruned_case(pruned_layer(), 8, patterns=4, connectivity=2.0),
        "x86-c",
    )
    add(
        "neon/pruned_layer",
        lambda: pruned_case(pruned_layer(), 4, patterns=4, connectivity=2.0),
        "neon-c",
    )
    add("x86/block_pruned_layer", lambda: block_case(8), "x86-c")
    add("x86/classifier_skip_zeros", lambda: classifier_case(8, streams=3), "x86-c")
    add("neon/classifier_skip_zeros", lambda: classifier_case(4), "neon-c")
    add("neon/block_pruned_layer", lambda: block_case(4), "neon-c")
    add("neon/block_pruned_narrow", lambda: block_case(4, width=8), "neon-c")
    for family in ("vgg", "resnet"):
        add(f"x86/{family}", lambda f=family: pruned_case(FAMILIES[f](), 8), "x86-c")
    add("neon/vgg", lambda: pruned_case(FAMILIES["vgg"](), 4), "neon-c")
    # dense, with sigmoid/silu (vector division: lane by lane under SIMDe)
    add("neon/yolo", lambda: dense_case(FAMILIES["yolo"](), 4), "neon-c")
    add(
        "aarch64/pruned_layer",
        lambda: pruned_case(pruned_layer(), 4, patterns=4, connectivity=2.0),
        "neon-c",
        aarch64,
    )
    compile_all([build for build, _, _ in cases.values()])
    return cases


NATIVE = [
    *(f"x86/{n}" for n in DENSE),
    "neon/conv3x3_stride2_remainder",
    "x86/pruned_layer",
    "neon/pruned_layer",
    "x86/block_pruned_layer",
    "neon/block_pruned_layer",
    "neon/block_pruned_narrow",
    "x86/classifier_skip_zeros",
    "neon/classifier_skip_zeros",
    "x86/vgg",
    "x86/resnet",
    "neon/vgg",
    "neon/yolo",
]


@pytest.mark.parametrize("name", NATIVE)
def test_compiled_c_matches_interpreter(builds: dict[str, Case], name: str) -> None:
    build, inputs, reference = builds[name]
    outputs = run_library(build, inputs, threads=2)
    assert set(outputs) == set(reference)
    for key, value in reference.items():
        assert_close(outputs[key], value)


@pytest.mark.parametrize(
    "name",
    [
        "x86/vgg",
        "x86/pruned_layer",
        "x86/block_pruned_layer",
        "x86/classifier_skip_zeros",
        "neon/vgg",
    ],
)
def test_results_identical_for_any_thread_count(builds: dict[str, Case], name: str) -> None:
    build, inputs, _ = builds[name]
    assert "#pragma omp parallel for" in build.emitted["model.c"].decode()
    runs = [run_library(build, inputs, threads=t) for t in (1, 2, 3, 0)]
    for other in runs[1:]:
        for key, value in runs[0].items():
            np.testing.assert_array_equal(other[key], value)


@pytest.mark.parametrize("name", ["x86/pruned_layer", "x86/block_pruned_layer"])
def test_pattern_layers_share_filters_round_robin(builds: dict[str, Case], name: str) -> None:
    """The FKW filter (or group) loop is printed round robin (parallelize marks it cyclic:
    its kernel lists differ in length), the padding loops in contiguous chunks; the thread
    counts above give identical results either way."""
    text = builds[name][0].emitted["model.c"].decode()
    assert "schedule(static, 1)" in text and "schedule(static)" in text


def test_aarch64_build_under_qemu(builds: dict[str, Case]) -> None:
    build, inputs, reference = builds["aarch64/pruned_layer"]
    outputs = run_qemu(build, inputs)
    for key, value in reference.items():
        assert_close(outputs[key], value)


def test_model_json_and_weights(builds: dict[str, Case]) -> None:
    build, _, _ = builds["x86/vgg"]
    meta = build.emitted.metadata
    assert meta["format"] == 1 and meta["target"] == "x86-c"
    assert meta["inputs"] == [{"name": "input", "shape": [1, 3, 32, 32], "dtype": "float32"}]
    assert meta["weights_bytes"] == len(build.emitted["weights.bin"]) > 0
    assert meta["weights_bytes"] % 64 == 0
    assert 0 < meta["workspace_bytes"] < meta["unplanned_activation_bytes"]
    assert meta["vector_length"] == 8 and meta["threads"] == 2
    text = build.emitted["model.c"].decode()
    assert "/* conv2d0: nn conv2d 1x3x32x32 -> 1x8x32x32 + relu */" in text
    assert "patterns" in text and "groups" in text  # the pattern convs' comments


def test_emit_refuses_what_the_target_passes_did_not_decide() -> None:
    module, _, _ = dense_case(DENSE["conv3x3_pad_relu"](), 8)
    with pytest.raises(PatccError, match=r"'memref\.alloc' left in the module: run plan-buffers"):
        emit(module, "x86-c")
    PlanBuffersPass().apply(CTX, module)
    with pytest.raises(PatccError, match=r"has no patcc\.blob_offset: run layout-weights"):
        emit(module, "x86-c")
    with pytest.raises(PatccError, match="unknown C target 'riscv'"):
        emit(module, "riscv")


def test_cpu_flags_read_the_first_flags_line() -> None:
    from patcc.targets.emit import cpu_flags

    text = "processor\t: 0\nflags\t\t: fpu avx2 fma avx512f\nbugs\t\t: spectre\nflags : sse\n"
    assert cpu_flags(text) == {"fpu", "avx2", "fma", "avx512f"}
    assert cpu_flags("processor : 0\n") == frozenset()


def test_skip_group_follows_the_x86_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """skip-zero-inputs tests single inputs and reads 4 blocks of 128 outputs in lockstep
    on Intel x86 hosts, groups of 8 in 4 blocks of 128 on AMD ones (single inputs behind a
    flattened feature map), groups of 8 and one block of up to 512 elsewhere (and always on
    the neon target, which runs elsewhere); the emitter hands the pass its options."""
    import importlib

    emit_module = importlib.import_module("patcc.targets.emit")
    text = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu\n"
    assert emit_module.cpu_vendor(text) == "GenuineIntel"
    assert emit_module.cpu_vendor("processor : 0\n") == ""
    intel, amd, other = (1, 4, 128, 0), (8, 4, 128, 1), (8, 1, 512, 0)
    for vendor, x86 in (("GenuineIntel", intel), ("AuthenticAMD", amd), ("", other)):
        monkeypatch.setattr(emit_module, "host_cpu_vendor", lambda v=vendor: v)
        for target, options in (("x86", x86), ("neon", other)):
            (skip,) = emit_module.emit_for(target).graph_passes
            assert (skip.group, skip.streams, skip.block, skip.map_group) == options


def test_gemm_filters_follow_the_x86_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 1x1 GEMMs get 8 filters per tile on Intel x86 hosts at 16 lanes (measured there),
    the lowering's own 4 elsewhere: the emitter's schedule hands lower-to-loops the option."""
    import importlib

    from patcc.passes.lower_to_loops import LowerToLoopsPass
    from patcc.pipelines import patdnn

    emit_module = importlib.import_module("patcc.targets.emit")
    cases = (("GenuineIntel", 16, 8), ("GenuineIntel", 8, 0), ("AuthenticAMD", 16, 0), ("", 16, 0))
    for vendor, lanes, filters in cases:
        monkeypatch.setattr(emit_module, "host_cpu_vendor", lambda v=vendor: v)
        for target, want in (("x86", filters), ("neon", 0)):
            emitter = emit_module.emit_for(target, vector_length=lanes)
            pipeline = patdnn(vector_length=lanes, **emitter.schedule)
            (lower,) = [p for p in pipeline.passes if isinstance(p, LowerToLoopsPass)]
            assert lower.gemm_filters == want


def test_input_stationary_follows_the_x86_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pattern convs run input-stationary from 2 kernels a pair, in tiles of any height on
    AMD x86 hosts, with filter blocks of 32 KB on Intel ones and other x86 vendors (measured
    on both), never on the neon target; the emitter's schedule hands lower-to-loops the
    options."""
    import importlib

    from patcc.passes.lower_to_loops import LowerToLoopsPass
    from patcc.pipelines import patdnn

    emit_module = importlib.import_module("patcc.targets.emit")
    cases = (
        ("AuthenticAMD", (2, 0, 0)),
        ("GenuineIntel", (2, 0, 32768)),
        ("", (2, 0, 32768)),
    )
    for vendor, x86 in cases:
        monkeypatch.setattr(emit_module, "host_cpu_vendor", lambda v=vendor: v)
        for target, want in (("x86", x86), ("neon", (0, 0, 0))):
            emitter = emit_module.emit_for(target)
            (lower,) = [
                p for p in patdnn(**emitter.schedule).passes if isinstance(p, LowerToLoopsPass)
            ]
            got = (
                lower.input_stationary,
                lower.input_stationary_bytes,
                lower.input_stationary_filter_bytes,
            )
            assert got == want


@pytest.mark.parametrize("name", ["x86/block_pruned_layer", "neon/block_pruned_narrow"])
def test_prefetch_hints_reach_the_checked_c(builds: dict[str, Case], name: str) -> None:
    """The block-shared layers whose tiles cover whole rows carry prefetch-next-kernel's
    hints into the C that test_compiled_c_matches_interpreter checks (x86 and NEON)."""
    assert "__builtin_prefetch(" in builds[name][0].emitted["model.c"].decode()


def test_prefetch_follows_the_x86_vendor(monkeypatch: pytest.MonkeyPatch) -> None:
    """prefetch-next-kernel hints by its rules in x86 builds on Intel hosts only (where it
    was measured), elsewhere only the layers whose schedule asks (`pf = 1`); asked for, it
    hints by its rules on any target."""
    import importlib

    from patcc.passes.prefetch_next_kernel import PrefetchNextKernelPass
    from patcc.passes.stream_stores import StreamStoresPass

    emit_module = importlib.import_module("patcc.targets.emit")

    def rules(target: str, prefetch: bool | None = None) -> bool:
        """The rules of the pipeline's prefetch pass: the last but x86's stream-stores."""
        passes = emit_module.prepare_pipeline(target, 2, prefetch)
        streams = isinstance(passes[-1], StreamStoresPass)
        assert streams == (target == "x86")
        last = passes[-2] if streams else passes[-1]
        assert isinstance(last, PrefetchNextKernelPass)
        return last.rules

    for vendor, x86 in (("GenuineIntel", True), ("AuthenticAMD", False), ("", False)):
        monkeypatch.setattr(emit_module, "host_cpu_vendor", lambda v=vendor: v)
        assert rules("x86") == x86
        assert not rules("neon")
        assert rules("neon", prefetch=True)
        assert not rules("x86", prefetch=False)
