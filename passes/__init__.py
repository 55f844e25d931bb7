"""patcc's ModulePasses, one per file; `ALL_PASSES` maps each pass name to a loader.

Loaders import lazily, so `xdsl-opt` start-up does not pay for passes it does not run.
"""

from collections.abc import Callable

from xdsl.passes import ModulePass


def _fold_batchnorm() -> type[ModulePass]:
    from .fold_batchnorm import FoldBatchNormPass

    return FoldBatchNormPass


def _fuse_silu() -> type[ModulePass]:
    from .fuse_silu import FuseSiluPass

    return FuseSiluPass


ALL_PASSES: dict[str, Callable[[], type[ModulePass]]] = {
    "fold-batchnorm": _fold_batchnorm,
    "fuse-silu": _fuse_silu,
}
