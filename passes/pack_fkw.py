"""pack-fkw: `pat.conv2d` with constant values -> `pat.fkw_conv2d` with explicit FKW arrays.

The five arrays (offset, reorder, index, stride, weight; `patcc.compression.fkw`) become
`arith.constant` operands named after their role, so the storage layout the loop level
will stream is visible, FileCheck-able and verifiable in the IR. Filters follow the conv's
`filter_order` (from `reorder-filters`; the original order without it) and `filter_groups`
is carried over; kernels in a filter are in pattern-id order, then by input channel.
Convs whose values are not constants are left as they are. The values constant is erased
once nothing uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.compression.fkw import pack_fkw
from patcc.constants import constant_op, constant_value
from patcc.dialects.nn.base import get_ints
from patcc.dialects.pat.conv import PatConv2dOp, ids_array
from patcc.dialects.pat.fkw import FkwConv2dOp, int32_constant_op

COPIED_PROPERTIES = ("patterns", "strides", "pads", "dilations", "activation", "filter_groups")


@dataclass(frozen=True)
class PackFkwPass(ModulePass):
    name = "pack-fkw"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for conv in [c for c in op.walk() if isinstance(c, PatConv2dOp)]:
            values = constant_value(conv.values)
            if values is None:
                continue
            order = (
                get_ints(conv.properties, "filter_order")
                if "filter_order" in conv.properties
                else None
            )
            fkw = pack_fkw(ids_array(conv.ids), values, conv.patterns.patterns, order)
            consts = {
                "offset": int32_constant_op(fkw.offset),
                "reorder": int32_constant_op(fkw.reorder),
                "index": int32_constant_op(fkw.index),
                "stride": int32_constant_op(fkw.stride),
                "weight": constant_op(fkw.weight),
            }
            for name, const in consts.items():
                const.result.name_hint = name
                Rewriter.insert_op(const, InsertPoint.before(conv))
            props = {k: conv.properties[k] for k in COPIED_PROPERTIES if k in conv.properties}
            old_values = conv.values.owner
            packed = FkwConv2dOp.build(
                operands=[conv.input, *(c.result for c in consts.values()), conv.bias],
                result_types=[conv.result.type],
                properties=props,
            )
            Rewriter.replace_op(conv, packed)
            if isinstance(old_values, arith.ConstantOp) and not old_values.result.uses:
                Rewriter.erase_op(old_values)
