"""Helpers shared by converters: ONNX window attributes (auto_pad, pads, strides, dilations)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from patcc.dialects.nn.base import ints_attr

from ..context import ImportContext


def window_props(
    ctx: ImportContext,
    attrs: dict[str, Any],
    in_hw: Sequence[int],
    kernel: Sequence[int],
    *,
    ceil_mode: bool = False,
) -> dict[str, Any]:
    """strides/pads/dilations properties of a 2-D window op, with auto_pad resolved.

    ONNX pads are [x1_begin, x2_begin, x1_end, x2_end], which is our [top, left, bottom, right].
    """
    if len(kernel) != 2 or len(in_hw) != 2:
        raise ctx.error(f"only 2-D spatial windows are supported, got kernel {list(kernel)}")
    strides = list(attrs.get("strides", [1, 1]))
    dilations = list(attrs.get("dilations", [1, 1]))
    pads = list(attrs.get("pads", [0, 0, 0, 0]))
    auto_pad = attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for i in range(2):
            out = -(-in_hw[i] // strides[i])
            total = max(0, (out - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - in_hw[i])
            small, big = total // 2, total - total // 2
            pads[i], pads[i + 2] = (small, big) if auto_pad == "SAME_UPPER" else (big, small)
    elif auto_pad == "VALID":
        pads = [0, 0, 0, 0]
    elif auto_pad != "NOTSET":
        raise ctx.error(f"auto_pad '{auto_pad}' is not a valid value")
    if ceil_mode:
        # ceil_mode adds end padding so the last partial window counts (ONNX semantics: a
        # window must start inside the input or the begin padding).
        for i in range(2):
            eff = dilations[i] * (kernel[i] - 1) + 1
            span = in_hw[i] + pads[i] + pads[i + 2] - eff
            out = -(-span // strides[i]) + 1
            if (out - 1) * strides[i] >= in_hw[i] + pads[i]:
                out -= 1
            pads[i + 2] += max(0, (out - 1) * strides[i] + eff - (in_hw[i] + pads[i] + pads[i + 2]))
    return {
        "strides": ints_attr(strides),
        "pads": ints_attr(pads),
        "dilations": ints_attr(dilations),
    }
