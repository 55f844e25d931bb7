"""The xDSL `Target`s `x86-c` and `neon-c` (`xdsl-opt -t x86-c`): one shared C printer, a
vector intrinsics table per target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from patcc.targets.c_module import print_c
from patcc.targets.isa import NEON_ISAS, NEON_PRELUDE, X86_ISAS, X86_PRELUDE, VectorIsa


@dataclass(frozen=True)
class CTarget(Target):
    """A loop-level module (after plan-buffers and layout-weights) as one C99 file."""

    name: ClassVar[str]
    isas: ClassVar[dict[int, VectorIsa]]
    prelude: ClassVar[str]

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(self.source(module))

    def source(self, module: ModuleOp) -> str:
        return print_c(module, self.name, self.isas, self.prelude)


@dataclass(frozen=True)
class X86CTarget(CTarget):
    """AVX2+FMA for vector<8xf32>, AVX-512 for vector<16xf32>, SSE for vector<4xf32>."""

    name = "x86-c"
    isas = X86_ISAS
    prelude = X86_PRELUDE


@dataclass(frozen=True)
class NeonCTarget(CTarget):
    """ARM NEON for vector<4xf32>; with -DPATCC_SIMDE it builds on x86 through SIMDe."""

    name = "neon-c"
    isas = NEON_ISAS
    prelude = NEON_PRELUDE


C_TARGETS: dict[str, type[CTarget]] = {t.name: t for t in (X86CTarget, NeonCTarget)}
