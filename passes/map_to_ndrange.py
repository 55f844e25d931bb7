"""map-to-ndrange{max-dims=3}: choose the loops an OpenCL kernel runs as its NDRange.

Each top-level loop nest becomes one kernel (`-t opencl`). From the nest's outermost loop
inwards, a loop joins the NDRange while it

- runs in parallel (the `parallelize` analysis: iterations write disjoint memory and carry
  no values), with constant bounds and a positive step, and
- is the last op of the previous joined loop's body, which writes no memory anywhere else
  (the ops before it only compute and read, so every work item may repeat them).

At most `max-dims` loops join (OpenCL has 3 dimensions). The innermost joined loop gets
`ocl.global_dim = 0` (OpenCL's fastest-varying dimension: neighbouring work items touch
neighbouring columns), the next outer one 1, then 2. The IR's value does not change: the
printer replaces the marked loops by `get_global_id`, the inner loops stay loops.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.passes import ModulePass

from patcc.errors import PatccError
from patcc.passes.parallelize import is_parallel
from patcc.targets.attrs import GLOBAL_DIM_ATTR

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


def ndrange_nest(top: scf.ForOp, max_dims: int) -> list[scf.ForOp]:
    """The loops of `top`'s nest that become the NDRange, outermost first."""
    nest: list[scf.ForOp] = []
    loop: scf.ForOp | None = top
    while loop is not None and len(nest) < max_dims:
        if not (_constant_bounds(loop) and is_parallel(loop)):
            break
        nest.append(loop)
        loop = _next_loop(loop)
    return nest


@dataclass(frozen=True)
class MapToNDRangePass(ModulePass):
    """Mark each top-level loop nest's NDRange loops (see the module docstring)."""

    name = "map-to-ndrange"

    max_dims: int = 3

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not 1 <= self.max_dims <= 3:
            raise PatccError(f"map-to-ndrange: max-dims must be in [1, 3], got {self.max_dims}")
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
                continue
            for top in fn.body.block.ops:
                if isinstance(top, scf.ForOp):
                    _mark(ndrange_nest(top, self.max_dims))


def _mark(nest: list[scf.ForOp]) -> None:
    for dim, loop in enumerate(reversed(nest)):
        loop.attributes[GLOBAL_DIM_ATTR] = IntegerAttr(dim, i64)
