"""Residual epilogues: `add(conv, skip)` and a following unary activation computed in the
conv's own stores, so the sum and the relu of a ResNet block are no extra passes over memory.

The pass (`lower-to-loops`) decides with `find_residuals`; the conv is lowered as usual into
the add's (or the activation's) buffer, then `add_residual` rewrites every store of that
lowering into the buffer:

    vector.store %acc, %y[n, o, oh, ow]
 -> %s = vector.load %skip[n, o, oh, ow]            # same indices, same vector type
    vector.store relu(%acc + %s), %y[n, o, oh, ow]  # add operands in the graph's order

The stored value is the conv's f32 result, so the float ops are those of the unfused graph
(conv rounded to f32, + skip, then the activation): bit-identical outputs. A store into a
view of the buffer (the 1x1 GEMM's flattened image) reads the same view of `skip`. A
lowering that uses the buffer otherwise (a load, a copy: a stored value would not be final)
is not rewritten; the add and the activation then run in place on the buffer after the
conv (same values, no fusion). The fused conv's lowering applies no epilogue itself
(`ctx.apply_epilogue` is the identity for it): its wide-row path stores raw sums and the
crop's stores get the residual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import memref, vector
from xdsl.dialects.builtin import TensorType, VectorType
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.rewriter import InsertPoint

from patcc.dialects.nn import binary

from .activation import emit_activation
from .context import LoweringContext, buffer_shape


@dataclass(frozen=True)
class Residual:
    """`add` (and `act` after it) fused into a producer; `skip` is the add's other operand."""

    add: Operation
    skip: SSAValue
    skip_first: bool  # the add reads skip as its left operand
    act: Operation | None

    @property
    def ops(self) -> list[Operation]:
        """The fused ops, in graph order."""
        return [self.add] if self.act is None else [self.add, self.act]


def single_user(value: SSAValue, block: Block, kept: set[SSAValue]) -> Operation | None:
    """The one op of `block` using `value` once, unless the value is kept (returned): what
    a producer's store may take over (a fused activation, a residual add)."""
    uses = list(value.uses)
    if len(uses) != 1 or value in kept:
        return None
    user = uses[0].operation
    return user if user.parent_block() is block else None


def find_residuals(
    block: Block,
    producers: set[type[Operation]],
    activations: frozenset[type[Operation]],
    kept: set[SSAValue],
) -> dict[Operation, Residual]:
    """producer -> Residual for each `add(a, b)` of equal shapes (no broadcast) where one
    operand is the single use of a producer that comes after the other operand's definition
    (so skip is computed before the conv runs); of two such operands the later producer."""
    position = {op: i for i, op in enumerate(block.ops)}

    def defined_at(value: SSAValue) -> int:
        if isinstance(value, BlockArgument):
            return -1
        return position.get(value.owner, len(position))  # type: ignore[arg-type]

    found: dict[Operation, Residual] = {}
    for add in block.ops:
        if not isinstance(add, binary.AddOp):
            continue
        lhs, rhs = add.operands
        if not (isinstance(lhs.type, TensorType) and lhs.type == rhs.type == add.results[0].type):
            continue
        best: tuple[int, Operation, SSAValue, bool] | None = None
        for value, skip, skip_first in ((lhs, rhs, False), (rhs, lhs, True)):
            owner = value.owner
            if (
                isinstance(owner, Operation)
                and type(owner) in producers
                and len(owner.results) == 1
                and single_user(value, block, kept) is add
                and defined_at(skip) < position[owner]
                and (best is None or position[owner] > best[0])
            ):
                best = (position[owner], owner, skip, skip_first)
        if best is None:
            continue
        user = single_user(add.results[0], block, kept)
        act = (
            user
            if user is not None and type(user) in activations and user.operands[0] is add.results[0]
            else None
        )
        found[best[1]] = Residual(add, best[2], best[3], act)
    return found


def _views_of(buf: SSAValue) -> list[SSAValue]:
    """`buf` and every collapse/expand view of it (transitively)."""
    out, todo = [], [buf]
    while todo:
        value = todo.pop()
        out.append(value)
        for use in value.uses:
            if isinstance(use.operation, memref.CollapseShapeOp | memref.ExpandShapeOp):
                todo.append(use.operation.results[0])
    return out


def final_stores(layer: Sequence[Operation], out: SSAValue) -> list[Operation] | None:
    """Every store into `out` (or a view of it) in `layer`, if stores are all that use it
    there (no load, copy or other writer: then a store's value is final); else None."""
    stores: list[Operation] = []
    for view in _views_of(out):
        for use in view.uses:
            op = use.operation
            if isinstance(op, memref.CollapseShapeOp | memref.ExpandShapeOp):
                continue
            if not (
                isinstance(op, memref.StoreOp | vector.StoreOp)
                and use.index == 1
                and any(top.is_ancestor(op) for top in layer)
            ):
                return None
            stores.append(op)
    return stores


def add_residual(
    ctx: LoweringContext,
    res: Residual,
    layer: Sequence[Operation],
    out: SSAValue,
    skip: SSAValue,
) -> bool:
    """Rewrite the stores into `out` (and its views) of the just-lowered `layer` (its
    top-level ops) as in the module docstring; the views of `skip` go before the layer's
    first op. False (nothing changed) if the lowering uses `out` other than by final stores:
    the caller then applies the add and activation in place, after the conv."""
    stores = final_stores(layer, out)
    if stores is None:
        return False
    views: dict[tuple[int, ...], SSAValue] = {}
    for store in stores:
        view = store.operands[1]
        shape = buffer_shape(view)
        if shape not in views:
            with ctx.at(InsertPoint.before(layer[0])):
                views[shape] = ctx.view(skip, shape)
        value = store.operands[0]
        indices = list(store.operands[2:])
        with ctx.at(InsertPoint.before(store)):
            typ = value.type
            if isinstance(typ, VectorType):
                s = ctx.vload(views[shape], indices, typ.get_shape()[0])
            else:
                s = ctx.load(views[shape], indices)
            total = ctx.addf(s, value) if res.skip_first else ctx.addf(value, s)
            if res.act is not None:
                total = emit_activation(ctx, res.act, total)
        store.operands = (total, *store.operands[1:])
    return True
