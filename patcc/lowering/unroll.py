"""Full unrolling of the `scf.for` loops tile-conv marked, every nesting level in one copy.

LRE used xDSL's `scf.for` unroll pattern, innermost marked loop first: each outer unroll
then cloned the copies the inner ones had made (a 4 x 4 x 2 tile: 2 + 8 + 32 copies of the
kernel loops instead of 32), through the pattern rewriter's listener and worklist, and
xDSL's `Operation.clone` walks every cloned loop twice (once to build, once to remap
operands). On VGG-16 that was ~40 % of LRE. Here a marked loop is expanded while its
enclosing copy is being built: each op is cloned once, into its final place. The result is
op for op what the pattern leaves (same iteration constants, name hints and order).
LRE now expands its tiles with `patcc.lowering.unroll_jam`, which builds the copies side
by side and falls back to `expand_marked` for a tile whose copies must stay in order.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.rewriter import Rewriter

from patcc.lowering.pattern_conv import UNROLL_ATTR

Mapper = dict[SSAValue, SSAValue]


def marked_trips(loop: Operation) -> tuple[range, IntegerAttr] | None:
    """The iterations of a marked loop with constant bounds (and the constants' type)."""
    if not (isinstance(loop, scf.ForOp) and UNROLL_ATTR in loop.attributes):
        return None
    bounds = [v.owner for v in (loop.lb, loop.ub, loop.step)]
    if not all(isinstance(b, arith.ConstantOp) for b in bounds):
        return None
    values = [b.value for b in bounds if isinstance(b, arith.ConstantOp)]
    assert all(isinstance(v, IntegerAttr) for v in values)
    lb, ub, step = (v.value.data for v in values if isinstance(v, IntegerAttr))
    first = values[0]
    assert isinstance(first, IntegerAttr)
    return range(lb, ub, step), first


def expand_marked(
    loop: scf.ForOp, trips: range, attr: IntegerAttr, mapper: Mapper
) -> list[Operation]:
    """The ops of `loop` unrolled (marked loops inside it too); maps its results."""
    out: list[Operation] = []
    iv, *args = loop.body.block.args
    carried: list[SSAValue] = [mapper.get(v, v) for v in loop.iter_args]
    for i in trips:
        const = arith.ConstantOp(IntegerAttr(i, attr.type))
        const.result.name_hint = iv.name_hint
        out.append(const)
        mapper[iv] = const.result
        mapper.update(zip(args, carried, strict=True))
        for op in loop.body.block.ops:
            if isinstance(op, scf.YieldOp):
                carried = [mapper.get(v, v) for v in op.operands]
            else:
                out += _copy(op, mapper)
    mapper.update(zip(loop.results, carried, strict=True))
    return out


BlockCopier = Callable[[list[Operation], Mapper], list[Operation]]
"""(a block's ops, mapper) -> their copies (the block arguments already mapped)."""


def copy_op(op: Operation, mapper: Mapper, copy_ops: BlockCopier) -> list[Operation]:
    """`op` cloned under `mapper`, a marked loop unrolled (`expand_marked`), the ops of its
    regions' blocks copied by `copy_ops`."""
    trips = marked_trips(op)
    if trips is not None:
        assert isinstance(op, scf.ForOp)
        return expand_marked(op, *trips, mapper)
    new = op.clone_without_regions(mapper)
    for region, new_region in zip(op.regions, new.regions, strict=True):
        for block in region.blocks:
            new_block = Block(arg_types=block.arg_types)
            for old, arg in zip(block.args, new_block.args, strict=True):
                arg.name_hint = old.name_hint
                mapper[old] = arg
            new_block.add_ops(copy_ops(list(block.ops), mapper))
            new_region.add_block(new_block)
    return [new]


def _copy(op: Operation, mapper: Mapper) -> list[Operation]:
    """`op` cloned under `mapper`; a marked loop becomes its unrolled copies."""
    return copy_op(op, mapper, _copy_ops)


def _copy_ops(ops: list[Operation], mapper: Mapper) -> list[Operation]:
    return [new for op in ops for new in _copy(op, mapper)]


Expander = Callable[[scf.ForOp, range, IntegerAttr, Mapper], list[Operation]]
"""(marked loop, its iterations, their constants' type, mapper) -> the ops replacing the
loop, its results mapped in the mapper."""


def expand_all(block: Block, expand: Expander = expand_marked) -> int:
    """Replace every marked loop with constant bounds nested in `block` by `expand`'s ops;
    returns how many outermost marked loops were expanded."""
    count = 0
    for op in list(block.ops):
        trips = marked_trips(op)
        if trips is None:
            for region in op.regions:
                for inner in region.blocks:
                    count += expand_all(inner, expand)
            continue
        assert isinstance(op, scf.ForOp)
        mapper: Mapper = {}
        block.insert_ops_before(expand(op, *trips, mapper), op)
        for result in op.results:
            result.replace_all_uses_with(mapper[result])
        Rewriter.erase_op(op)
        count += 1
    return count


def unroll_marked(block: Block) -> int:
    """Fully unroll every marked loop with constant bounds nested in `block`; returns how
    many outermost marked loops were expanded."""
    return expand_all(block)
