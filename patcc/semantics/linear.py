"""(to be filled)"""

from __future__ import annotations

from xdsl.interpreter import InterpreterFunctions, register_impls


@register_impls
class LinearFunctions(InterpreterFunctions):
    pass
