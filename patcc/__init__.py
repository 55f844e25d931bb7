"""patcc: a compression-compilation co-design compiler for pattern-pruned CNNs, on xDSL.

Python API: `patcc.prune(model, patterns=8, connectivity=3.6)` (ONNX in, ONNX out),
`patcc.import_model(model)` (ONNX -> nn-level xDSL module), `patcc.run_function(module,
inputs)` (reference interpreter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from patcc.errors import PatccError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from patcc.compression.onnx_prune import prune
    from patcc.frontend import import_model
    from patcc.semantics import run_function

_LAZY = {
    "prune": "patcc.compression.onnx_prune",
    "import_model": "patcc.frontend",
    "run_function": "patcc.semantics",
}


def __getattr__(name: str) -> Any:
    """Heavy modules (onnx, xDSL) load on first use, so `import patcc` stays cheap."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'patcc' has no attribute {name!r}")


__all__ = ["PatccError", "__version__", "import_model", "prune", "run_function"]
