"""Which function lowers which op: the table the `lower-to-loops` pass consults.

A `Lowering` is `(ctx, op, operand buffers, result buffers) -> None` (see `context.py`):
operand buffers in the op's definition order, None for an absent optional operand, the
values of a variadic operand in place; result buffers one per result (a fused activation's
result shares its producer's buffer). It emits at `ctx.ip` the ops that compute the results
into their buffers.

To add an op family: a module with `LOWERINGS` (and, if its lowerings apply
`ctx.apply_epilogue` before their stores, `EPILOGUE_PRODUCERS`), merged below.
"""

from __future__ import annotations

from xdsl.ir import Operation

from patcc.dialects.nn.conv import ConvTransposeOp

from . import activation, binary, conv, linear, pattern_conv, pool, rnn, skip_zeros, tensor_ops
from .context import Lowering, LoweringContext, View
from .halo import HaloWriter, PaddedReader

LOWERINGS: dict[type[Operation], Lowering] = {
    **conv.LOWERINGS,
    **activation.LOWERINGS,
    **binary.LOWERINGS,
    **pool.LOWERINGS,
    **tensor_ops.LOWERINGS,
    **linear.LOWERINGS,
    **skip_zeros.LOWERINGS,
    **rnn.LOWERINGS,
    **pattern_conv.LOWERINGS,
}

# Ops whose result can be a view of an operand's buffer (tried before LOWERINGS): no copy.
VIEWS: dict[type[Operation], View] = {**tensor_ops.VIEWS}

# Ops whose lowering applies `ctx.apply_epilogue(op, value)` to every value it stores: the
# pass fuses a following single-use unary activation (activation.EMITTERS) into them.
EPILOGUE_PRODUCERS: set[type[Operation]] = {
    *conv.EPILOGUE_PRODUCERS,
    *linear.EPILOGUE_PRODUCERS,
    *skip_zeros.EPILOGUE_PRODUCERS,
    *pattern_conv.EPILOGUE_PRODUCERS,
}

# Producers whose lowering writes its result only by plain stores of final values (after
# ctx.apply_epilogue): the pass fuses a following residual add (+ activation) into those
# stores (residual.py). Convs only: the ResNet shortcut sums.
RESIDUAL_PRODUCERS: set[type[Operation]] = {
    *(conv.EPILOGUE_PRODUCERS - {ConvTransposeOp}),
    *pattern_conv.EPILOGUE_PRODUCERS,
}

# Producers that may write their result into the padded buffer of its one consumer, and the
# consumers that pad their input (halo.py): the pass skips the consumer's padding copy.
HALO_WRITERS: dict[type[Operation], HaloWriter] = {
    **conv.HALO_WRITERS,
    **pattern_conv.HALO_WRITERS,
    **pool.HALO_WRITERS,
}
PADDED_READERS: dict[type[Operation], PaddedReader] = {
    **conv.PADDED_READERS,
    **pattern_conv.PADDED_READERS,
    **pool.PADDED_READERS,
}

# Unary activations the pass may fuse into an epilogue producer.
FUSABLE_ACTIVATIONS: frozenset[type[Operation]] = frozenset(activation.EMITTERS)

__all__ = [
    "EPILOGUE_PRODUCERS",
    "FUSABLE_ACTIVATIONS",
    "HALO_WRITERS",
    "LOWERINGS",
    "RESIDUAL_PRODUCERS",
    "Lowering",
    "LoweringContext",
]
