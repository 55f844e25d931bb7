"""patcc's ModulePasses, one per file; `ALL_PASSES` maps each pass name to a loader.

Loaders import lazily, so `xdsl-opt` start-up does not pay for passes it does not run.
"""

from collections.abc import Callable
from importlib import import_module

from xdsl.passes import ModulePass

# pass name -> (module in this package, class name)
_PASSES: dict[str, tuple[str, str]] = {
    "fold-batchnorm": ("fold_batchnorm", "FoldBatchNormPass"),
    "fuse-silu": ("fuse_silu", "FuseSiluPass"),
    "prune-patterns": ("prune_patterns", "PrunePatternsPass"),
    "prune-connectivity": ("prune_connectivity", "PruneConnectivityPass"),
    "reorder-filters": ("reorder_filters", "ReorderFiltersPass"),
    "pack-fkw": ("pack_fkw", "PackFkwPass"),
    "lower-to-loops": ("lower_to_loops", "LowerToLoopsPass"),
    "plan-buffers": ("plan_buffers", "PlanBuffersPass"),
    "parallelize": ("parallelize", "ParallelizePass"),
    "layout-weights": ("layout_weights", "LayoutWeightsPass"),
    "map-to-ndrange": ("map_to_ndrange", "MapToNDRangePass"),
    "split-k-gemm": ("split_gemm", "SplitKGemmPass"),
    "skip-zero-inputs": ("skip_zero_inputs", "SkipZeroInputsPass"),
    "dense-conv-as-patterns": ("dense_conv_patterns", "DenseConvAsPatternsPass"),
    "tile-conv": ("tile_conv", "TileConvPass"),
    "eliminate-load-redundancy": ("eliminate_load_redundancy", "EliminateLoadRedundancyPass"),
    "canonicalize-hoisted": ("canonicalize_hoisted", "CanonicalizeHoistedPass"),
    "prefetch-next-kernel": ("prefetch_next_kernel", "PrefetchNextKernelPass"),
    "stream-stores": ("stream_stores", "StreamStoresPass"),
}


def _loader(module: str, cls: str) -> Callable[[], type[ModulePass]]:
    def load() -> type[ModulePass]:
        return getattr(import_module(f"{__name__}.{module}"), cls)

    return load


ALL_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    name: _loader(module, cls) for name, (module, cls) in _PASSES.items()
}
