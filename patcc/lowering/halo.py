"""Halos: a producer writes straight into the padded buffer its one consumer reads.

A conv or pool with pads reads its input through a copy with a border (`ctx.padded`): a
fill and a copy of the whole tensor (VGG-16: 12 of them, ~72 MB written and 36 MB read per
inference). Where the tensor's only user pads it, and its producer writes the
result only by indexed stores (no reshaped views of it), the producer gets the interior
view of a bordered buffer instead (`ctx.halo_buffer`): the border is filled once, the
copy is gone, and `ctx.padded` hands the consumer the bordered buffer.

Each lowering module declares which of its ops may write into a halo (`HALO_WRITERS`: op,
vector length -> bool, false for lowering paths that reshape their output) and which pad
their input (`PADDED_READERS`: op -> (pads, border value) or None); `registry` merges them.
Measured on VGG-16 block 4 (docs/performance.md, interleaved): 0.99-1.0x on one thread,
1.02-1.03x on two; the copies were cheaper on this VM than the traffic suggests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from xdsl.ir import Block, Operation, SSAValue

from patcc.dialects.nn.base import get_ints
from patcc.lowering.residual import single_user

HaloWriter = Callable[[Operation, int], bool]
PaddedReader = Callable[[Operation], tuple[tuple[int, ...], float] | None]


def always(op: Operation, vector_length: int) -> bool:
    """A `HaloWriter` for ops whose every lowering path stores its output by index."""
    return True


def pads_with(value: float) -> PaddedReader:
    """A `PaddedReader` for ops that pad their first operand by their `pads` with `value`."""
    return lambda op: (tuple(get_ints(op.properties, "pads")), value)


def wanted_halo(
    producer: Operation,
    value: SSAValue,
    block: Block,
    kept: set[SSAValue],
    vector_length: int,
    writers: Mapping[type[Operation], HaloWriter],
    readers: Mapping[type[Operation], PaddedReader],
) -> tuple[tuple[int, ...], float] | None:
    """(pads, border value) of the halo `producer` should write `value` (its result, or
    the result of an activation fused into it) with, or None: the value's one user pads
    its first operand, which is `value`, and the producer can write into a halo."""
    writes = writers.get(type(producer))
    if writes is None or len(producer.results) != 1 or not writes(producer, vector_length):
        return None
    user = single_user(value, block, kept)
    if user is None or not user.operands or user.operands[0] is not value:
        return None
    read = readers.get(type(user))
    wanted = read(user) if read is not None else None
    if wanted is None or not any(wanted[0]):
        return None
    return wanted
