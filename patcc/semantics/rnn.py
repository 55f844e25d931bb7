"""Interpreter functions of the `nn` recurrent layers, and their numpy reference.

The time loop is inherently sequential; everything inside a step is batched, and the input
projection of all steps is one matmul before the loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from patcc.dialects.nn import rnn
from patcc.dialects.nn.base import get_float, get_int, get_str


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # 0.5 * (1 + tanh(x / 2)): the logistic function without overflow warnings
    return np.float32(0.5) * (np.float32(1) + np.tanh(np.float32(0.5) * x))


def lstm_direction(
    x: np.ndarray,
    w: np.ndarray,
    r: np.ndarray,
    b: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    p: np.ndarray,
    *,
    reverse: bool,
    clip: float,
    input_forget: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One direction: x [seq, batch, size], w [4H, size], r [4H, H], b [8H], h/c [batch, H],
    p [3H]. Returns Y [seq, batch, H] and the last h, c."""
    seq = x.shape[0]
    hidden = r.shape[1]
    gates_x = x @ w.T + (b[: 4 * hidden] + b[4 * hidden :])  # [seq, batch, 4H]
    p_i, p_o, p_f = p[:hidden], p[hidden : 2 * hidden], p[2 * hidden :]
    ys = np.empty((seq, x.shape[1], hidden), dtype=np.float32)
    bound = np.float32(clip)

    def clipped(v: np.ndarray) -> np.ndarray:
        # ONNX Runtime clips the full pre-activation, peephole term included
        return v if math.isinf(clip) else np.clip(v, -bound, bound)

    for t in range(seq - 1, -1, -1) if reverse else range(seq):
        g = gates_x[t] + h @ r.T
        gi, go, gf, gc = (g[:, k * hidden : (k + 1) * hidden] for k in range(4))
        i = _sigmoid(clipped(gi + p_i * c))
        f = np.float32(1) - i if input_forget else _sigmoid(clipped(gf + p_f * c))
        c = f * c + i * np.tanh(clipped(gc))
        o = _sigmoid(clipped(go + p_o * c))
        h = o * np.tanh(c)
        ys[t] = h
    return ys, h, c


def lstm(
    x: np.ndarray,
    w: np.ndarray,
    r: np.ndarray,
    b: np.ndarray | None,
    h0: np.ndarray | None,
    c0: np.ndarray | None,
    p: np.ndarray | None,
    *,
    direction: str,
    clip: float = math.inf,
    input_forget: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONNX LSTM (layout 0, default activations): Y [seq, dirs, batch, H], Y_h, Y_c."""
    dirs, four_h, _ = w.shape
    hidden = four_h // 4
    batch = x.shape[1]
    f32 = np.float32
    b = np.zeros((dirs, 8 * hidden), f32) if b is None else b
    h0 = np.zeros((dirs, batch, hidden), f32) if h0 is None else h0
    c0 = np.zeros((dirs, batch, hidden), f32) if c0 is None else c0
    p = np.zeros((dirs, 3 * hidden), f32) if p is None else p
    outs = [
        lstm_direction(
            x,
            w[d],
            r[d],
            b[d],
            h0[d],
            c0[d],
            p[d],
            reverse=direction == "reverse" or d == 1,
            clip=clip,
            input_forget=input_forget,
        )
        for d in range(dirs)
    ]
    y = np.stack([o[0] for o in outs], axis=1).astype(f32)
    y_h = np.stack([o[1] for o in outs]).astype(f32)
    y_c = np.stack([o[2] for o in outs]).astype(f32)
    return y, y_h, y_c


@register_impls
class RnnFunctions(InterpreterFunctions):
    @impl(rnn.LstmOp)
    def run_lstm(
        self, interpreter: Interpreter, op: rnn.LstmOp, args: tuple[Any, ...]
    ) -> tuple[np.ndarray, ...]:
        values = iter(args)
        x, w, r = next(values), next(values), next(values)
        b, h0, c0, p = (
            next(values) if v is not None else None
            for v in (op.bias, op.initial_h, op.initial_c, op.peepholes)
        )
        props = op.properties
        return lstm(
            x,
            w,
            r,
            b,
            h0,
            c0,
            p,
            direction=get_str(props, "direction"),
            clip=get_float(props, "clip", math.inf),
            input_forget=bool(get_int(props, "input_forget", 0)),
        )
