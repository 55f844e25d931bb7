"""patcc: a compression-compilation co-design compiler for pattern-pruned CNNs, on xDSL."""

from patcc.errors import PatccError

__version__ = "0.1.0"
__all__ = ["PatccError", "__version__"]
