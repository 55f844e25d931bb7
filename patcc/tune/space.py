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

On the opencl target (`choices`) a work item is one scalar output or a column of them, so
the search is another: filters per work item `oc`, output rows `oh` (0: the target's rule,
4 or 2 rows where the layer keeps 2^16 work items, `tile_conv.items_rows`) and outputs
along the row `ow`, LRE, and the work-group size of the layer's flat NDRanges `ls` (0: the
target's 128). A GPU's best tile depends on its registers, its warps and its caches, which
no rule of thumb from one device carries to another: on PoCL (a CPU) 4 filters x 1 row x 4
columns ran a 16-channel 32x32 layer 3.5x faster than the GPU default, which won on an
H200. The CPU knobs (`vl`, `rb`, `pf`, `st`, `sr`) have no meaning there and stay 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from itertools import product
from typing import Any

from patcc.lowering.input_stationary import MIN_LANES
from patcc.targets.emit import C_TILES
from patcc.targets.opencl_target import OPENCL_TILES

OC = (1, 2, 4, 8)
OH = (0, 1, 2, 3, 4, 6, 8)  # 0: tile-conv's choice by the layer's vector width (auto_rows)
OW = (1, 2, 3, 4)
RB = (0, 8, 16, 32, -1)  # 0: by ROW_BLOCK_BYTES (pattern_conv.row_block); -1: one block
PF = (0, 1, -1)  # prefetch hints: 0 the pass's rules, 1 every kernel loop, -1 none
ST = (0, 1, -1)  # input-stationary: 0 the pipeline's rule, 1 wherever it applies, -1 never
SR = (0, 2, 4, 8)  # input-stationary tile rows at most: 0 the pipeline's rule
GPU_OC = (1, 2, 4)  # opencl: filters per work item
GPU_OH = (0, 1, 2, 4, 8)  # opencl: output rows per work item (0: the target's rule)
GPU_OW = (1, 2, 4)  # opencl: outputs along the row per work item
LS = (0, 32, 64, 128, 256)  # opencl: work items per group (0: the target's)
GPU_TARGET = "opencl"
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
    ls: int = 0  # opencl: work-group size of the layer's NDRanges (0: the target's)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Schedule:
        """Logs written before `vl`, `rb`, `pf`, `st`, `sr` and `ls` existed hold the
        defaults' trials."""
        ints = (int(d["oc"]), int(d["oh"]), int(d["ow"]))
        rest = (int(d.get(k, 0)) for k in ("vl", "rb", "pf", "st", "sr", "ls"))
        return Schedule(*ints, bool(d["lre"]), *rest)


DEFAULT = Schedule(*C_TILES)  # the tiles `patcc compile` gives the C targets' layers
GPU_DEFAULT = Schedule(*OPENCL_TILES)  # and the opencl target's


def default(target: str = "x86") -> Schedule:
    """The schedule a layer of `target` gets untuned: the reference every trial is timed
    against."""
    return GPU_DEFAULT if target == GPU_TARGET else DEFAULT


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


def choices(length: int = 16, group: int = 1, target: str = "x86") -> dict[str, tuple[Any, ...]]:
    """Each knob's values worth trying on a layer whose groups of `group` filters share
    their kernels (1: none), in a `target` build of `length` lanes: the grid the search
    samples (`valid` bounds its register tiles), one value where the knob changes
    nothing."""
    base = default(target)
    if target == GPU_TARGET:
        return {
            "oc": GPU_OC if group == 1 else (base.oc,),
            "oh": GPU_OH,
            "ow": GPU_OW,
            "lre": (True, False),
            "vl": vector_lengths(length),
            **{knob: (0,) for knob in ("rb", "pf", "st", "sr")},
            "ls": LS,
        }
    return {
        "oc": filter_tiles(group),
        "oh": OH,
        "ow": OW,
        "lre": (True, False),
        "vl": vector_lengths(length),
        "rb": RB,
        "pf": PF,
        "st": stationary_choices(group, length),
        "sr": stationary_rows(group, length),
        "ls": (0,),
    }


def searched(s: Schedule, group: int = 1, target: str = "x86") -> Schedule:
    """`s` as the search sees it on such a layer: a knob the layer ignores at the default's
    value, so trials logged with another oc, st or sr (before the search knew) are the same
    point."""
    base = default(target)
    knobs = choices(group=group, target=target)
    kept = {k: v if v in knobs[k] or k == "vl" else getattr(base, k) for k, v in asdict(s).items()}
    if kept["st"] == -1:
        kept["sr"] = base.sr
    return Schedule(**kept)


def valid(s: Schedule, length: int = 16, group: int = 1, target: str = "x86") -> bool:
    knobs = choices(length, group, target)
    if any(v not in knobs[k] for k, v in asdict(s).items()):
        return False
    rows = s.oh or AUTO_ROWS_MAX
    return rows * s.ow <= MAX_REGISTER_TILE and s.oc * rows * s.ow <= MAX_ACCUMULATORS


def space(length: int = 16, group: int = 1, target: str = "x86") -> list[Schedule]:
    """Every valid schedule in a `target` build of `length` lanes (the grid the search
    samples) for a layer whose groups of `group` filters share their kernels (1: none)."""
    knobs = choices(length, group, target)
    grid = (
        Schedule(**dict(zip(knobs, values, strict=True))) for values in product(*knobs.values())
    )
    return [s for s in grid if valid(s, length, group, target)]


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
