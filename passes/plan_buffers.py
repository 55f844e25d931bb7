"""plan-buffers: every intermediate buffer becomes a view into one workspace, reusing memory
between layers whose buffers are not live at the same time.

The function gets a trailing `memref<N x i8>` argument marked `nn.workspace` (the caller
allocates it, as the C ABI's `workspace`); each `memref.alloc` becomes a
`memref.view %workspace[%offset][]` at the function entry. Liveness is counted in layers
(consecutive top-level ops with one `nn.layer` label, as the C targets print them): a
buffer is live from the first to the last layer that touches it, so two buffers one layer
uses never overlap (the printer can mark them `restrict`). Offsets are first-fit in
program order, 64-byte aligned. The function records `patcc.workspace_bytes` (the peak)
and `patcc.unplanned_activation_bytes` (one buffer per tensor, for the report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    FunctionType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    i8,
    i64,
)
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.constants import numpy_dtype
from patcc.errors import PatccError
from patcc.targets.attrs import (
    BLOB_ALIGNMENT,
    NAME_ATTR,
    UNPLANNED_BYTES_ATTR,
    WORKSPACE_ATTR,
    WORKSPACE_BYTES_ATTR,
)
from patcc.targets.layers import label_orphans, layer_steps, root_buffer


@dataclass
class _Buffer:
    alloc: memref.AllocOp
    size: int
    first: int
    last: int
    offset: int = 0


def _align(n: int) -> int:
    return (n + BLOB_ALIGNMENT - 1) // BLOB_ALIGNMENT * BLOB_ALIGNMENT


def _buffers(fn: func.FuncOp) -> list[_Buffer]:
    steps = layer_steps(fn.body.block)
    buffers: dict[SSAValue, _Buffer] = {}
    for op in fn.body.walk():
        if isinstance(op, memref.AllocOp):
            typ = op.memref.type
            assert isinstance(typ, MemRefType)
            if op.dynamic_sizes or op.symbol_operands:
                raise PatccError("plan-buffers: 'memref.alloc' with dynamic sizes")
            size = math.prod(typ.get_shape()) * numpy_dtype(typ.element_type).itemsize
            buffers[op.memref] = _Buffer(op, size, first=-1, last=-1)
    if not buffers:
        return []
    for top in fn.body.block.ops:  # each top-level op's step once, not once per nested op
        step = steps.get(top)
        if step is None:
            continue  # an alloc or a shared view: its users count, not the view
        for op in top.walk():
            for operand in op.operands:
                buf = buffers.get(root_buffer(operand))
                if buf is not None:
                    buf.first = step if buf.first < 0 else min(buf.first, step)
                    buf.last = max(buf.last, step)
    return sorted(buffers.values(), key=lambda b: (b.first, b.last))


def first_fit(buffers: list[_Buffer]) -> int:
    """Place each buffer at the lowest aligned offset free during its live layers; returns
    the peak."""
    placed: list[_Buffer] = []
    peak = 0
    for buf in buffers:
        busy = sorted(
            (p.offset, p.offset + _align(p.size))
            for p in placed
            if p.first <= buf.last and buf.first <= p.last
        )
        offset = 0
        for start, end in busy:
            if offset + _align(buf.size) <= start:
                break
            offset = max(offset, end)
        buf.offset = offset
        placed.append(buf)
        peak = max(peak, offset + _align(buf.size))
    return peak


@dataclass(frozen=True)
class PlanBuffersPass(ModulePass):
    """One workspace for every intermediate buffer (see the module docstring)."""

    name = "plan-buffers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and fn.body.blocks:
                _plan(fn)


def _plan(fn: func.FuncOp) -> None:
    label_orphans(fn.body.block)
    buffers = _buffers(fn)
    if not buffers and WORKSPACE_BYTES_ATTR in fn.attributes:
        return  # planned already
    unplanned = sum(b.size for b in buffers)
    peak = first_fit(buffers)
    fn.attributes[WORKSPACE_BYTES_ATTR] = IntegerAttr(peak, i64)
    fn.attributes[UNPLANNED_BYTES_ATTR] = IntegerAttr(unplanned, i64)
    if not buffers:
        return
    entry = fn.body.block
    workspace = entry.insert_arg(MemRefType(i8, [peak]), len(entry.args))
    workspace.name_hint = "workspace"
    attrs = list(fn.arg_attrs.data) if fn.arg_attrs is not None else []
    attrs += [DictionaryAttr({}) for _ in range(len(entry.args) - 1 - len(attrs))]
    attrs.append(DictionaryAttr({NAME_ATTR: StringAttr("workspace"), WORKSPACE_ATTR: UnitAttr()}))
    fn.arg_attrs = ArrayAttr(attrs)
    fn.function_type = FunctionType.from_lists(
        [a.type for a in entry.args], list(fn.function_type.outputs.data)
    )
    anchor = InsertPoint.at_start(entry)
    shifts: dict[int, SSAValue] = {}
    for buf in sorted(buffers, key=lambda b: (b.offset, b.first)):
        if buf.offset not in shifts:
            shift = arith.ConstantOp(IntegerAttr.from_index_int_value(buf.offset))
            Rewriter.insert_op(shift, anchor)
            anchor = InsertPoint.after(shift)
            shifts[buf.offset] = shift.result
        view = memref.ViewOp(workspace, shifts[buf.offset], [], buf.alloc.memref.type)
        view.result.name_hint = buf.alloc.memref.name_hint
        Rewriter.insert_op(view, anchor)
        anchor = InsertPoint.after(view)
        buf.alloc.memref.replace_all_uses_with(view.result)
        Rewriter.erase_op(buf.alloc)
