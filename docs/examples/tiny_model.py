"""A tiny CNN taken through every IR level patcc has, with the real tools.

    .venv/bin/python docs/examples/tiny_model.py OUT_DIR

writes OUT_DIR/tiny.onnx and one .mlir file per level:

    0_nn_raw.mlir   the importer's graph walk only (`import_model(..., simplify=False)`)
    1_nn.mlir       `patcc import tiny.onnx -o 1_nn.mlir` (post-import passes applied)
    2_pat.mlir      `xdsl-opt 1_nn.mlir -p 'prune-patterns{num-patterns=4},prune-connectivity{rate=2.0},dce'`
    3_fkr.mlir      `xdsl-opt 2_pat.mlir -p 'reorder-filters{group-size=4}'`
    4_fkw.mlir      `xdsl-opt 3_fkr.mlir -p 'pack-fkw,dce'`
    5_loops.mlir    `xdsl-opt 4_fkw.mlir -p lower-to-loops`
    6_tiled.mlir    `xdsl-opt 5_loops.mlir -p 'tile-conv{oc=4 oh=4 ow=2}'`
    7_lre.mlir      `xdsl-opt 6_tiled.mlir -p 'eliminate-load-redundancy,canonicalize,cse'`

The model (input "input" 1x3x8x8, output "logits" 1x10), deterministic weights (seed 0):

    Conv 3->8 3x3 pad 1 + Relu                      (a first layer: stays dense)
    Conv 8->8 3x3 pad 1 + BatchNormalization + Relu (BN folds into the conv)
    MaxPool 2x2 stride 2
    torch-style flatten: Shape -> Gather(0) -> Unsqueeze -> Concat(.., [-1]) -> Reshape
    Gemm 128 -> 10 (transB = 1)

The commands run in this process (`patcc.cli.main` and xDSL's `xDSLOptMain`, the code behind
the `patcc` and `xdsl-opt` scripts), so the files are exactly what the tools write.
docs/architecture.md quotes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LEVELS = (
    "0_nn_raw.mlir",
    "1_nn.mlir",
    "2_pat.mlir",
    "3_fkr.mlir",
    "4_fkw.mlir",
    "5_loops.mlir",
    "6_tiled.mlir",
    "7_lre.mlir",
)

# (input file, pass pipeline, output file) of each xdsl-opt step
XDSL_OPT_STEPS = (
    ("1_nn.mlir", "prune-patterns{num-patterns=4},prune-connectivity{rate=2.0},dce", "2_pat.mlir"),
    ("2_pat.mlir", "reorder-filters{group-size=4}", "3_fkr.mlir"),
    ("3_fkr.mlir", "pack-fkw,dce", "4_fkw.mlir"),
    ("4_fkw.mlir", "lower-to-loops", "5_loops.mlir"),
    ("5_loops.mlir", "tile-conv{oc=4 oh=4 ow=2}", "6_tiled.mlir"),
    ("6_tiled.mlir", "eliminate-load-redundancy,canonicalize,cse", "7_lre.mlir"),
)


def tiny_model(seed: int = 0) -> onnx.ModelProto:
    """The tiny CNN as an ONNX model (opset 13)."""
    rng = np.random.default_rng(seed)

    def init(name: str, array: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(array), name)

    def normal(*shape: int, scale: float = 0.3) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    initializers = [
        init("w0", normal(8, 3, 3, 3)),
        init("b0", normal(8)),
        init("w1", normal(8, 8, 3, 3)),
        init("bn_scale", (1.0 + normal(8, scale=0.1)).astype(np.float32)),
        init("bn_bias", normal(8, scale=0.1)),
        init("bn_mean", normal(8, scale=0.1)),
        init("bn_var", (1.0 + np.abs(normal(8, scale=0.1))).astype(np.float32)),
        init("fc_w", normal(10, 128, scale=0.1)),
        init("fc_b", normal(10, scale=0.1)),
        init("zero", np.array(0, dtype=np.int64)),
        init("minus_one", np.array([-1], dtype=np.int64)),
    ]
    conv = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    nodes = [
        helper.make_node("Conv", ["input", "w0", "b0"], ["c0"], name="conv0", **conv),
        helper.make_node("Relu", ["c0"], ["r0"], name="relu0"),
        helper.make_node("Conv", ["r0", "w1"], ["c1"], name="conv1", **conv),
        helper.make_node(
            "BatchNormalization",
            ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"],
            ["bn1"],
            name="bn1",
        ),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
        helper.make_node(
            "MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]
        ),
        # x.view(x.size(0), -1) as torch.onnx exports it
        helper.make_node("Shape", ["p1"], ["p1_shape"], name="shape"),
        helper.make_node("Gather", ["p1_shape", "zero"], ["batch"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["batch", "zero"], ["batch_1d"], name="unsqueeze"),
        helper.make_node(
            "Concat", ["batch_1d", "minus_one"], ["flat_shape"], name="concat", axis=0
        ),
        helper.make_node("Reshape", ["p1", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main(out_dir: str | Path) -> list[Path]:
    """Write tiny.onnx and the .mlir file of every level into `out_dir`; return their paths."""
    from xdsl.xdsl_opt_main import xDSLOptMain

    from patcc.cli import main as patcc_main
    from patcc.fileio import write_bytes, write_module
    from patcc.frontend import import_model

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = tiny_model()
    onnx_path = out / "tiny.onnx"
    write_bytes(onnx_path, model.SerializeToString())

    write_module(out / "0_nn_raw.mlir", import_model(model, simplify=False))
    if patcc_main(["import", str(onnx_path), "-o", str(out / "1_nn.mlir")]) != 0:
        raise RuntimeError("patcc import failed")
    for src, pipeline, dst in XDSL_OPT_STEPS:
        xDSLOptMain(args=[str(out / src), "-p", pipeline, "-o", str(out / dst)]).run()
    return [onnx_path, *(out / name for name in LEVELS)]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    for path in main(sys.argv[1]):
        print(path)
