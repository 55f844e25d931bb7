"""Per-layer statistics of a module (output shapes, MACs, parameters), read from the IR alone.

Everything is computed from op result types and operand shapes, so the table describes
exactly what the compiler holds at any level (e.g. a folded BatchNorm shows up as conv bias,
not as a layer of its own) and works for ops added later without a registry of cost models:
MACs are counted for the op kinds that do multiply-accumulates (convolutions, gemm/matmul,
recurrent cells); the rest show none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import DenseArrayBase, ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue

from patcc.semantics import main_function

Shape = tuple[int, ...]


@dataclass(frozen=True)
class LayerStats:
    """One op of the function: what it produces and what it costs."""

    index: int
    name: str  # e.g. "conv2d_3": op kind and its running number
    op: str  # full op name, e.g. "nn.conv2d"
    detail: str  # kernel/stride where the op has them, e.g. "3x3/2"
    shapes: tuple[Shape, ...]  # result shapes
    macs: int
    params: int  # elements of constant operands first used by this op


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _shape(value: SSAValue) -> Shape | None:
    typ = value.type
    if isinstance(typ, TensorType):
        return tuple(int(d) for d in typ.get_shape())
    return None


def _ints_prop(op: Operation, name: str) -> tuple[int, ...] | None:
    attr = op.properties.get(name) or op.attributes.get(name)
    if isinstance(attr, DenseArrayBase):
        return tuple(int(v) for v in attr.get_values())
    return None


def _kind(op: Operation) -> str:
    return op.name.split(".", 1)[-1]


def count_macs(op: Operation) -> int:
    """Multiply-accumulates of one op, from its operand and result shapes (0 if none)."""
    kind = _kind(op)
    ins = [_shape(v) for v in op.operands]
    outs = [_shape(v) for v in op.results]
    if not ins or not outs or outs[0] is None or any(s is None for s in ins[:2]):
        return 0
    out = outs[0]
    if "conv" in kind and len(ins) >= 2 and ins[1] is not None and len(ins[1]) == 4:
        w = ins[1]
        x = ins[0]
        if "transpose" in kind and x is not None:
            # Weight [C_in, C_out/group, kh, kw]: each input element meets C_out/group*kh*kw.
            return _numel(x) * _numel(w[1:])
        # Weight [C_out, C_in/group, kh, kw]: each output element sums C_in/group*kh*kw.
        return _numel(out) * _numel(w[1:])
    if kind in ("gemm", "matmul", "linear", "fully_connected") and len(ins) >= 2:
        a, b = ins[0], ins[1]
        assert a is not None and b is not None
        if len(a) == 2 and len(b) == 2:
            # (M K)(K N) -> (M N) whichever operands are transposed: |A||B|/|Y| = K^2.
            k = round((_numel(a) * _numel(b) / max(1, _numel(out))) ** 0.5)
        else:
            k = a[-1]
        return _numel(out) * k
    if kind in ("lstm", "gru", "rnn") and len(ins) >= 3:
        x, w, r = ins[0], ins[1], ins[2]
        if x is None or w is None or r is None or len(x) != 3:
            return 0
        # Every time step and batch row multiplies by all input and recurrent weights.
        return x[0] * x[1] * (_numel(w) + _numel(r))
    return 0


def _detail(op: Operation) -> str:
    kind = _kind(op)
    kernel = _ints_prop(op, "kernel")
    if kernel is None and "conv" in kind and len(op.operands) >= 2:
        w = _shape(op.operands[1])
        kernel = w[2:] if w is not None and len(w) == 4 else None
    if kernel is None:
        return ""
    text = "x".join(map(str, kernel))
    strides = _ints_prop(op, "strides")
    if strides and any(s != 1 for s in strides):
        text += "/" + ("x".join(map(str, strides)) if len(set(strides)) > 1 else str(strides[0]))
    return text


def layer_table(module: ModuleOp) -> list[LayerStats]:
    """One row per op of the module's function (constants and the return left out)."""
    fn = main_function(module)
    rows: list[LayerStats] = []
    counts: dict[str, int] = {}
    seen_consts: set[int] = set()
    for op in fn.body.walk():
        if isinstance(op, arith.ConstantOp | func.ReturnOp | func.FuncOp):
            continue
        kind = _kind(op)
        counts[kind] = counts.get(kind, 0) + 1
        params = 0
        for v in op.operands:
            owner = v.owner
            if isinstance(owner, arith.ConstantOp) and id(owner) not in seen_consts:
                seen_consts.add(id(owner))
                shape = _shape(v)
                params += _numel(shape) if shape is not None else 1
        shapes = tuple(s for s in (_shape(r) for r in op.results) if s is not None)
        rows.append(
            LayerStats(
                index=len(rows) + 1,
                name=f"{kind}_{counts[kind]}",
                op=op.name,
                detail=_detail(op),
                shapes=shapes,
                macs=count_macs(op),
                params=params,
            )
        )
    return rows


def human(n: float) -> str:
    """1234567 -> '1.23 M' (for totals; the table itself shows exact numbers)."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:g}"


def format_table(rows: Sequence[LayerStats], title: str | None = None) -> str:
    """A plain-text table with a totals line; MACs and parameters as exact integers."""
    header = ("#", "layer", "op", "kernel", "output shape", "MACs", "params")
    body = [
        (
            str(r.index),
            r.name,
            r.op,
            r.detail,
            ", ".join("x".join(map(str, s)) for s in r.shapes),
            f"{r.macs:,}" if r.macs else "-",
            f"{r.params:,}" if r.params else "-",
        )
        for r in rows
    ]
    total_macs = sum(r.macs for r in rows)
    total_params = sum(r.params for r in rows)
    totals = ("", "total", f"{len(rows)} ops", "", "", f"{total_macs:,}", f"{total_params:,}")
    widths = [max(len(line[i]) for line in [header, *body, totals]) for i in range(len(header))]
    right = {0, 5, 6}

    def fmt(line: Sequence[str]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = [title] if title else []
    lines += [fmt(header), rule, *(fmt(b) for b in body), rule, fmt(totals)]
    lines.append(
        f"{human(total_macs)} MACs ({human(2 * total_macs)} FLOPs), "
        f"{human(total_params)} parameters"
    )
    lines.append("MACs are counted for convolutions, gemm/matmul and recurrent layers only.")
    return "\n".join(lines)


__all__ = ["LayerStats", "count_macs", "format_table", "human", "layer_table"]
