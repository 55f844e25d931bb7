"""patcc's `xdsl.universe` plugin: plain `xdsl-opt` sees our dialects, passes and targets."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.context import Context
from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe
from xdsl.utils.target import Target


def _nn() -> Dialect:
    from patcc.dialects.nn import NN

    return NN


def _pat() -> Dialect:
    from patcc.dialects.pat import PAT

    return PAT


DIALECTS: dict[str, Callable[[], Dialect]] = {"nn": _nn, "pat": _pat}


def _passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from patcc.passes import ALL_PASSES

    return ALL_PASSES


def _target(name: str) -> Callable[[], type[Target]]:
    def load() -> type[Target]:
        from patcc.targets.c_targets import C_TARGETS

        return C_TARGETS[name]

    return load


def _opencl() -> type[Target]:
    from patcc.targets.opencl_target import OpenCLTarget

    return OpenCLTarget


def _targets() -> dict[str, Callable[[], type[Target]]]:
    return {**{name: _target(name) for name in ("x86-c", "neon-c")}, "opencl": _opencl}


def load_all_dialects(ctx: Context) -> None:
    """Every dialect xDSL knows (func, arith, scf, ...) plus ours."""
    for name, factory in Universe.get_multiverse().all_dialects.items():
        if name not in ctx.registered_dialect_names:
            ctx.register_dialect(name, factory)


PATCC_UNIVERSE = Universe(all_dialects=DIALECTS, all_passes=_passes(), all_targets=_targets())
