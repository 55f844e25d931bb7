"""patcc: a compression-compilation co-design compiler for pattern-pruned CNNs, on xDSL.

Python API: `patcc.prune(model, patterns=8, connectivity=3.6)` (ONNX in, ONNX out),
`patcc.import_model(model)` (ONNX -> nn-level xDSL module), `patcc.run_function(module,
inputs)` (reference interpreter), `patcc.compile(model, target="x86")` (ONNX -> a built and
loaded `patcc.CompiledModel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patcc.errors import PatccError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from patcc.compression.onnx_prune import prune
    from patcc.driver import compile
    from patcc.frontend import import_model
    from patcc.runtime import CompiledModel
    from patcc.semantics import run_function

_LAZY = {
    "prune": "patcc.compression.onnx_prune",
    "import_model": "patcc.frontend",
    "run_function": "patcc.semantics",
    "compile": "patcc.driver",
    "CompiledModel": "patcc.runtime",
}


def __getattr__(name: str) -> Any:
    """Heavy modules (onnx, xDSL) load on first use, so `import patcc` stays cheap."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'patcc' has no attribute {name!r}")


__all__ = [
    "CompiledModel",
    "PatccError",
    "__version__",
    "compile",
    "import_model",
    "prune",
    "run_function",
]
