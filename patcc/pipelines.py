"""Named pass pipelines (Python objects and the equivalent `xdsl-opt -p` strings)."""

from __future__ import annotations

from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from patcc.passes.fold_batchnorm import FoldBatchNormPass
from patcc.passes.fuse_silu import FuseSiluPass


def post_import_passes() -> list[ModulePass]:
    """What the importer runs after the graph walk: simplifications every later level wants
    (BN folded into convs, silu recognised; weights orphaned by folding removed)."""
    return [FoldBatchNormPass(), FuseSiluPass(), DeadCodeElimination()]


def pipeline_string(passes: list[ModulePass]) -> str:
    """The `xdsl-opt -p` spelling of a pipeline."""
    return ",".join(str(p.pipeline_pass_spec()) for p in passes)
