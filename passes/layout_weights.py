"""layout-weights: where each constant lives in the weight blob (weights.bin).

Every constant `memref.global` gets `patcc.blob_offset` (bytes, 64-byte aligned, in module
order) and the module gets `patcc.weights_bytes`; the C targets read weights through one
`const void *weights` pointer plus these offsets, and `patcc.targets.weights_blob` writes
the blob from the same attributes. Idempotent: offsets are recomputed from scratch.

A private global that no `memref.get_global` reads is removed first: a lowering may leave
its operand's constant behind when it reads a copy in another layout (an input-stationary
pattern conv's `is_weight`, `patcc/lowering/input_stationary.py`), and the blob would carry
both (8 MB more for the per-kernel VGG-16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.passes import ModulePass

from patcc.constants import numpy_dtype
from patcc.errors import PatccError
from patcc.targets.attrs import BLOB_ALIGNMENT, BLOB_OFFSET_ATTR, WEIGHTS_BYTES_ATTR


def _align(n: int) -> int:
    return (n + BLOB_ALIGNMENT - 1) // BLOB_ALIGNMENT * BLOB_ALIGNMENT


@dataclass(frozen=True)
class LayoutWeightsPass(ModulePass):
    """Blob offsets for every constant global (see the module docstring)."""

    name = "layout-weights"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        read = {g.name_.root_reference.data for g in op.walk() if isinstance(g, memref.GetGlobalOp)}
        for glob in list(op.ops):
            if not isinstance(glob, memref.GlobalOp) or glob.sym_name.data in read:
                continue
            if glob.sym_visibility is not None and glob.sym_visibility.data == "private":
                op.body.block.erase_op(glob)
        end = 0
        for glob in op.ops:
            if not isinstance(glob, memref.GlobalOp):
                continue
            typ = glob.type
            if glob.constant is None or not isinstance(typ, MemRefType):
                raise PatccError(
                    f"layout-weights: memref.global @{glob.sym_name.data} is not a constant"
                )
            offset = _align(end)
            glob.attributes[BLOB_OFFSET_ATTR] = IntegerAttr(offset, i64)
            end = offset + math.prod(typ.get_shape()) * numpy_dtype(typ.element_type).itemsize
        op.attributes[WEIGHTS_BYTES_ATTR] = IntegerAttr(_align(end), i64)
