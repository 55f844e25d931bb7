"""Load and FMA counts of the specialised pattern-conv bodies, read from the loop-level IR.

The pace of a pattern conv is set by its input loads, not its FMAs (2 loads and 2 FMAs per
cycle, and without reuse every FMA needs its own load), so the number that says whether
load-redundancy elimination (LRE) worked is loads per FMA in the innermost bodies. The
bodies are the kernel loops `pattern_conv` marks with `pat.conv` / `pat.pattern`; a pass
that rewrites them (unrolling, LRE) keeps the marks, and `inner_body_stats` before and
after it gives the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseArrayBase,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    VectorType,
)
from xdsl.ir import Operation, SSAValue

from .pattern_conv import CONV_ATTR, PATTERN_ATTR


@dataclass(frozen=True)
class BodyStats:
    """Op counts of one specialised kernel-loop body (one iteration of the loop)."""

    conv: str
    pattern: tuple[int, ...]
    vector: bool  # accumulators are vectors (the vector path) or scalars (remainder)
    kernels: int  # kernels one iteration handles (the loop step: > 1 once unrolled)
    accumulators: int  # output vectors (or scalars) carried in iter_args
    input_loads: int  # loads from the NCHW input buffer (vector.load on the vector path)
    weight_loads: int  # f32 loads from other buffers
    index_loads: int  # integer loads (the channel index)
    fmas: int  # vector.fma, or arith.mulf (each feeds one addf) on scalars

    @property
    def loads_per_kernel(self) -> float:
        return self.input_loads / self.kernels

    @property
    def fmas_per_kernel(self) -> float:
        return self.fmas / self.kernels

    @property
    def loads_per_fma(self) -> float:
        return self.input_loads / self.fmas if self.fmas else 0.0


@dataclass(frozen=True)
class ConvStats:
    """All bodies of one conv; the per-kernel figures average the vector bodies (the scalar
    remainder ones when there are none)."""

    conv: str
    bodies: tuple[BodyStats, ...]

    def _main(self) -> tuple[BodyStats, ...]:
        vec = tuple(b for b in self.bodies if b.vector)
        return vec or self.bodies

    @property
    def loads_per_kernel(self) -> float:
        main = self._main()
        return sum(b.loads_per_kernel for b in main) / len(main)

    @property
    def fmas_per_kernel(self) -> float:
        main = self._main()
        return sum(b.fmas_per_kernel for b in main) / len(main)

    @property
    def loads_per_fma(self) -> float:
        main = self._main()
        loads = sum(b.input_loads for b in main)
        fmas = sum(b.fmas for b in main)
        return loads / fmas if fmas else 0.0


def _step(loop: scf.ForOp) -> int:
    owner = loop.step.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return max(int(owner.value.value.data), 1)
    return 1


def _is_input(buf: SSAValue) -> bool:
    """The NCHW input, or its column phases (N x C x H x stride x W/stride) when strided."""
    typ = buf.type
    return isinstance(typ, MemRefType) and len(typ.get_shape()) in (4, 5)


def _body_stats(loop: scf.ForOp, conv: str, pattern: tuple[int, ...]) -> BodyStats:
    counts = {"input": 0, "weight": 0, "index": 0, "fma": 0}
    for op in loop.body.walk():
        if isinstance(op, vector.LoadOp):
            counts["input" if _is_input(op.base) else "weight"] += 1
        elif isinstance(op, memref.LoadOp):
            if not isinstance(op.res.type, AnyFloat):
                counts["index"] += 1
            else:
                counts["input" if _is_input(op.memref) else "weight"] += 1
        elif isinstance(op, vector.FMAOp | arith.MulfOp):
            counts["fma"] += 1
    carried = [a.type for a in loop.iter_args]
    return BodyStats(
        conv=conv,
        pattern=pattern,
        vector=any(isinstance(t, VectorType) for t in carried),
        kernels=_step(loop),
        accumulators=len(carried),
        input_loads=counts["input"],
        weight_loads=counts["weight"],
        index_loads=counts["index"],
        fmas=counts["fma"],
    )


def inner_body_stats(module: ModuleOp | Operation) -> dict[str, ConvStats]:
    """conv name -> load/FMA counts of its specialised kernel bodies, in IR order."""
    bodies: dict[str, list[BodyStats]] = {}
    for op in module.walk():
        if not isinstance(op, scf.ForOp):
            continue
        conv = op.attributes.get(CONV_ATTR)
        pattern = op.attributes.get(PATTERN_ATTR)
        if not isinstance(conv, StringAttr):
            continue
        positions = (
            tuple(int(p) for p in pattern.get_values())
            if isinstance(pattern, DenseArrayBase)
            else ()
        )
        bodies.setdefault(conv.data, []).append(_body_stats(op, conv.data, positions))
    return {name: ConvStats(name, tuple(b)) for name, b in bodies.items()}
