"""map-to-ndrange{max-dims=3}: choose the loops an OpenCL kernel runs as its NDRange.

Each top-level loop nest becomes one kernel (`-t opencl`). Its *parallel band* is the
chain of loops from the outermost inwards while each loop

- runs in parallel (the `parallelize` analysis: iterations write disjoint memory and carry
  no values; or it has one trip), with constant bounds and a positive step, and
- is the last op of the previous band loop's body, which writes no memory anywhere else
  (the ops before it only compute and read, so every work item may repeat them).

All iteration instances of a band are independent, so any of its loops may be the NDRange:
the `max-dims` (OpenCL has 3) with the most iterations are, so a row-block loop of 28 and a
column loop of 28 beat a 2-trip tile loop, which stays a loop inside the work item. The
innermost chosen loop gets `ocl.global_dim = 0` (OpenCL's fastest-varying dimension:
neighbouring work items touch neighbouring columns), the next outer one 1, then 2. The IR's
value does not change: the printer replaces the marked loops by `get_global_id`.

`collapse=true` (the opencl target's default) makes *every* band loop part of the NDRange:
the innermost `max-dims - 1` loops get a dimension each and the loops outside them share the
outermost one, which the printer splits back by division and remainder (the loops of one
dimension are marked with the same `ocl.global_dim`). With `max-dims=1` the whole band is one
flat range, one output per work item on the untiled GPU schedule, in memory order (row-block,
filter, row, column): no work item repeats a row block's loop, and no dimension is a handful
of columns. `local-size` > 0 gives such a one-dimensional range that work-group size
(`ocl.local_size` on its outermost loop; 0: the OpenCL driver chooses); the nests of a layer
whose `pat.schedule` has `ls` > 0 (a tuning log's: `patcc tune --target opencl`) take that
size instead. `coarsen` > 1 lets each work item of a flat range without inner loops (a
padding fill or copy, a pooling window, an elementwise op: a few loads and stores) take
that many ids, grid-stride (`ocl.coarsen`): a GPU starts a few hundred thousand threads at
a time, and millions of threads that store one float each are bound by thread start-up,
not memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass

from patcc.errors import PatccError
from patcc.lowering.layers import layer_schedule
from patcc.passes.parallelize import is_parallel
from patcc.targets.attrs import GLOBAL_DIM_ATTR
from patcc.targets.opencl_module import COARSEN_ATTR, LOCAL_SIZE_ATTR, trip_count

_WRITES = (memref.StoreOp, vector.StoreOp, memref.CopyOp, memref.AllocOp, func.CallOp)


def _constant_bounds(loop: scf.ForOp) -> bool:
    bounds = [v.owner for v in (loop.lb, loop.ub, loop.step)]
    if not all(
        isinstance(c, arith.ConstantOp) and isinstance(c.value, IntegerAttr) for c in bounds
    ):
        return False
    step = loop.step.owner
    assert isinstance(step, arith.ConstantOp) and isinstance(step.value, IntegerAttr)
    return step.value.value.data > 0


def _next_loop(loop: scf.ForOp) -> scf.ForOp | None:
    """The loop that ends `loop`'s body when nothing else in the body writes memory."""
    ops = [op for op in loop.body.block.ops if not isinstance(op, scf.YieldOp)]
    if not ops or not isinstance(ops[-1], scf.ForOp):
        return None
    for op in ops[:-1]:
        if any(isinstance(inner, _WRITES) for inner in op.walk()):
            return None
    return ops[-1]


def parallel_band(top: scf.ForOp) -> list[scf.ForOp]:
    """The loops from `top` inwards that run in parallel, each the last op of the one
    outside it (outermost first). Every iteration instance of the band is independent of
    every other, so any subset may be the NDRange and the rest loops inside a work item."""
    band: list[scf.ForOp] = []
    loop: scf.ForOp | None = top
    while loop is not None and _constant_bounds(loop) and _parallel(loop):
        band.append(loop)
        loop = _next_loop(loop)
    return band


def _parallel(loop: scf.ForOp) -> bool:
    """`is_parallel`, or a loop of one trip (no other iteration to depend on: tile-conv's
    single full tile, whose body indexes by constants the analysis cannot tell apart)."""
    return trip_count(loop) == 1 or is_parallel(loop)


def ndrange_nest(top: scf.ForOp, max_dims: int) -> list[scf.ForOp]:
    """The band loops that become the NDRange, outermost first: the `max_dims` with the
    most iterations (the inner one of a tie), so that small tile loops stay loops."""
    band = parallel_band(top)
    ranked = sorted(range(len(band)), key=lambda i: (trip_count(band[i]), i), reverse=True)
    return [band[i] for i in sorted(ranked[:max_dims])]


def collapsed_groups(top: scf.ForOp, max_dims: int) -> list[list[scf.ForOp]]:
    """The whole band as NDRange dimensions, outermost first: one loop each for the
    innermost `max_dims - 1`, all the loops outside them in the first."""
    band = parallel_band(top)
    own = min(len(band), max_dims - 1)
    inner = [[loop] for loop in band[len(band) - own :]]
    outer = band[: len(band) - own]
    return [outer, *inner] if outer else inner


@dataclass(frozen=True)
class MapToNDRangePass(ModulePass):
    """Mark each top-level loop nest's NDRange loops (see the module docstring)."""

    name = "map-to-ndrange"

    max_dims: int = 3
    collapse: bool = False
    local_size: int = 0
    coarsen: int = 1

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 1 <= self.max_dims <= 3:
            raise PatccError(f"map-to-ndrange: max-dims must be in [1, 3], got {self.max_dims}")
        if self.local_size < 0:
            raise PatccError(f"map-to-ndrange: local-size must be >= 0, got {self.local_size}")
        if self.coarsen < 1:
            raise PatccError(f"map-to-ndrange: coarsen must be >= 1, got {self.coarsen}")
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
                continue
            for top in fn.body.block.ops:
                if not isinstance(top, scf.ForOp):
                    continue
                if self.collapse:
                    groups = collapsed_groups(top, self.max_dims)
                else:
                    groups = [[loop] for loop in ndrange_nest(top, self.max_dims)]
                _mark(groups)
                if len(groups) != 1:
                    continue
                outer = groups[0][0]
                local_size = layer_schedule(outer).get("ls") or self.local_size
                if local_size:
                    outer.attributes[LOCAL_SIZE_ATTR] = IntegerAttr(local_size, i64)
                if self.coarsen > 1 and _no_inner_loops(outer):
                    outer.attributes[COARSEN_ATTR] = IntegerAttr(self.coarsen, i64)


def _no_inner_loops(top: scf.ForOp) -> bool:
    return all(GLOBAL_DIM_ATTR in op.attributes for op in top.walk() if isinstance(op, scf.ForOp))


def _mark(groups: list[list[scf.ForOp]]) -> None:
    for dim, group in enumerate(reversed(groups)):
        for loop in group:
            loop.attributes[GLOBAL_DIM_ATTR] = IntegerAttr(dim, i64)
