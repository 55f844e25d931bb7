"""ONNX model -> `nn`-level xDSL module.

One walk over the (topologically sorted) graph. A node whose inputs are all constants is
evaluated at import time by onnx's own reference evaluator (that is how shape sub-graphs
such as Shape -> Gather -> Concat -> Reshape disappear once input shapes are static); a
`Shape` of a run-time tensor folds from its static type. Every other node goes to the
converter registered for its op type. Graph rewrites that make the IR simpler for later
levels (BatchNorm folding, silu fusion) are ordinary passes, run right after the walk.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.external_data_helper import load_external_data_for_model, uses_external_data
from onnx.reference import ReferenceEvaluator
from onnx.serialization import registry
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, ModuleOp, StringAttr, TensorType
from xdsl.ir import Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from patcc.dialects.nn.base import tensor_f32
from patcc.errors import PatccError
from patcc.semantics import NAME_ATTR

from .context import SUPPORTED_OPS_DOC, ImportContext
from .converters import CONVERTERS

InputShapes = Mapping[str, Sequence[int]]


def load_model(model: onnx.ModelProto | str | Path) -> onnx.ModelProto:
    if isinstance(model, onnx.ModelProto):
        return model
    path = Path(model)
    if not path.is_file():
        raise PatccError(f"{path}: no such file")
    try:
        return _read_model(path)
    except Exception as err:  # onnx raises DecodeError, ValueError, ... for corrupt files
        raise PatccError(
            f"{path}: not a readable ONNX model ({type(err).__name__}: {err})"
        ) from None


def _read_model(path: Path) -> onnx.ModelProto:
    """`onnx.load(path)` without its copy of the whole file: a binary model is parsed from
    a read-only mmap of it (VGG-16's 553 MB: 0.45 s instead of 0.9 s, half of the import),
    then its external data, if any, is loaded as onnx.load does. A text-format name or an
    empty file goes to onnx.load itself (an empty file cannot be mapped)."""
    text = registry.get_format_from_file_extension(path.suffix) not in (None, "protobuf")
    if text or path.stat().st_size == 0:
        return onnx.load(str(path))
    model = onnx.ModelProto()
    with (
        path.open("rb") as f,
        mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
        memoryview(mapped) as view,
    ):
        model.ParseFromString(cast(bytes, view))  # any buffer; the stub says bytes
    load_external_data_for_model(model, os.path.dirname(str(path)))
    return model


def parse_input_shape(text: str) -> tuple[str, list[int]]:
    """'NAME=1x3x224x224' -> ('NAME', [1, 3, 224, 224])."""
    name, sep, dims = text.rpartition("=")
    try:
        shape = [int(d) for d in dims.lower().split("x")]
    except ValueError:
        shape = []
    if not sep or not name or not shape or min(shape) < 1:
        raise PatccError(f"--input-shape '{text}': expected NAME=D1xD2x... with positive sizes")
    return name, shape


def graph_inputs(graph: onnx.GraphProto, input_shapes: InputShapes) -> list[tuple[str, list[int]]]:
    """The run-time inputs of the graph with static shapes (initializers are not inputs).

    `input_shapes` fixes dynamic dimensions; where the model states a dimension, the given
    shape must agree with it.
    """
    initializers = {t.name for t in graph.initializer}
    inputs = [inp for inp in graph.input if inp.name not in initializers]
    known = {inp.name for inp in inputs}
    unknown = set(input_shapes) - known
    if unknown:
        raise PatccError(
            f"--input-shape names {', '.join(sorted(unknown))}, but the model's inputs are "
            f"{', '.join(sorted(known)) or 'none'}"
        )
    return [(inp.name, _static_shape(inp, input_shapes.get(inp.name))) for inp in inputs]


def _static_shape(inp: onnx.ValueInfoProto, given: Sequence[int] | None) -> list[int]:
    ttype = inp.type.tensor_type
    if ttype.elem_type != onnx.TensorProto.FLOAT:
        kind = (
            onnx.TensorProto.DataType.Name(ttype.elem_type) if ttype.elem_type else "not a tensor"
        )
        raise PatccError(
            f"input '{inp.name}' has element type {kind}: patcc compiles float32 models"
        )
    if not ttype.HasField("shape"):
        if given is None:
            raise PatccError(f"input '{inp.name}' has no shape: give --input-shape {inp.name}=...")
        return list(given)
    declared = [
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
        for d in ttype.shape.dim
    ]
    if given is not None:
        text = "x".join(map(str, given))
        if len(given) != len(declared):
            raise PatccError(
                f"--input-shape {inp.name}={text}: the model's input has rank {len(declared)}"
            )
        for axis, (want, got) in enumerate(zip(declared, given, strict=True)):
            if want is not None and want != got:
                raise PatccError(
                    f"--input-shape {inp.name}={text}: dimension {axis} is {want} in the model"
                )
        return list(given)
    for axis, (d, value) in enumerate(zip(ttype.shape.dim, declared, strict=True)):
        if value is None:
            label = f" ('{d.dim_param}')" if d.dim_param else ""
            raise PatccError(
                f"input '{inp.name}' dimension {axis}{label} is dynamic: "
                f"give --input-shape {inp.name}=D0xD1x..."
            )
    return [int(v) for v in declared if v is not None]


def _fold(node: onnx.NodeProto, inputs: list[np.ndarray | None], opset: int) -> list[np.ndarray]:
    """Evaluate one node on constant inputs with onnx's reference evaluator."""
    in_names = [n if n else "" for n in node.input]
    feeds = {n: v for n, v in zip(in_names, inputs, strict=True) if n and v is not None}
    graph = onnx.helper.make_graph(
        [node],
        "fold",
        [onnx.helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None) for n in feeds],
        [
            onnx.helper.make_tensor_value_info(n, onnx.TensorProto.UNDEFINED, None)
            for n in node.output
            if n
        ],
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])
    results = ReferenceEvaluator(model).run(None, feeds)
    return [np.asarray(r) for r in results]


def _fold_shape(node: onnx.NodeProto, shape: tuple[int, ...]) -> np.ndarray:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    start, end = attrs.get("start", 0), attrs.get("end")
    return np.array(shape[start:end], dtype=np.int64)


def _opset(model: onnx.ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            return imp.version
    return 13


_RAW_DTYPES: dict[int, np.dtype] = {
    onnx.TensorProto.FLOAT: np.dtype("<f4"),
    onnx.TensorProto.DOUBLE: np.dtype("<f8"),
    onnx.TensorProto.INT64: np.dtype("<i8"),
    onnx.TensorProto.INT32: np.dtype("<i4"),
}


def initializer_array(init: onnx.TensorProto) -> np.ndarray:
    """An initializer as numpy. Raw little-endian data is viewed in place (read-only):
    `numpy_helper.to_array` copies it, and the dense attribute made from the array took a
    third copy; for VGG-16's 553 MB of weights the two copies were 0.75 s of a 7 s
    compile (`patcc.constants.dense_attr` keeps the bytes of such a view as they are)."""
    dtype = _RAW_DTYPES.get(init.data_type)
    if dtype is None or not init.HasField("raw_data") or uses_external_data(init):
        return numpy_helper.to_array(init)
    return np.frombuffer(init.raw_data, dtype=dtype).reshape(tuple(init.dims))


def import_model(
    model: onnx.ModelProto | str | Path,
    input_shapes: InputShapes | None = None,
    *,
    simplify: bool = True,
) -> ModuleOp:
    """Import an ONNX model. `simplify` runs the post-import passes (BN folding, silu)."""
    proto = load_model(model)
    graph = proto.graph
    opset = _opset(proto)
    inputs = graph_inputs(graph, input_shapes or {})

    block = Block(arg_types=[tensor_f32(s) for _, s in inputs])
    ctx = ImportContext(block, opset)
    for (name, _), arg in zip(inputs, block.args, strict=True):
        ctx.bound[name] = arg
    for init in graph.initializer:
        try:
            ctx.bound[init.name] = initializer_array(init)
        except Exception as err:
            raise PatccError(f"initializer '{init.name}': unreadable ({err})") from None

    for node in graph.node:
        ctx.node = node
        _import_node(ctx, node, opset)
    ctx.node = None

    results: list[SSAValue] = []
    for out in graph.output:
        if out.name not in ctx.bound:
            raise PatccError(f"graph output '{out.name}' is not produced by any node")
        results.append(ctx.value(out.name))
    block.add_op(func.ReturnOp(*results))

    fn = func.FuncOp(
        _symbol(graph.name),
        ([a.type for a in block.args], [r.type for r in results]),
        Region(block),
        arg_attrs=_name_attrs([n for n, _ in inputs]),
        res_attrs=_name_attrs([o.name for o in graph.output]),
    )
    module = ModuleOp([fn])
    if simplify:
        from patcc.pipelines import post_import_passes

        ctx_x = make_context()
        for p in post_import_passes():
            p.apply(ctx_x, module)
    try:
        module.verify()
    except VerifyException as err:
        raise PatccError(f"imported IR does not verify: {err}") from None
    return module


def _import_node(ctx: ImportContext, node: onnx.NodeProto, opset: int) -> None:
    if node.domain not in ("", "ai.onnx"):
        raise ctx.error(
            f"operator domain '{node.domain}' is not supported (see {SUPPORTED_OPS_DOC})"
        )
    present = [n for n in node.input if n]
    consts = [ctx.const(n) for n in node.input]
    if node.op_type == "Shape" and not isinstance(ctx.bound.get(node.input[0]), np.ndarray):
        ctx.bound[node.output[0]] = _fold_shape(node, ctx.shape(node.input[0]))
        return
    if (
        node.op_type not in NEVER_FOLD
        and all(ctx.const(n) is not None for n in present)
        and (present or node.op_type in ("Constant", "ConstantOfShape", "Range"))
    ):
        try:
            outs = _fold(node, consts, opset)
        except Exception as err:
            raise ctx.error(f"constant folding failed: {err}") from None
        for name, arr in zip([o for o in node.output if o], outs, strict=False):
            ctx.bound[name] = arr
        return
    converter = CONVERTERS.get(node.op_type)
    if converter is None:
        raise ctx.error(
            f"unsupported operator '{node.op_type}' (supported operators: {SUPPORTED_OPS_DOC})"
        )
    outs = converter(ctx, node)
    for name, value in zip(node.output, outs, strict=False):
        if name:
            ctx.bound[name] = value


# Ops never folded even on constant inputs (random, or meaningful only at run time).
NEVER_FOLD = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike"})


def _symbol(name: str) -> str:
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return clean if clean and not clean[0].isdigit() else f"main_{clean}" if clean else "main"


def _name_attrs(names: Sequence[str]):
    from xdsl.dialects.builtin import ArrayAttr

    return ArrayAttr([DictionaryAttr({NAME_ATTR: StringAttr(n)}) for n in names])


def make_context() -> Context:
    """An xDSL context with every dialect patcc's IR may contain."""
    from patcc.universe import load_all_dialects

    ctx = Context()
    load_all_dialects(ctx)
    return ctx


__all__ = ["TensorType", "import_model", "load_model", "make_context", "parse_input_shape"]
