"""The weight blob: every constant `memref.global` at the 64-byte-aligned offset that the
layout-weights pass recorded on it (`patcc.blob_offset`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

import numpy as np
from xdsl.dialects import memref
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, IntegerAttr, MemRefType, ModuleOp

from patcc.constants import dense_to_numpy, numpy_dtype
from patcc.errors import PatccError
from patcc.targets.attrs import BLOB_OFFSET_ATTR, WEIGHTS_BYTES_ATTR


def global_bytes(glob: memref.GlobalOp) -> bytes:
    """A global's initial value as little-endian bytes of its element type."""
    value = glob.initial_value
    typ = glob.type
    if not isinstance(value, DenseIntOrFPElementsAttr) or not isinstance(typ, MemRefType):
        raise PatccError(f"memref.global @{glob.sym_name.data}: no dense initial value")
    dtype = numpy_dtype(typ.element_type)
    shape = tuple(typ.get_shape())
    if value.type.element_type == typ.element_type and len(value.data.data) == int(
        np.prod(shape, dtype=np.int64) * dtype.itemsize
    ):  # already the bytes of the blob (xDSL stores them little-endian): no copies
        return value.data.data
    return np.ascontiguousarray(dense_to_numpy(value).astype(dtype).reshape(shape)).tobytes()


@dataclass(frozen=True)
class Blob:
    """weights.bin as its pieces in offset order (zero padding between them): written to a
    file piece by piece, joined only when its bytes are asked for. Joining VGG-16's 553 MB
    was a quarter of the C emitter's time, and a build only writes them."""

    pieces: tuple[bytes, ...]

    def __bytes__(self) -> bytes:
        return b"".join(self.pieces)

    def write_to(self, f: IO[bytes]) -> None:
        for piece in self.pieces:
            f.write(piece)


def weights_blob(module: ModuleOp) -> bytes:
    """The contents of weights.bin (zero padding between globals), joined."""
    return bytes(weights_pieces(module))


def weights_pieces(module: ModuleOp) -> Blob:
    """The contents of weights.bin as pieces (see `Blob`), in offset order."""
    size_attr = module.attributes.get(WEIGHTS_BYTES_ATTR)
    if not isinstance(size_attr, IntegerAttr):
        raise PatccError(f"weights: module has no {WEIGHTS_BYTES_ATTR}: run layout-weights first")
    pieces: list[tuple[int, bytes]] = []
    for op in module.ops:
        if not isinstance(op, memref.GlobalOp):
            continue
        offset = op.attributes.get(BLOB_OFFSET_ATTR)
        if not isinstance(offset, IntegerAttr):
            raise PatccError(
                f"weights: memref.global @{op.sym_name.data} has no {BLOB_OFFSET_ATTR}"
            )
        pieces.append((offset.value.data, global_bytes(op)))
    size = size_attr.value.data
    parts: list[bytes] = []
    end = 0
    for start, data in sorted(pieces, key=lambda piece: piece[0]):
        if start < end or start + len(data) > size:
            raise PatccError(f"weights: a global at byte {start} overlaps another or the end")
        parts += [bytes(start - end), data]
        end = start + len(data)
    parts.append(bytes(size - end))
    return Blob(tuple(parts))
