"""Build folders for compiled models and running them: `build` writes and compiles a target's
emitted files (patcc.runtime.builder), `CompiledModel` loads and runs the result."""

from patcc.runtime.builder import build
from patcc.runtime.loader import CompiledModel

__all__ = ["CompiledModel", "build"]
