"""x86 vector max/min follow arith's NaN rules for a NaN in either operand: maximumf and
minimumf propagate it (np.maximum), maxnumf and minnumf return the other operand (np.fmax).

`max_ps(x, y)` returns `y` where either is NaN: right for a NaN in one operand only. The
printer keeps the one instruction where one operand is a NaN-free constant (relu's
`max(x, 0)`), with the variable where the instruction is right, and blends the other
case in otherwise; this runs the printed C of each form on NaNs in either operand
against numpy.
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import arith, func, memref, vector
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.parser import Parser

from patcc.targets.c_printer import BodyPrinter, Names
from patcc.targets.emit import host_cpu_flags
from patcc.targets.isa import X86_ISAS

OPS = {"maximumf": np.maximum, "minimumf": np.minimum, "maxnumf": np.fmax, "minnumf": np.fmin}
_LANES = [4, 8] + ([16] if {"avx512f", "avx512vl"} <= host_cpu_flags() else [])


def _module(op: str, lanes: int, rhs: str) -> ModuleOp:
    """o = op(x, y), with y loaded (`rhs = "y"`) or a splat of 0 (`"zero"`) or the constant
    first (`"zero-first"`)."""
    t = f"vector<{lanes}xf32>"
    m = f"memref<{lanes}xf32>"
    if rhs == "y":
        body = f"%b = vector.load %y[%c0] : {m}, {t}\n%r = arith.{op} %a, %b : {t}"
    else:
        zero = f"%z = arith.constant 0.0 : f32\n%b = vector.broadcast %z : f32 to {t}"
        args = "%b, %a" if rhs == "zero-first" else "%a, %b"
        body = f"{zero}\n%r = arith.{op} {args} : {t}"
    text = f"""
    func.func @f(%x: {m}, %y: {m}, %o: {m}) {{
      %c0 = arith.constant 0 : index
      %a = vector.load %x[%c0] : {m}, {t}
      {body}
      vector.store %r, %o[%c0] : {m}, {t}
      func.return
    }}"""
    ctx = Context()
    for dialect in (Builtin, func.Func, arith.Arith, memref.MemRef, vector.Vector):
        ctx.load_dialect(dialect)
    return Parser(ctx, text).parse_module()


def _c_function(module: ModuleOp, lanes: int) -> str:
    fn = module.ops.first
    assert isinstance(fn, func.FuncOp)
    bp = BodyPrinter(X86_ISAS, Names([]), "x86-c")
    for arg, name in zip(fn.body.block.args, "xyo", strict=True):
        bp.exprs[arg] = name
    for op in fn.body.block.ops:
        if not isinstance(op, func.ReturnOp):
            bp.op(op)
    body = "\n".join(bp.lines)
    return f"void f(const float *x, const float *y, float *o)\n{{\n{body}\n}}\n"


def _run(source: str, lanes: int, x: np.ndarray, y: np.ndarray, tmp: Path) -> np.ndarray:
    (tmp / "f.c").write_text("#include <immintrin.h>\n" + source)
    flags = X86_ISAS[lanes].cflags or ("-mavx2",)
    subprocess.run(
        ["gcc", "-O2", "-mavx2", *flags, "-shared", "-fPIC", "f.c", "-o", "f.so"],
        cwd=tmp,
        check=True,
    )
    lib = ctypes.CDLL(str(tmp / "f.so"))
    out = np.zeros(lanes, np.float32)
    ptr = ctypes.POINTER(ctypes.c_float)
    lib.f(*(a.ctypes.data_as(ptr) for a in (x, y, out)))
    return out


def _inputs(lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """NaNs in x at lane 0, in y at lane 1, in both at lane 2; signed values elsewhere."""
    rng = np.random.default_rng(lanes)
    x = rng.normal(size=lanes).astype(np.float32)
    y = rng.normal(size=lanes).astype(np.float32)
    x[[0, 2]] = np.nan
    y[[1, 2]] = np.nan
    return x, y


@pytest.mark.parametrize("lanes", _LANES)
@pytest.mark.parametrize("op", sorted(OPS))
def test_two_variables_follow_numpy_on_either_nan(op: str, lanes: int, tmp_path: Path) -> None:
    x, y = _inputs(lanes)
    source = _c_function(_module(op, lanes, "y"), lanes)
    assert "cmp_ps" in source  # the blended form: one max/min_ps is wrong for y's NaNs
    got = _run(source, lanes, x, y, tmp_path)
    np.testing.assert_array_equal(got, OPS[op](x, y))


@pytest.mark.parametrize("rhs", ["zero", "zero-first"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_a_constant_operand_keeps_one_instruction(op: str, rhs: str, tmp_path: Path) -> None:
    """relu's max(x, 0) in either operand order: one max_ps, x where its NaNs come out
    right."""
    lanes = 8
    x, _ = _inputs(lanes)
    source = _c_function(_module(op, lanes, rhs), lanes)
    assert "cmp_ps" not in source
    assert source.count(f"_mm256_{op[:3]}_ps(") == 1
    got = _run(source, lanes, x, x, tmp_path)
    np.testing.assert_array_equal(got, OPS[op](x, np.float32(0)))
