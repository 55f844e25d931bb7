"""A/B timings behind docs/performance.md's ResNet-50 residual-fusion section, 1 thread.

    scripts/resnet_epilogue_ab.py tiles 4x3,8x3,6x4 [--repeat 30] [--sizes 7,14]
        ResNet-50's 1x1 convs (Conv + Relu) alone under each 16-lane small-image GEMM tile
        (`pointwise.SMALL_IMAGE_TILE`, forced for every image size here)
    scripts/resnet_epilogue_ab.py fusion [--repeat 50]
        Conv 1x1 + Add(skip) + Relu alone, residual fusion off vs on
    scripts/resnet_epilogue_ab.py resnet [--repeat 20]
        ResNet-50 8x: unfused 4x3, fused 4x3, fused with the 7x7 tile, and ONNX Runtime

Every variant of one model is built in one process (the choice patched in), checked
bit-identical to the first, and timed round-robin (`patcc.bench.timing.interleave`);
medians after outlier rejection. Builds go under /tmp/patcc-epilogue-ab.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from unittest.mock import patch

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import patcc
from patcc.bench.timing import interleave, robust_stats
from patcc.lowering import pointwise
from patcc.models import resnet50
from patcc.passes import lower_to_loops
from patcc.runtime import CompiledModel

ROOT = Path("/tmp/patcc-epilogue-ab")
LAYERS = [
    (56, 64, 64), (56, 256, 64), (56, 64, 256), (28, 512, 128), (28, 128, 512),
    (14, 1024, 256), (14, 256, 1024), (7, 2048, 512), (7, 512, 2048),
]  # fmt: skip
FUSED = lower_to_loops.RESIDUAL_PRODUCERS
Variant = dict[str, object]  # patched module attribute -> value


def _model(hw: int, c: int, o: int, residual: bool) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((o, c, 1, 1)) * 0.1).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(o).astype(np.float32), "b")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[1, 1])]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, c, hw, hw])]
    if residual:
        nodes.append(helper.make_node("Add", ["y", "s"], ["y2"]))
        ins.append(helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, o, hw, hw]))
    nodes.append(helper.make_node("Relu", ["y2" if residual else "y"], ["z"]))
    out = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, o, hw, hw])
    graph = helper.make_graph(nodes, "layer", ins, [out], [w, b])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _inputs(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    out = {}
    for vi in model.graph.input:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        out[vi.name] = rng.standard_normal(shape).astype(np.float32)
    return out


def _build(model: onnx.ModelProto, tag: str, variants: dict[str, Variant]) -> dict:
    built: dict[str, CompiledModel] = {}
    for name, patches in variants.items():
        with ExitStack() as stack:
            for attr, value in patches.items():
                module = pointwise if hasattr(pointwise, attr) else lower_to_loops
                stack.enter_context(patch.object(module, attr, value))
            out = ROOT / f"{tag}-{name}"
            built[name] = patcc.compile(model, patterns=None, out_dir=out, threads=1)
    return built


def _time(runners: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    samples = interleave(runners, repeat, warmup=2)
    return {name: robust_stats(s).median_ms for name, s in samples.items()}


def _same_bits(built: dict, inputs: dict[str, np.ndarray]) -> None:
    outs = [m.run(inputs) for m in built.values()]
    for out in outs[1:]:
        for k, v in outs[0].items():
            assert np.array_equal(out[k].view(np.uint32), v.view(np.uint32))


def _layers(args: argparse.Namespace, residual: bool, variants: dict[str, Variant]) -> None:
    sizes = {int(s) for s in args.sizes.split(",")} if args.sizes else None
    total = dict.fromkeys(variants, 0.0)
    for hw, c, o in LAYERS if not residual else [LAYERS[2], LAYERS[4], LAYERS[6], LAYERS[8]]:
        if sizes and hw not in sizes:
            continue
        model = _model(hw, c, o, residual)
        built = _build(model, f"{args.what}-{hw}-{c}-{o}", variants)
        x = _inputs(model)
        _same_bits(built, x)
        med = _time({n: (lambda m=m, x=x: m.run(x)) for n, m in built.items()}, args.repeat)
        for n in total:
            total[n] += med[n]
        print(f"{hw}x{hw} {c}->{o}: " + "  ".join(f"{n} {t:.3f}" for n, t in med.items()))
    print("sum: " + "  ".join(f"{n} {t:.3f}" for n, t in total.items()))


def _resnet(args: argparse.Namespace) -> None:
    import onnxruntime as ort

    model = patcc.prune(resnet50(), patterns=8, connectivity=3.6)
    variants: dict[str, Variant] = {
        "unfused": {"RESIDUAL_PRODUCERS": set(), "SMALL_IMAGE_TILE": (4, 3)},
        "fused": {"SMALL_IMAGE_TILE": (4, 3)},
        "fused+7x7-tile": {},
    }
    built = _build(model, "resnet50", variants)
    x = _inputs(model)
    _same_bits(built, x)
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options)
    runners: dict[str, Callable[[], object]] = {n: (lambda m=m: m.run(x)) for n, m in built.items()}
    runners["ort"] = lambda: session.run(None, x)
    med = _time(runners, args.repeat)
    for n, t in med.items():
        print(f"{n:16s} {t:7.2f} ms  ORT / this {med['ort'] / t:.3f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["tiles", "fusion", "resnet"])
    p.add_argument("tiles", nargs="?", default="4x3,8x3,6x4,4x6")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--sizes", default="", help="image sizes to keep, e.g. 7,14")
    args = p.parse_args()
    ROOT.mkdir(parents=True, exist_ok=True)
    if args.what == "resnet":
        _resnet(args)
    elif args.what == "fusion":
        _layers(args, True, {"unfused": {"RESIDUAL_PRODUCERS": set()}, "fused": {}})
    else:
        variants: dict[str, Variant] = {}
        for t in args.tiles.split(","):
            # every image size takes the tile under test (the real rule keeps 4x3 above 4
            # vectors)
            variants[t] = {"gemm_tile": _forced(tuple(map(int, t.split("x"))))}
        _layers(args, False, variants)


def _forced(tile: tuple[int, ...]) -> Callable[..., tuple[int, int]]:
    """`pointwise.gemm_tile` returning `tile` at 16 lanes whatever the image and channels."""

    def gemm_tile(vector_length: int, *_: int) -> tuple[int, int]:
        return (tile[0], tile[1]) if vector_length >= 16 else (4, 3)

    return gemm_tile


if __name__ == "__main__":
    main()
