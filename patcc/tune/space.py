"""What `patcc tune` searches per conv layer, and what identifies a layer across models.

A schedule is the register tile of `tile-conv` (filters `oc` x output rows `oh` x output
vectors `ow`) and whether `eliminate-load-redundancy` unrolls and jams it (`lre`). The tile
is capped at MAX_ACCUMULATORS accumulators: beyond that the register file (16 vector
registers on AVX2) spills on every FMA and the unrolled code, and its compile time, grow
for nothing. Model-wide knobs (vector length, FKR group size, threads) are part of the
tuning key rather than of the per-layer space: the pipeline applies them to every layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

OC = (1, 2, 4, 8)
OH = (1, 2, 3, 4, 6, 8)
OW = (1, 2, 3, 4)
MAX_ACCUMULATORS = 32


@dataclass(frozen=True)
class Schedule:
    oc: int = 4
    oh: int = 4
    ow: int = 2
    lre: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Schedule:
        return Schedule(int(d["oc"]), int(d["oh"]), int(d["ow"]), bool(d["lre"]))


DEFAULT = Schedule()  # the patdnn pipeline's tiles (oc = the default group size 4)


def valid(s: Schedule) -> bool:
    return s.oc in OC and s.oh in OH and s.ow in OW and s.oc * s.oh * s.ow <= MAX_ACCUMULATORS


def space() -> list[Schedule]:
    """Every valid schedule (the grid the search samples from)."""
    return [
        Schedule(oc, oh, ow, lre)
        for oc in OC
        for oh in OH
        for ow in OW
        for lre in (True, False)
        if valid(Schedule(oc, oh, ow, lre))
    ]


def signature(row: Mapping[str, Any]) -> str:
    """A layer's identity for the log, from its report.json row: op, shapes, and the
    pruning's footprint (kernels kept of all, non-zero MACs). Two layers with equal
    signatures run the same loop nest over the same amount of work, so a schedule measured
    on one serves the other (and any model that has it)."""
    shapes = " -> ".join("x".join(map(str, s)) for s in row.get("shape", []))
    kept = f"{row.get('kernels_kept', '?')}/{row.get('kernels_total', '?')}"
    return f"{row['op']} {shapes} kept {kept} nz {row.get('nonzero_macs', '?')}"


def tunable(row: Mapping[str, Any]) -> bool:
    """Pattern convs: the layers tile-conv tiles."""
    return str(row.get("op", "")).startswith("pat.")
