"""The `pat` dialect: pattern-pruned convolutions (the pattern level of patcc).

`#pat.patterns` (attributes.py) is a conv's set of K kernel patterns; `pat.conv2d` (conv.py)
is a 3x3 conv that stores, per kernel, a pattern id (-1 = removed) and its 4 kept values;
`pat.fkw_conv2d` (fkw.py) the same conv with its weights in FKW arrays. `pat.prefetch`
(prefetch.py) is a loop-level read hint, which xDSL's memref dialect lacks.
"""

from xdsl.ir import Dialect, Operation

from .attributes import (
    CENTRE,
    MAX_PATTERNS,
    PATTERN_SIZE,
    Pattern,
    PatternsAttr,
    PatternSet,
    pattern_set_error,
    position_offset,
)
from .conv import ACTIVATIONS, PatConv2dOp, get_ids, get_patterns, ids_array, ids_attr
from .fkw import FkwConv2dOp
from .prefetch import PrefetchOp
from .store_fence import StoreFenceOp

ALL_OPS: list[type[Operation]] = [PatConv2dOp, FkwConv2dOp, PrefetchOp, StoreFenceOp]

PAT = Dialect("pat", ALL_OPS, [PatternsAttr])

__all__ = [
    "ACTIVATIONS",
    "ALL_OPS",
    "CENTRE",
    "MAX_PATTERNS",
    "PAT",
    "PATTERN_SIZE",
    "FkwConv2dOp",
    "PatConv2dOp",
    "Pattern",
    "PatternSet",
    "PatternsAttr",
    "PrefetchOp",
    "StoreFenceOp",
    "get_ids",
    "get_patterns",
    "ids_array",
    "ids_attr",
    "pattern_set_error",
    "position_offset",
]
