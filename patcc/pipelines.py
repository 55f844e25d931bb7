"""Named pass pipelines: Python `PassPipeline` objects and their `xdsl-opt -p` strings.

`patdnn(...)` is the PatDNN flow as far as it is built: pattern and connectivity pruning,
filter-kernel reorder and FKW packing. Later levels (loops, tiling, load-redundancy
elimination) append their passes here, so the Python object and the string never differ.
"""

from __future__ import annotations

from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from patcc.passes.fold_batchnorm import FoldBatchNormPass
from patcc.passes.fuse_silu import FuseSiluPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.prune_connectivity import PruneConnectivityPass
from patcc.passes.prune_patterns import PrunePatternsPass
from patcc.passes.reorder_filters import DEFAULT_GROUP_SIZE, ReorderFiltersPass


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
    group_size: int = DEFAULT_GROUP_SIZE,
) -> PassPipeline:
    """The PatDNN pipeline from an imported (nn-level) module. `connectivity=1.0` prunes
    patterns only."""
    passes: list[ModulePass] = [
        PrunePatternsPass(num_patterns=patterns, scope=scope, first_layer=first_layer),
    ]
    if connectivity != 1.0:
        passes.append(PruneConnectivityPass(rate=connectivity))
    passes += [ReorderFiltersPass(group_size=group_size), PackFkwPass(), DeadCodeElimination()]
    return PassPipeline(tuple(passes))


def pipeline_string(pipeline: PassPipeline) -> str:
    """The `xdsl-opt -p` spelling of a pipeline, every option written out."""
    return ",".join(str(p.pipeline_pass_spec(include_default=True)) for p in pipeline.passes)


PIPELINES = {"patdnn": patdnn}
