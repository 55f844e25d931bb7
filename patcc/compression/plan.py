"""Model-level pruning decisions, shared by the IR passes and the ONNX-level `patcc.prune`.

Given the convs of a model (weights and groups), decide per conv: skipped (and why), or its
pattern set, pattern ids and kept values after pattern and connectivity pruning. One
implementation of the constraint serves every user (passes, `patcc prune`, ADMM training).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patcc.dialects.pat.attributes import MAX_PATTERNS, PatternSet
from patcc.errors import PatccError

from .blocks import check_block
from .connectivity import drop_empty_kernels, prune_connectivity
from .patterns import (
    check_pattern_fit,
    detect_existing_patterns,
    pack_fitting,
    project_to_patterns,
    select_pattern_set,
)

SCOPES = ("model", "layer")


@dataclass(frozen=True)
class PruneOptions:
    """patterns: K, the pattern-set size; connectivity: one rate for every pruned conv or a
    rate per conv name (missing names: 1.0), 1.0 = no connectivity pruning; scope: one set
    for the model (as PatDNN) or one per layer; first_layer: prune convs with <= 4 input
    channels too (left dense by default, as usual); block: prune in blocks of that many
    consecutive filters, one pattern per (block, input channel) and whole such units
    removed (`patcc.compression.blocks`; 1 = per kernel, as PatDNN)."""

    patterns: int = 8
    connectivity: float | Mapping[str, float] = 3.6
    scope: str = "model"
    first_layer: bool = False
    block: int = 1

    def check(self) -> None:
        if not 1 <= self.patterns <= MAX_PATTERNS:
            raise PatccError(f"patterns: K must be in 1..{MAX_PATTERNS}, got {self.patterns}")
        rates = (
            self.connectivity.values()
            if isinstance(self.connectivity, Mapping)
            else [self.connectivity]
        )
        for rate in rates:
            if not (math.isfinite(rate) and rate >= 1.0):
                raise PatccError(f"connectivity: the rate must be a number >= 1, got {rate}")
        try:
            check_block(self.block)
        except ValueError as err:
            raise PatccError(f"block: {err}") from None
        if self.scope not in SCOPES:
            raise PatccError(f"scope: expected one of {', '.join(SCOPES)}, got '{self.scope}'")

    def rate_for(self, name: str) -> float:
        if isinstance(self.connectivity, Mapping):
            return float(self.connectivity.get(name, 1.0))
        return float(self.connectivity)


@dataclass(frozen=True)
class ConvWeights:
    """A conv as the planner sees it."""

    name: str
    weight: np.ndarray  # OIHW
    group: int


@dataclass(frozen=True)
class LayerDecision:
    name: str
    skipped: str | None  # why the conv stays dense; None when pruned
    patterns: PatternSet = ()
    ids: np.ndarray | None = None  # (O, I) int8, -1 = removed
    values: np.ndarray | None = None  # (O, I, 4) float32
    lossless: bool = False  # the weights already fitted the set: nothing was lost


def skip_reason(conv: ConvWeights, first_layer: bool) -> str | None:
    """Why a conv is not pattern-pruned, or None if it is eligible."""
    o, i, kh, kw = conv.weight.shape
    if (kh, kw) != (3, 3):
        return f"{kh}x{kw} kernel (patterns are 3x3)"
    if conv.group != 1:
        kind = "depthwise" if conv.group == o and i == 1 else "grouped"
        return f"{kind} conv (group = {conv.group}; patterns need group = 1)"
    if i <= 4 and not first_layer:
        return f"first layer ({i} input channels) stays dense by default"
    return None


def plan_pruning(
    convs: Sequence[ConvWeights], options: PruneOptions, *, require_eligible: bool = True
) -> list[LayerDecision]:
    """Decide every conv. With `require_eligible`, a model with no eligible conv is an error
    (asking to prune it is a mistake, not a silent no-op); a pass in a pipeline passes False
    and leaves such a model dense."""
    options.check()
    reasons = {c.name: skip_reason(c, options.first_layer) for c in convs}
    eligible = [c for c in convs if reasons[c.name] is None]
    if not eligible and require_eligible:
        why = "; ".join(f"{n}: {r}" for n, r in reasons.items()) or "the model has no conv"
        raise PatccError(f"no conv is eligible for pattern pruning ({why})")

    groups = [eligible] if options.scope == "model" and eligible else [[c] for c in eligible]
    sets: dict[str, PatternSet] = {}
    for group in groups:
        patterns = choose_pattern_set([c.weight for c in group], options.patterns, options.block)
        sets.update(dict.fromkeys((c.name for c in group), patterns))

    decisions = []
    for conv in convs:
        if reasons[conv.name] is not None:
            decisions.append(LayerDecision(conv.name, reasons[conv.name]))
            continue
        patterns = sets[conv.name]
        ids, values, lossless = prune_layer(
            conv.weight, patterns, options.rate_for(conv.name), options.block
        )
        decisions.append(LayerDecision(conv.name, None, patterns, ids, values, lossless))
    return decisions


def prune_layer(
    weight: np.ndarray, patterns: PatternSet, rate: float, block: int = 1
) -> tuple[np.ndarray, np.ndarray, bool]:
    """One conv's weight (OIHW, 3x3) onto the constraint: pattern projection (lossless
    packing when it already fits the set), then connectivity pruning at `rate`, both per
    unit of `block` filters (`patcc.compression.blocks`), so ids rows are identical within
    a block.

    Returns ids (O, I) int8 (-1 = removed), values (O, I, 4) float32 and whether the weight
    already fitted the set. This is the projection ADMM training uses too.
    """
    lossless = check_pattern_fit(weight, patterns, block).lossless
    if lossless:
        ids, values = pack_fitting(weight, patterns, block)
    else:
        ids, values = project_to_patterns(weight, patterns, block)
    ids, values = prune_connectivity(ids, values, rate, block)
    ids, values = drop_empty_kernels(ids, values, block)
    return ids, values, lossless


def choose_pattern_set(weights: Sequence[np.ndarray], k: int, block: int = 1) -> PatternSet:
    """The set of K patterns for these OIHW 3x3 weights; an existing pattern set of at most K
    patterns (a model pruned before, by patcc or by the user's training; at `block`, its
    units') is kept as it is."""
    existing = detect_existing_patterns(weights, block)
    if existing is not None and len(existing) <= k:
        return existing
    return select_pattern_set(np.concatenate([w.reshape(-1, 3, 3) for w in weights]), k)
