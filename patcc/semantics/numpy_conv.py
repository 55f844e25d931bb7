"""Numpy reference of convolution (ONNX Conv semantics), fast enough for VGG-16.

im2col through stride tricks, then one batched matmul per group: BLAS does the MACs, so a
VGG-16 224x224 forward pass takes seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from patcc.dialects.nn.conv import conv_output_size


def pad_nchw(x: np.ndarray, pads: Sequence[int], value: float = 0.0) -> np.ndarray:
    """pads = [top, left, bottom, right]."""
    top, left, bottom, right = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def windows(
    x: np.ndarray,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
    out_hw: Sequence[int],
) -> np.ndarray:
    """View of shape (N, C, OH, OW, KH, KW) over an already padded NCHW array."""
    n, c = x.shape[:2]
    sn, sc, sh, sw = x.strides
    return as_strided(
        x,
        shape=(n, c, out_hw[0], out_hw[1], kernel[0], kernel[1]),
        strides=(sn, sc, sh * strides[0], sw * strides[1], sh * dilations[0], sw * dilations[1]),
        writeable=False,
    )


def window_out_hw(
    padded_hw: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> tuple[int, int]:
    """Output H, W of a window sliding over an already padded input."""
    oh, ow = (
        conv_output_size(padded_hw[i], kernel[i], strides[i], 0, 0, dilations[i]) for i in range(2)
    )
    return oh, ow


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    *,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> np.ndarray:
    n = x.shape[0]
    o, ipg, kh, kw = w.shape
    xp = pad_nchw(x, pads)
    oh, ow = window_out_hw(xp.shape[2:], (kh, kw), strides, dilations)
    win = windows(xp, (kh, kw), strides, dilations, (oh, ow))  # N C OH OW KH KW
    opg = o // group
    out = np.empty((n, o, oh, ow), dtype=np.float32)
    for g in range(group):
        cols = win[:, g * ipg : (g + 1) * ipg]  # N I OH OW KH KW
        cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(n, oh * ow, ipg * kh * kw)
        wg = w[g * opg : (g + 1) * opg].reshape(opg, ipg * kh * kw)
        out[:, g * opg : (g + 1) * opg] = (cols @ wg.T).transpose(0, 2, 1).reshape(n, opg, oh, ow)
    if b is not None:
        out += b.reshape(1, o, 1, 1)
    return out
