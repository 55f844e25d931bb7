"""patcc's ModulePasses, one per file; `ALL_PASSES` maps each pass name to its class."""

from collections.abc import Callable

from xdsl.passes import ModulePass


def _all_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    return {}


ALL_PASSES = _all_passes()
