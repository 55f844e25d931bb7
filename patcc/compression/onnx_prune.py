"""`patcc.prune`: pattern + connectivity pruning of an ONNX model's conv weights, in place.

It touches only weights (initializers), so it needs no input shapes and works on models with
dynamic dimensions; the result is an ordinary ONNX model (zeros where weights were pruned)
that any runtime loads, so users can measure accuracy or fine-tune in their own framework.
The decisions are those of `plan_pruning`, the same code the IR passes use, on the same
weights: a conv's filters scaled by the BatchNorm after it, which `patcc.compile` folds
into them at import (`patcc.compression.folding`), while the zeros go into the model's own
weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from patcc.errors import PatccError

from .folding import batchnorm_factor, folded_weight
from .patterns import dense_from_pattern
from .plan import ConvWeights, LayerDecision, PruneOptions, plan_pruning


@dataclass(frozen=True)
class LayerReport:
    name: str
    weight_shape: tuple[int, ...]
    skipped: str | None
    kernels: int
    kernels_kept: int
    weights_before: int  # non-zero weights before pruning
    weights_after: int  # non-zero weights after pruning
    pattern_counts: tuple[tuple[tuple[int, ...], int], ...] = ()  # (pattern, kept kernels)
    output_pixels: int | None = None  # OH * OW, when shapes are known
    lossless: bool = False
    energy_before: float = 0.0  # sum of squared weights before pruning
    energy_after: float = 0.0  # ... after: what the constraint kept of the weights

    @property
    def macs_after(self) -> int | None:
        return None if self.output_pixels is None else self.weights_after * self.output_pixels

    @property
    def macs_before(self) -> int | None:
        return None if self.output_pixels is None else self.weights_before * self.output_pixels


@dataclass
class PruneReport:
    options: PruneOptions
    patterns: tuple[tuple[int, ...], ...]  # the model's set (scope=model) or the union
    layers: list[LayerReport] = field(default_factory=list)

    def pruned(self) -> list[LayerReport]:
        return [r for r in self.layers if r.skipped is None]


def _conv_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    return [n for n in graph.node if n.op_type == "Conv" and n.domain in ("", "ai.onnx")]


def _group(node: onnx.NodeProto) -> int:
    for a in node.attribute:
        if a.name == "group":
            return int(a.i)
    return 1


def _output_pixels(
    model: onnx.ModelProto, input_shapes: Mapping[str, Sequence[int]]
) -> dict[str, int]:
    """OH*OW of each conv output whose shape ONNX shape inference can tell (else absent).

    Inference runs on a light copy: large initializers become typed graph inputs (their
    shapes are all inference needs), small ones (shape tensors) keep their values.
    """
    graph = model.graph
    light = onnx.GraphProto(name=graph.name, node=graph.node, output=graph.output)
    for inp in graph.input:
        info = light.input.add()
        info.CopyFrom(inp)
        if inp.name in input_shapes:
            dims = info.type.tensor_type.shape.dim
            del dims[:]
            for d in input_shapes[inp.name]:
                dims.add().dim_value = int(d)
    for init in graph.initializer:
        if int(np.prod(init.dims)) <= 4096:
            light.initializer.add().CopyFrom(init)
        else:
            light.input.append(
                onnx.helper.make_tensor_value_info(init.name, init.data_type, init.dims)
            )
    light_model = onnx.helper.make_model(light, opset_imports=model.opset_import)
    try:
        inferred = onnx.shape_inference.infer_shapes(light_model)
    except Exception:  # inference is best effort: the table then shows no MACs
        return {}
    shapes: dict[str, int] = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        if len(dims) == 4 and all(d.HasField("dim_value") for d in dims[2:]):
            shapes[vi.name] = dims[2].dim_value * dims[3].dim_value
    return shapes


def prune_with_report(
    model: onnx.ModelProto | str | Path,
    options: PruneOptions,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> tuple[onnx.ModelProto, PruneReport]:
    from patcc.frontend import load_model

    proto = onnx.ModelProto()
    proto.CopyFrom(load_model(model))  # the caller's model stays untouched
    graph = proto.graph
    inits = {t.name: t for t in graph.initializer}
    uses = Counter(name for node in graph.node for name in node.input)

    factors = _batchnorm_factors(graph, inits, uses)
    convs: list[ConvWeights] = []
    raw: dict[str, np.ndarray] = {}  # the model's weights (convs holds them folded)
    skipped: dict[str, str] = {}
    nodes: dict[str, onnx.NodeProto] = {}
    for index, node in enumerate(_conv_nodes(graph)):
        name = node.name or f"conv{index}"
        nodes[name] = node
        w_name = node.input[1] if len(node.input) > 1 else ""
        tensor = inits.get(w_name)
        if tensor is None:
            skipped[name] = "weight is not an initializer"
        elif uses[w_name] > 1:
            skipped[name] = "weight is shared with another node"
        elif tensor.data_type != onnx.TensorProto.FLOAT:
            skipped[name] = (
                f"weight type {onnx.TensorProto.DataType.Name(tensor.data_type)} (float32 only)"
            )
        else:
            weight = numpy_helper.to_array(tensor)
            raw[name] = weight
            factor = factors.get(node.output[0])
            ranked = weight if factor is None else folded_weight(weight, factor)
            convs.append(ConvWeights(name, ranked, _group(node)))

    try:
        decisions = plan_pruning(convs, options)
    except PatccError as err:
        if skipped and "no conv is eligible" in str(err):
            extra = "; ".join(f"{n}: {r}" for n, r in skipped.items())
            raise PatccError(f"{err}; also {extra}") from None
        raise

    pixels = _output_pixels(proto, input_shapes or {})
    report = PruneReport(options, ())
    all_patterns: dict[tuple[int, ...], None] = {}
    for name, node in nodes.items():
        if name in skipped:
            weight = numpy_helper.to_array(inits[node.input[1]]) if node.input[1] in inits else None
            report.layers.append(
                _skipped_row(name, weight, skipped[name], pixels.get(node.output[0]))
            )
            continue
        decision = next(d for d in decisions if d.name == name)
        weight = raw[name]
        if decision.skipped is not None:
            report.layers.append(
                _skipped_row(name, weight, decision.skipped, pixels.get(node.output[0]))
            )
            continue
        new_weight = _apply(decision, weight if node.output[0] in factors else None)
        inits[node.input[1]].CopyFrom(numpy_helper.from_array(new_weight, node.input[1]))
        all_patterns.update(dict.fromkeys(decision.patterns))
        report.layers.append(
            _pruned_row(name, weight, new_weight, decision, pixels.get(node.output[0]))
        )
    report.patterns = tuple(sorted(all_patterns))
    return proto, report


def _apply(decision: LayerDecision, unfolded: np.ndarray | None = None) -> np.ndarray:
    """The pruned weight: the decision's values, or where the decision was made on folded
    weights, the model's own `unfolded` weight at the positions the decision kept."""
    assert decision.ids is not None and decision.values is not None
    if unfolded is None:
        return dense_from_pattern(decision.ids, decision.values, decision.patterns)
    ones = np.ones_like(decision.values)
    kept = dense_from_pattern(decision.ids, ones, decision.patterns) != 0
    return np.where(kept, unfolded, np.float32(0.0)).astype(np.float32) + np.float32(0.0)


def _batchnorm_factors(
    graph: onnx.GraphProto, inits: Mapping[str, onnx.TensorProto], uses: Counter[str]
) -> dict[str, np.ndarray]:
    """Conv output -> the factors (`folding.batchnorm_factor`) of the BatchNormalization
    that fold-batchnorm folds into that conv at import: the only reader of the output (not
    a graph output either), its scale and variance initializers."""
    outputs = {o.name for o in graph.output}
    conv_outputs = {n.output[0] for n in _conv_nodes(graph)}
    factors: dict[str, np.ndarray] = {}
    for node in graph.node:
        if node.op_type != "BatchNormalization" or len(node.input) != 5:
            continue
        x, scale, _, _, var = node.input
        if x not in conv_outputs or uses[x] != 1 or x in outputs:
            continue
        if any(name not in inits for name in node.input[1:]):  # folding needs all four
            continue
        epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-5)
        params = [numpy_helper.to_array(inits[n]) for n in (scale, var)]
        factors[x] = batchnorm_factor(params[0], params[1], float(np.float32(epsilon)))
    return factors


def _skipped_row(name: str, weight: np.ndarray | None, why: str, pixels: int | None) -> LayerReport:
    shape = tuple(weight.shape) if weight is not None else ()
    nnz = int(np.count_nonzero(weight)) if weight is not None else 0
    kernels = int(np.prod(shape[:2])) if len(shape) >= 2 else 0
    energy = _energy(weight) if weight is not None else 0.0
    return LayerReport(
        name, shape, why, kernels, kernels, nnz, nnz, (), pixels, False, energy, energy
    )


def _energy(weight: np.ndarray) -> float:
    return float(np.square(np.asarray(weight, dtype=np.float64)).sum())


def _pruned_row(
    name: str,
    weight: np.ndarray,
    new_weight: np.ndarray,
    decision: LayerDecision,
    pixels: int | None,
) -> LayerReport:
    assert decision.ids is not None
    ids = decision.ids.reshape(-1)
    hist = np.bincount(ids[ids >= 0].astype(np.int64), minlength=len(decision.patterns))
    return LayerReport(
        name,
        tuple(weight.shape),
        None,
        int(ids.size),
        int((ids >= 0).sum()),
        int(np.count_nonzero(weight)),
        int(np.count_nonzero(new_weight)),
        tuple((p, int(h)) for p, h in zip(decision.patterns, hist, strict=True)),
        pixels,
        decision.lossless,
        _energy(weight),
        _energy(new_weight),
    )


def prune(
    model: onnx.ModelProto | str | Path,
    *,
    patterns: int = 8,
    connectivity: float | Mapping[str, float] = 3.6,
    scope: str = "model",
    first_layer: bool = False,
    block: int = 1,
) -> onnx.ModelProto:
    """Prune a model's 3x3 convs to K patterns and remove kernels at the given rate.

    `model` is a path or a ModelProto (left untouched); `connectivity` is one rate or a rate
    per Conv node name (1.0 = keep every kernel); `block` > 1 prunes in blocks of that many
    filters (one pattern per block and input channel, `patcc.compression.blocks`).
    Deterministic: the same model and options give identical bytes.
    """
    options = PruneOptions(patterns, connectivity, scope, first_layer, block)
    return prune_with_report(model, options)[0]
