"""A strided conv's padded input split by phase, copied straight from the conv's input.

A conv with stride s reads every s-th padded column (and row); its vector loads want the
columns of one phase consecutive. Two layouts, both indexed in padded coordinates:

- `column_phases` (rows of at least a vector): xd[n, c, h, r, q] = padded[n, c, h, q*s + r],
  so a tap (kw) of consecutive outputs reads phase kw*dw % s at consecutive q;
- `phase_planes` (a narrow layer's wide row, `wide_rows.py`): plane (r, t)[i * Wq + j] =
  padded[i*sh + r, j*sw + t], where a tap is a constant shift of the flat output index.

Both read the conv's input through a `PadSource`, not through a padded copy: without a
halo (the producer wrote the padded buffer itself, `halo.py`) `ctx.padded` would fill and
copy the whole padded image only for the phase copy to read it once more. Here the phases
are filled with the border value and the input is copied into them once. Measured on
ResNet-50's 56x56 -> 28x28 stride-2 pattern conv (Xeon, 1 thread): fill + padded copy +
phase copy took 0.64 of the layer's 1.37 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.ir import SSAValue

from .context import Index, LoweringContext, buffer_shape

PhaseAt = Callable[[Index, Index, int, int, Index, Index], list[Index]]
"""(n, c, r, t, i, j) -> where padded[n, c, i*sh + r, j*sw + t] goes in the phase buffer."""


@dataclass(frozen=True)
class PadSource:
    """The padded image of `x` (pads [top, left, bottom, right] of `value`) without the
    copy: `buf` holds its rows top .. top + H and columns left .. left + W at [row - top,
    col - left] (the whole image, top = left = 0, when a producer wrote it as a halo)."""

    x: SSAValue
    pads: tuple[int, ...]
    value: float
    buf: SSAValue
    top: int
    left: int
    shape: tuple[int, ...]  # the padded image's (N, C, Hp, Wp)

    def padded(self, ctx: LoweringContext) -> SSAValue:
        """The padded image as a buffer (`ctx.padded`: a copy unless a halo holds it)."""
        return ctx.padded(self.x, self.pads, self.value)


def pad_source(ctx: LoweringContext, x: SSAValue, pads: Sequence[int], value: float) -> PadSource:
    """Where the padded image of `x` can be read from, emitting nothing."""
    n, c, h, w = buffer_shape(x)
    top, left, bottom, right = pads
    shape = (n, c, h + top + bottom, w + left + right)
    full = ctx.halo_of(x, pads, value) if any(pads) else None
    if full is not None:
        return PadSource(x, tuple(pads), value, full, 0, 0, shape)
    return PadSource(x, tuple(pads), value, x, top, left, shape)


def copy_phases(
    ctx: LoweringContext,
    source: PadSource,
    strides: tuple[int, int],
    out: SSAValue,
    at: PhaseAt,
) -> None:
    """out[at(n, c, r, t, i, j)] = padded[n, c, i*sh + r, j*sw + t] for every phase (r, t)
    and every element of the padded image; entries no element reaches (the border, when
    `source` is the unpadded input, and the ends of a ragged split) hold the border value."""
    n_n, c_n, hp, wp = source.shape
    _, _, h_n, w_n = buffer_shape(source.buf)
    sh, sw = strides
    if (h_n, w_n) != (hp, wp) or hp % sh or wp % sw:
        ctx.fill(out, source.value)
    for r in range(sh):
        i0, i1 = _phase_range(source.top, h_n, r, sh)
        for t in range(sw):
            j0, j1 = _phase_range(source.left, w_n, t, sw)
            if i1 <= i0 or j1 <= j0:
                continue

            def body(ivs: list[Index], r: int = r, t: int = t, i0: int = i0, j0: int = j0) -> None:
                n, c, di, dj = ivs
                i, j = ctx.lin(i0, (1, di)), ctx.lin(j0, (1, dj))
                row = ctx.lin(i0 * sh + r - source.top, (sh, di))
                col = ctx.lin(j0 * sw + t - source.left, (sw, dj))
                ctx.store(ctx.load(source.buf, [n, c, row, col]), out, at(n, c, r, t, i, j))

            ctx.nest((n_n, c_n, i1 - i0, j1 - j0), body, names=("n", "c", "i", "j"))


def _phase_range(offset: int, size: int, phase: int, stride: int) -> tuple[int, int]:
    """The i with offset <= i*stride + phase < offset + size: the source's part of a phase."""
    lo = max(0, -(-(offset - phase) // stride))
    return lo, -(-(offset + size - phase) // stride)


def column_phases(ctx: LoweringContext, source: PadSource, stride: int) -> SSAValue:
    """xd[n, c, h, r, q] = padded[n, c, h, q*stride + r]: the padded columns by phase r."""
    n_n, c_n, h_n, w_n = source.shape
    out = ctx.alloc((n_n, c_n, h_n, stride, -(-w_n // stride)), name="phases")
    copy_phases(ctx, source, (1, stride), out, lambda n, c, _r, t, i, j: [n, c, i, t, j])
    return out


def phase_planes(ctx: LoweringContext, source: PadSource, sh: int, sw: int) -> SSAValue:
    """planes[n, c, r*sw + t, i*Wq + j] = padded[n, c, i*sh + r, j*sw + t]: each phase's
    Hq x Wq plane flat (Hq = ceil(Hp / sh), Wq = ceil(Wp / sw))."""
    n_n, c_n, hp, wp = source.shape
    hq, wq = -(-hp // sh), -(-wp // sw)
    out = ctx.alloc((n_n, c_n, sh * sw, hq * wq), name="phases")

    def at(n: Index, c: Index, r: int, t: int, i: Index, j: Index) -> list[Index]:
        return [n, c, r * sw + t, ctx.lin(0, (wq, i), (1, j))]

    copy_phases(ctx, source, (sh, sw), out, at)
    return out


def plain_input(
    ctx: LoweringContext,
    source: PadSource,
    wide: SSAValue | None,
    phases: SSAValue | None,
    scalar_cols: bool,
) -> SSAValue:
    """What a conv nest's loads read outside the phases: a wide row's input, else the padded
    image, which is only materialised if some load reads it (no phases, or a scalar column
    loop beside them); otherwise `phases`, which those loads then never use."""
    if wide is not None:
        return wide
    if phases is None or scalar_cols:
        return source.padded(ctx)
    return phases
