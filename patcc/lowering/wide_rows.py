"""Rows narrower than a vector, computed over the flattened padded image ("wide rows").

A stride-1 conv's output q = oh * Wp + ow (Wp the padded width) reads tap (kh, kw) at flat
input position q + kh * dh * Wp + kw * dw: a constant shift per tap. So the conv runs as if
its output were one row of span = (OH - 1) * Wp + OW elements over the padded input viewed
as one row, whose vectors fill all their lanes (7x7 at 16 lanes: 4 vectors of 16 instead of
7 rows of two 4-lane vectors), and a crop copies the OW valid columns of each wide row into
the result. The Wp - OW columns between rows are computed and dropped (9/7 of the FMAs at
7x7, pad 1); they read the padded input's border and the next row's first columns, all
inside the buffer, so every lane computes a finite sum.

A strided conv (sh, sw) reads its padded input split into sh * sw phase planes, plane
(r, s)[i, j] = padded[i * sh + r, j * sw + s] (each Hq x Wq, Hq = ceil(Hp / sh), Wq = ceil(Wp
/ sw)), so that tap (dy, dx) = (kh * dh, kw * dw) of output q = oh * Wq + ow reads plane
(dy % sh, dx % sw) at q + (dy // sh) * Wq + dx // sw: a constant shift again, over one wide
row of (OH - 1) * Wq + OW outputs (ResNet-50's 14x14 -> 7x7 stride-2 conv: 4 vectors of 16).
Planes of a ragged split (Hp or Wp not a multiple of the stride) are zeroed first, since
the dropped lanes read their unset ends.

The dense conv lowering (stride 1) and the pattern conv lowering take this path
(`patcc/lowering/conv.py`, `patcc/lowering/pattern_conv.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import SSAValue

from .context import Index, LoweringContext, buffer_shape, contiguous
from .phases import PadSource, phase_planes


@dataclass(frozen=True)
class WideRows:
    """`x`: the padded input as (N, C, planes, plane size), one plane per phase (one, the
    whole padded image, at stride 1); `y`: the wide result (N, O, 1, span); `pitch`: the
    distance of two output rows in `y` (and of two input rows in a plane); `strides`."""

    x: SSAValue
    y: SSAValue
    pitch: int
    strides: tuple[int, int]

    def tap(self, dy: int, dx: int) -> tuple[int, int]:
        """(plane, shift): the tap at (dy, dx) of output q reads x[n, c, plane, q + shift]."""
        sh, sw = self.strides
        return (dy % sh) * sw + dx % sw, (dy // sh) * self.pitch + dx // sw

    def crop(self, ctx: LoweringContext, out: SSAValue) -> None:
        """out[n, o, oh, ow] = y[n, o, 0, oh * pitch + ow]: the valid columns."""
        n_n, o_n, oh_n, ow_n = buffer_shape(out)

        def body(ivs: list[Index]) -> None:
            n, o, oh, ow = ivs
            at = [n, o, 0, ctx.lin(0, (self.pitch, oh), (1, ow))]
            ctx.store(ctx.load(self.y, at), out, ivs)

        ctx.nest((n_n, o_n, oh_n, ow_n), body, names=("n", "o", "oh", "ow"))


def wide_rows(
    ctx: LoweringContext,
    source: PadSource,
    y: SSAValue,
    strides: tuple[int, int],
    vector_length: int,
    min_span: int,
    phases: bool = False,
) -> WideRows | None:
    """The wide-row form of a conv reading the padded image of `source` into `y`, or None:
    only for rows narrower than `vector_length`, a span of at least `min_span` elements,
    stride 1 (any stride with `phases`) and, at stride 1, a contiguous padded input (a
    halo's interior view is not one row)."""
    n_n, o_n, oh_n, ow_n = buffer_shape(y)
    if vector_length <= 1 or ow_n >= vector_length:
        return None
    _, c_n, hp, wp = source.shape
    sh, sw = strides
    if (sh, sw) != (1, 1) and not phases:
        return None
    pitch = -(-wp // sw)
    span = (oh_n - 1) * pitch + ow_n
    if span < min_span:
        return None
    if (sh, sw) != (1, 1):
        x = phase_planes(ctx, source, sh, sw)
    elif any(source.pads) or contiguous(source.x):  # a padded copy or halo is contiguous
        x = ctx.view(source.padded(ctx), (n_n, c_n, 1, hp * wp))
    else:
        return None
    return WideRows(x, ctx.alloc((n_n, o_n, 1, span), name="wide"), pitch, (sh, sw))
