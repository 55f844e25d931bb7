"""Named pass pipelines: Python `PassPipeline` objects and their `xdsl-opt -p` strings.

`patdnn(...)` is the PatDNN flow from an imported model to loop level: pattern and
connectivity pruning, filter-kernel reorder, FKW packing, lowering to loops, tiling and
load-redundancy elimination, then canonicalize (xDSL's patterns, through our
`canonicalize-hoisted`) and CSE. The Python object and the `xdsl-opt -p` string are made
from the same list, so they never differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from patcc.passes.fold_batchnorm import FoldBatchNormPass
from patcc.passes.fuse_silu import FuseSiluPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.prune_connectivity import PruneConnectivityPass
from patcc.passes.prune_patterns import PrunePatternsPass
from patcc.passes.reorder_filters import DEFAULT_GROUP_SIZE, ReorderFiltersPass


@dataclass(frozen=True)
class Tiles:
    """tile-conv's sizes: filters (0: the FKR group size, so a tile is one group), output
    rows (0: by the layer's vector width, `tile_conv.auto_rows`), and output-width vectors;
    `min_items` > 0 picks auto rows by the work items a GPU keeps instead
    (`tile_conv.items_rows`)."""

    oc: int = 0
    oh: int = 0
    ow: int = 2
    min_items: int = 0


def post_import_passes() -> list[ModulePass]:
    """What the importer runs after the graph walk: simplifications every later level wants
    (BN folded into convs, silu recognised; weights orphaned by folding removed)."""
    return [FoldBatchNormPass(), FuseSiluPass(), DeadCodeElimination()]


def patdnn(
    patterns: int = 8,
    connectivity: float = 3.6,
    *,
    scope: str = "model",
    first_layer: bool = False,
    block: int = 1,
    group_size: int | None = None,
    to_loops: bool = True,
    vector_length: int = 8,
    tiles: Tiles | None = Tiles(),
    lre: bool = True,
    shared_groups: bool = True,
    halos: bool = True,
    shared_min_items: int = 0,
    gemm_filters: int = 0,
    row_blocks: bool = True,
    pads_in_one_nest: bool = False,
    pool_rows: bool = True,
    input_stationary: int = 0,
    input_stationary_bytes: int = 0,
    input_stationary_filter_bytes: int = 0,
) -> PassPipeline:
    """The PatDNN pipeline from an imported (nn-level) module. `connectivity=1.0` prunes
    patterns only; `to_loops=False` stops at FKW (pattern level); `tiles=None` does not
    tile, `lre=False` leaves the tiles rolled (no unroll-and-jam, no load elimination),
    `shared_groups=False` lowers block-shared FKR groups per filter too (`shared_min_items`:
    except on layers of that many group outputs), `halos=False` keeps each padded consumer's
    copy of its input, `gemm_filters` sets the 1x1 GEMMs' filters per tile, `row_blocks=False`
    runs each pattern conv's rows in one block, `pads_in_one_nest=True` writes each padded
    copy in one nest, without a fill, `pool_rows=False` lowers window pools an output a step,
    `input_stationary=N` runs pattern convs with N kernels per (channel, pattern) pair or
    more input-stationary (lower-to-loops), in tiles whose rows keep the filter tiles of
    one input channel within `input_stationary_bytes` (0: any), sweeping the channels once
    per block of filters whose tiles fit `input_stationary_filter_bytes` (0: one sweep).
    `block` > 1 prunes
    in blocks of that many filters; the FKR groups are then the blocks (`group_size`
    defaults to `block`, else to DEFAULT_GROUP_SIZE)."""
    if group_size is None:
        group_size = block if block > 1 else DEFAULT_GROUP_SIZE
    passes: list[ModulePass] = [
        PrunePatternsPass(num_patterns=patterns, scope=scope, first_layer=first_layer, block=block),
    ]
    if connectivity != 1.0:
        passes.append(PruneConnectivityPass(rate=connectivity, block=block))
    passes += [ReorderFiltersPass(group_size=group_size), PackFkwPass(), DeadCodeElimination()]
    if to_loops:
        passes += loop_passes(
            group_size,
            vector_length=vector_length,
            tiles=tiles,
            lre=lre,
            shared_groups=shared_groups,
            halos=halos,
            shared_min_items=shared_min_items,
            gemm_filters=gemm_filters,
            row_blocks=row_blocks,
            pads_in_one_nest=pads_in_one_nest,
            pool_rows=pool_rows,
            input_stationary=input_stationary,
            input_stationary_bytes=input_stationary_bytes,
            input_stationary_filter_bytes=input_stationary_filter_bytes,
        )
    return PassPipeline(tuple(passes))


def loop_passes(
    group_size: int = DEFAULT_GROUP_SIZE,
    *,
    tiles: Tiles | None = Tiles(),
    lre: bool = True,
    **lowering: Any,
) -> list[ModulePass]:
    """`patdnn`'s passes from the pattern level (or a model with nothing to prune) to loop
    level: `lower-to-loops` with the `lowering` options (its fields), `tile-conv` (filters
    per tile `tiles.oc`, else `group_size`), LRE, canonicalize and CSE."""
    # imported here: the importer's post_import_passes need none of these
    from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

    from patcc.passes.canonicalize_hoisted import CanonicalizeHoistedPass
    from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
    from patcc.passes.lower_to_loops import LowerToLoopsPass
    from patcc.passes.tile_conv import TileConvPass

    passes: list[ModulePass] = [LowerToLoopsPass(**lowering)]
    if tiles is not None:
        oc = tiles.oc or group_size
        passes.append(TileConvPass(oc=oc, oh=tiles.oh, ow=tiles.ow, min_items=tiles.min_items))
    if lre:
        passes.append(EliminateLoadRedundancyPass())
    return [*passes, CanonicalizeHoistedPass(), CommonSubexpressionElimination()]


def pipeline_string(pipeline: PassPipeline) -> str:
    """The `xdsl-opt -p` spelling of a pipeline, every option written out."""
    return ",".join(str(p.pipeline_pass_spec(include_default=True)) for p in pipeline.passes)


PIPELINES = {"patdnn": patdnn}
