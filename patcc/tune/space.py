"""What `patcc tune` searches per conv layer, and what identifies a layer across models.

A schedule is the tile of `tile-conv` (filters `oc` x output rows `oh` x output vectors
`ow`; `oh = 0` lets tile-conv pick the rows by the layer's vector width) and whether
`eliminate-load-redundancy` unrolls and jams it (`lre`). The filters of a tile run their
own kernel loops one after the other, so the register tile is `oh x ow` accumulators, capped
at MAX_REGISTER_TILE (AVX-512's 32 registers less the loaded inputs and broadcast weights;
AVX2 spills past ~12, which the search measures), and the whole unrolled tile at
MAX_ACCUMULATORS: beyond that the code, and its compile time, grow for nothing. Model-wide knobs (vector length, FKR group size, threads) are part of the
tuning key rather than of the per-layer space: the pipeline applies them to every layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from patcc.targets.emit import C_TILES

OC = (1, 2, 4, 8)
OH = (0, 1, 2, 3, 4, 6, 8)  # 0: tile-conv's choice by the layer's vector width (auto_rows)
OW = (1, 2, 3, 4)
MAX_ACCUMULATORS = 64
MAX_REGISTER_TILE = 16
AUTO_ROWS_MAX = 8  # the most rows oh = 0 may pick (tile_conv.AUTO_ROWS)


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


DEFAULT = Schedule(*C_TILES)  # the tiles `patcc compile` gives the C targets' layers


def valid(s: Schedule) -> bool:
    rows = s.oh or AUTO_ROWS_MAX
    if s.oc not in OC or s.oh not in OH or s.ow not in OW:
        return False
    return rows * s.ow <= MAX_REGISTER_TILE and s.oc * rows * s.ow <= MAX_ACCUMULATORS


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
    on one serves the other (and any model that has it). A block-pruned layer whose FKR
    groups share one kernel list runs another nest: its group size is part of the key."""
    shapes = " -> ".join("x".join(map(str, s)) for s in row.get("shape", []))
    kept = f"{row.get('kernels_kept', '?')}/{row.get('kernels_total', '?')}"
    shared = int(row.get("shared_group", 1))
    group = f" shared {shared}" if shared > 1 else ""
    return f"{row['op']} {shapes} kept {kept} nz {row.get('nonzero_macs', '?')}{group}"


def tunable(row: Mapping[str, Any]) -> bool:
    """Pattern convs: the layers tile-conv tiles."""
    return str(row.get("op", "")).startswith("pat.")
