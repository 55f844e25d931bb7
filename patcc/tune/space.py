"""What `patcc tune` searches per conv layer, and what identifies a layer across models.

A schedule is the tile of `tile-conv` (filters `oc` x output rows `oh` x output vectors
`ow`; `oh = 0` lets tile-conv pick the rows by the layer's vector width), whether
`eliminate-load-redundancy` unrolls and jams it (`lre`), the layer's vector length (`vl`:
0 the pipeline's, or half of it: on CPUs whose 512-bit units clock down, or rows that waste
lanes, the narrower vectors may win) and its row blocks (`rb`: output rows per block, 0 by
the L2 size, -1 one block). The row-block loop is the outer loop of the nest and the one
the threads split when it has enough blocks (else the filter loop), so `rb` is also the
layer's loop order and thread split. `pf` sets the layer's prefetch hints
(`prefetch-next-kernel`): 0 the pass's rules (none on hosts where its rules are off,
`PREFETCH_VENDORS`), 1 hints in every kernel loop, -1 none; what the hints are worth
depends on the host, the nest and its tile (0.96-1.25x per layer on the Xeon), so the
search measures it; in an input-stationary layer 1 and -1 turn its hints for the next
channel's rows on and off (0: on rows of `input_stationary.HINT_VECTORS` vectors or more).
`st` picks the nest of a layer that could run input-stationary
(`patcc/lowering/input_stationary.py`): 0 the pipeline's rule (kernels per (channel,
pattern) pair), 1 input-stationary wherever its rows allow, -1 the per-filter nest; the
threshold is a rule of thumb from two hosts (the Xeon's 14x14 layers lose with it), the
search measures. `sr` caps the rows of the input-stationary tiles (0: the pipeline's rule,
`input_stationary.tile_rows` within `input_stationary_bytes`): which height wins depends on
the host's FMA rate against its L2 (8 rows 1.04-1.25x of 2 on the AMD EPYC, 0.79-0.94x on
the Xeon's pattern-only 256- and 512-channel layers), so the search measures that too.
The filters of a tile run their own kernel loops one after the other, so the register tile
is `oh x ow` accumulators, capped at MAX_REGISTER_TILE (AVX-512's 32 registers less the
loaded inputs and broadcast weights; AVX2 spills past ~12, which the search measures), and
the whole unrolled tile at MAX_ACCUMULATORS: beyond that the code, and its compile time,
grow for nothing. A layer whose FKR groups share one kernel list (block pruning) runs a
group's filters in one tile of the shared nest, so there `oc` is not searched
(`filter_tiles`). The FKR group size and the thread count stay model-wide (in the tuning
key): block pruning fixes the groups, and the threads are the deployment's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from patcc.lowering.input_stationary import MIN_LANES
from patcc.targets.emit import C_TILES

OC = (1, 2, 4, 8)
OH = (0, 1, 2, 3, 4, 6, 8)  # 0: tile-conv's choice by the layer's vector width (auto_rows)
OW = (1, 2, 3, 4)
RB = (0, 8, 16, 32, -1)  # 0: by ROW_BLOCK_BYTES (pattern_conv.row_block); -1: one block
PF = (0, 1, -1)  # prefetch hints: 0 the pass's rules, 1 every kernel loop, -1 none
ST = (0, 1, -1)  # input-stationary: 0 the pipeline's rule, 1 wherever it applies, -1 never
SR = (0, 2, 4, 8)  # input-stationary tile rows at most: 0 the pipeline's rule
MAX_ACCUMULATORS = 64
MAX_REGISTER_TILE = 16
AUTO_ROWS_MAX = 8  # the most rows oh = 0 may pick (tile_conv.AUTO_ROWS)


@dataclass(frozen=True)
class Schedule:
    oc: int = 4
    oh: int = 4
    ow: int = 2
    lre: bool = True
    vl: int = 0  # 0: the pipeline's vector length
    rb: int = 0  # 0: rows per block by the L2 size; -1: one block
    pf: int = 0  # 0: prefetch-next-kernel's rules; 1: hints in every kernel loop; -1: none
    st: int = 0  # 0: the pipeline's input-stationary rule; 1: input-stationary; -1: per filter
    sr: int = 0  # input-stationary tile rows at most (0: the pipeline's rule)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Schedule:
        """Logs written before `vl`, `rb`, `pf`, `st` and `sr` existed hold the defaults'
        trials."""
        ints = (int(d["oc"]), int(d["oh"]), int(d["ow"]))
        rest = (int(d.get(k, 0)) for k in ("vl", "rb", "pf", "st", "sr"))
        return Schedule(*ints, bool(d["lre"]), *rest)


DEFAULT = Schedule(*C_TILES)  # the tiles `patcc compile` gives the C targets' layers


def vector_lengths(length: int) -> tuple[int, ...]:
    """A layer's own vector lengths in a build of `length` lanes: its own, or half of it
    down to 4 lanes (what every vector target has)."""
    return (0, length // 2) if length >= 8 else (0,)


def filter_tiles(group: int = 1) -> tuple[int, ...]:
    """The filter tiles (`oc`) worth trying on a layer whose FKR groups of `group` filters
    share one kernel list: the shared nest runs a group's filters in one tile whatever `oc`
    says (every oc emits the same code), so there only the default's; else all of OC."""
    return (DEFAULT.oc,) if group > 1 else OC


def stationary_choices(group: int = 1, length: int = 16) -> tuple[int, ...]:
    """The `st` values worth trying: all of ST, but only the default's on a layer of shared
    groups (the shared nest runs whatever `st` says) or in a build narrower than the nest's
    rows (`input_stationary.MIN_LANES`: the opencl target's one lane)."""
    return (DEFAULT.st,) if group > 1 or length < MIN_LANES else ST


def stationary_rows(group: int = 1, length: int = 16) -> tuple[int, ...]:
    """The `sr` values worth trying: all of SR where the layer may run input-stationary
    (`stationary_choices` offers it), else only the default's. With `st` = -1 the knob
    changes nothing: such a trial builds the C of `sr` = 0, which the measure reuses."""
    return SR if len(stationary_choices(group, length)) > 1 else (DEFAULT.sr,)


def searched(s: Schedule, group: int = 1) -> Schedule:
    """`s` as the search sees it on such a layer: a knob the layer ignores at the default's
    value, so trials logged with another oc, st or sr (before the search knew) are the same
    point."""
    if s.oc not in filter_tiles(group):
        s = replace(s, oc=DEFAULT.oc)
    if s.st not in stationary_choices(group):
        s = replace(s, st=DEFAULT.st)
    ignored = s.sr not in stationary_rows(group) or s.st == -1
    return replace(s, sr=DEFAULT.sr) if ignored else s


def valid(s: Schedule, length: int = 16, group: int = 1) -> bool:
    rows = s.oh or AUTO_ROWS_MAX
    if s.oc not in filter_tiles(group) or s.oh not in OH or s.ow not in OW or s.rb not in RB:
        return False
    if s.pf not in PF or s.vl not in vector_lengths(length):
        return False
    if s.st not in stationary_choices(group, length):
        return False
    if s.sr not in stationary_rows(group, length):
        return False
    return rows * s.ow <= MAX_REGISTER_TILE and s.oc * rows * s.ow <= MAX_ACCUMULATORS


def space(length: int = 16, group: int = 1) -> list[Schedule]:
    """Every valid schedule in a build of `length` lanes (the grid the search samples) for
    a layer whose groups of `group` filters share their kernels (1: none)."""
    grid = (
        Schedule(oc, oh, ow, lre, vl, rb, pf, st, sr)
        for oc in filter_tiles(group)
        for oh in OH
        for ow in OW
        for lre in (True, False)
        for vl in vector_lengths(length)
        for rb in RB
        for pf in PF
        for st in stationary_choices(group, length)
        for sr in stationary_rows(group, length)
    )
    return [s for s in grid if valid(s, length, group)]


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
