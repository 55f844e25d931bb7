"""Named pass pipelines (Python objects and the equivalent `xdsl-opt -p` strings)."""

from __future__ import annotations

from xdsl.passes import ModulePass


def post_import_passes() -> list[ModulePass]:
    """What the importer runs after the graph walk: simplifications every later level wants."""
    return []
