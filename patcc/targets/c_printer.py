"""Loop-level ops to C statements: the part of the C targets every CPU target shares.

A memref is a flat C pointer plus the strides of its type (row-major, or a static strided
layout); an index is `ptrdiff_t`; an `arith.constant` is a literal at its uses (so trip
counts and strides are literals gcc can fold); every other value is a `const` local named
after its SSA name. Vector ops go through the target's `VectorIsa` table. Nothing is chosen
here: loops, unrolling, vector widths and parallel loops are all as the IR says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

import numpy as np
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import (
    AnyFloat,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    NoneAttr,
    StridedLayoutAttr,
    StringAttr,
    VectorType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from patcc.constants import dense_to_numpy
from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.dialects.pat.store_fence import StoreFenceOp
from patcc.errors import PatccError
from patcc.targets.attrs import CYCLIC, PARALLEL_ATTR
from patcc.targets.isa import VectorIsa

C_KEYWORDS = frozenset(
    [
        "auto",
        "break",
        "case",
        "char",
        "const",
        "continue",
        "default",
        "do",
        "double",
        "else",
        "enum",
        "extern",
        "float",
        "for",
        "goto",
        "if",
        "inline",
        "int",
        "long",
        "register",
        "restrict",
        "return",
        "short",
        "signed",
        "sizeof",
        "static",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "volatile",
        "while",
        "_Bool",
        "_Complex",
        "_Imaginary",
        "bool",
        "main",
        "INFINITY",
        "NAN",
        "ptrdiff_t",
        "size_t",
        "int32_t",
        "int64_t",
        "int8_t",
        "memcpy",
    ]
)

_INFIX = {
    "arith.addf": "+",
    "arith.subf": "-",
    "arith.mulf": "*",
    "arith.divf": "/",
    "arith.addi": "+",
    "arith.subi": "-",
    "arith.muli": "*",
    "arith.divsi": "/",
    "arith.remsi": "%",
    "arith.andi": "&",
    "arith.ori": "|",
    "arith.xori": "^",
    "arith.shli": "<<",
    "arith.shrsi": ">>",
}
_SCALAR_CALLS = {
    "arith.maximumf": "patcc_maximumf",
    "arith.minimumf": "patcc_minimumf",
    "arith.maxnumf": "fmaxf",
    "arith.minnumf": "fminf",
    "arith.maxsi": "patcc_maxsi",
    "arith.minsi": "patcc_minsi",
    "arith.floordivsi": "patcc_floordivsi",
    "arith.ceildivsi": "patcc_ceildivsi",
}
_MATH_CALLS = {
    "math.exp": "expf",
    "math.exp2": "exp2f",
    "math.expm1": "expm1f",
    "math.log": "logf",
    "math.log1p": "log1pf",
    "math.log2": "log2f",
    "math.log10": "log10f",
    "math.tanh": "tanhf",
    "math.sqrt": "sqrtf",
    "math.rsqrt": "1.0f / sqrtf",
    "math.absf": "fabsf",
    "math.erf": "erff",
    "math.floor": "floorf",
    "math.ceil": "ceilf",
    "math.round": "roundf",
    "math.roundeven": "nearbyintf",
    "math.trunc": "truncf",
    "math.sin": "sinf",
    "math.cos": "cosf",
    "math.tan": "tanf",
    "math.atan": "atanf",
    "math.powf": "powf",
    "math.atan2": "atan2f",
    "math.copysign": "copysignf",
    "math.fma": "fmaf",
}
_CMPF = {"oeq": "==", "ogt": ">", "oge": ">=", "olt": "<", "ole": "<=", "one": "!="}
_CMPF_UNORDERED = {"ueq": "!=", "ugt": "<=", "uge": "<", "ult": ">=", "ule": ">", "une": "=="}
_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}
_CASTS = (
    arith.IndexCastOp,
    arith.SIToFPOp,
    arith.FPToSIOp,
    arith.ExtFOp,
    arith.TruncFOp,
    arith.ExtSIOp,
    arith.TruncIOp,
)

HELPERS = """\
/* NaN-propagating min/max (arith.maximumf/minimumf, numpy's np.maximum/np.minimum) */
static inline float patcc_maximumf(float a, float b) { return (a != a || a > b) ? a : b; }
static inline float patcc_minimumf(float a, float b) { return (a != a || a < b) ? a : b; }
static inline ptrdiff_t patcc_maxsi(ptrdiff_t a, ptrdiff_t b) { return a > b ? a : b; }
static inline ptrdiff_t patcc_minsi(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }
static inline ptrdiff_t patcc_floordivsi(ptrdiff_t a, ptrdiff_t b)
{ ptrdiff_t q = a / b; return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q; }
static inline ptrdiff_t patcc_ceildivsi(ptrdiff_t a, ptrdiff_t b)
{ ptrdiff_t q = a / b; return (q * b != a && ((a < 0) == (b < 0))) ? q + 1 : q; }
"""


def scalar_c_type(typ: Attribute, where: str = "") -> str:
    if isinstance(typ, IndexType):
        return "ptrdiff_t"
    if isinstance(typ, AnyFloat):
        if typ.bitwidth == 32:
            return "float"
        if typ.bitwidth == 64:
            return "double"
    if isinstance(typ, IntegerType):
        width = typ.width.data
        if width == 1:
            return "int"
        if width in (8, 16, 32, 64):
            return f"int{width}_t"
    raise PatccError(f"C target: unsupported type {typ}{where}")


def float_literal(value: float, bits: int = 32) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = repr(float(np.float32(value))) if bits == 32 else repr(value)
    if "e" not in text and "." not in text:
        text += ".0"
    return f"{text}f" if bits == 32 else text


def strides_of(typ: MemRefType) -> tuple[list[int], int]:
    """Element strides and static offset of a memref type (row-major unless strided)."""
    shape = list(typ.get_shape())
    layout = typ.layout
    if isinstance(layout, NoneAttr):
        strides = [1] * len(shape)
        for i in range(len(shape) - 2, -1, -1):
            strides[i] = strides[i + 1] * shape[i + 1]
        return strides, 0
    if isinstance(layout, StridedLayoutAttr):
        strides = layout.get_strides()
        offset = layout.get_offset()
        if offset is not None and all(s is not None for s in strides):
            return [int(s) for s in strides if s is not None], int(offset)
    raise PatccError(f"C target: memref layout {layout} is not a static strided layout")


def is_contiguous(typ: MemRefType) -> bool:
    return isinstance(typ.layout, NoneAttr)


def element_count(typ: MemRefType) -> int:
    return math.prod(typ.get_shape())


def sanitize(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not clean or clean[0].isdigit():
        clean = f"v{clean}"
    return clean


def _nan_free_constant(v: SSAValue) -> bool:
    """Whether `v` is a constant, or a splat of one, with no NaN (relu's 0, a clip bound)."""
    owner = v.owner
    if isinstance(owner, vector.BroadcastOp):
        owner = owner.source.owner
    if not isinstance(owner, arith.ConstantOp):
        return False
    attr = owner.value
    if isinstance(attr, FloatAttr):
        return not math.isnan(float(attr.value.data))
    if isinstance(attr, DenseIntOrFPElementsAttr):
        return not np.isnan(dense_to_numpy(attr)).any()
    return False


class Names:
    """Unique C identifiers for one C function's scope."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken: set[str] = set(C_KEYWORDS) | set(reserved)
        # base -> the last suffix tried: names are never released, so the first free
        # `base_k` is never below it (linear, not quadratic, in the uses of one base)
        self.next_suffix: dict[str, int] = {}

    def fresh(self, hint: str | None, default: str = "v") -> str:
        base = sanitize(hint) if hint else default
        if base.startswith(("_", "patcc_")):  # reserved: the C implementation's, and ours
            base = f"v{base}"
        k = self.next_suffix.get(base, 0)
        name = f"{base}_{k}" if k else base
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.next_suffix[base] = k
        self.taken.add(name)
        return name


class BodyPrinter:
    """Prints ops of one C function as statements into `lines`.

    `exprs` maps an SSA value to its C expression (a local, a parameter or a literal);
    callers seed it with the function's parameters and rematerialised values.
    """

    def __init__(self, isas: dict[int, VectorIsa], names: Names, target: str) -> None:
        self.isas = isas
        self.names = names
        self.target = target
        self.exprs: dict[SSAValue, str] = {}
        self.readonly: set[SSAValue] = set()  # memrefs reached through const pointers
        self.lines: list[str] = []
        self.depth = 1
        self.nthreads = "nthreads"
        self._temps = 0

    # ---- helpers ------------------------------------------------------------------------

    def emit(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    def error(self, op: Operation, what: str) -> PatccError:
        return PatccError(f"{self.target}: '{op.name}': {what}")

    def isa(self, typ: Attribute, op: Operation) -> VectorIsa:
        assert isinstance(typ, VectorType)
        lanes = typ.get_shape()
        if len(lanes) != 1 or lanes[0] not in self.isas:
            have = ", ".join(f"vector<{n}xf32>" for n in self.isas)
            raise self.error(op, f"{typ} is not supported (this target has {have})")
        elem = typ.get_element_type()
        if not (isinstance(elem, AnyFloat) and elem.bitwidth == 32) and not (
            isinstance(elem, IntegerType) and elem.width.data == 1
        ):
            raise self.error(op, f"{typ}: only f32 vectors are supported")
        return self.isas[lanes[0]]

    def c_type(self, typ: Attribute, op: Operation) -> str:
        if isinstance(typ, VectorType):
            isa = self.isa(typ, op)
            elem = typ.get_element_type()
            return isa.mask_type if isinstance(elem, IntegerType) else isa.type
        if isinstance(typ, MemRefType):
            return scalar_c_type(typ.element_type, f" in '{op.name}'") + " *"
        return scalar_c_type(typ, f" in '{op.name}'")

    def value(self, v: SSAValue) -> str:
        if v in self.exprs:
            return self.exprs[v]
        owner = v.owner
        if isinstance(owner, arith.ConstantOp):
            return self.constant(owner)
        where = owner.name if isinstance(owner, Operation) else "a block argument"
        raise PatccError(f"{self.target}: value defined by {where} is used out of its scope")

    def constant(self, op: arith.ConstantOp) -> str:
        attr = op.value
        if isinstance(attr, IntegerAttr):
            return str(attr.value.data)
        if isinstance(attr, FloatAttr):
            typ = attr.type
            bits = typ.bitwidth if isinstance(typ, AnyFloat) else 32
            return float_literal(float(attr.value.data), bits)
        if isinstance(attr, DenseIntOrFPElementsAttr) and isinstance(op.result.type, VectorType):
            values = {float(v) for v in dense_to_numpy(attr).reshape(-1).tolist()}
            if len(values) == 1:
                isa = self.isa(op.result.type, op)
                return isa.splat.format(x=float_literal(values.pop()))
        raise self.error(op, f"constant {attr} is not supported")

    def define(self, v: SSAValue, typ: str, expr: str, const: bool = True) -> str:
        name = self.names.fresh(v.name_hint)
        qual = "const " if const else ""
        sep = "" if typ.endswith("*") else " "
        self.emit(f"{qual}{typ}{sep}{name} = {expr};")
        self.exprs[v] = name
        return name

    def flat_index(self, buf: SSAValue, indices: Iterable[SSAValue]) -> str:
        """The element offset of `buf[indices]` from the type's strides, constants folded."""
        typ = buf.type
        assert isinstance(typ, MemRefType)
        strides, const = strides_of(typ)
        terms: list[str] = []
        for idx, stride in zip(indices, strides, strict=True):
            owner = idx.owner
            if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
                const += owner.value.value.data * stride
                continue
            name = self.value(idx)
            terms.append(name if stride == 1 else f"{name} * {stride}")
        if const or not terms:
            terms.append(str(const))
        return " + ".join(terms)

    def address(self, buf: SSAValue, indices: Iterable[SSAValue]) -> str:
        index = self.flat_index(buf, indices)
        return self.value(buf) if index == "0" else f"{self.value(buf)} + {index}"

    def element(self, buf: SSAValue, indices: Iterable[SSAValue]) -> str:
        return f"{self.value(buf)}[{self.flat_index(buf, indices)}]"

    # ---- blocks and ops -------------------------------------------------------------------

    def block(self, block: Block) -> None:
        for op in block.ops:
            self.op(op)

    def op(self, op: Operation) -> None:
        handler = self._handlers().get(type(op))
        if handler is not None:
            handler(op)
            return
        if op.name in _INFIX or op.name in _SCALAR_CALLS or op.name in _MATH_CALLS:
            self.arith(op)
            return
        raise self.error(op, "no C translation for this op")

    def _handlers(self) -> dict[type[Operation], Callable[[Operation], None]]:
        return {
            arith.ConstantOp: self.skip_constant,
            arith.CmpfOp: self.cmpf,
            arith.CmpiOp: self.cmpi,
            arith.SelectOp: self.select,
            arith.NegfOp: self.negf,
            **{cast: self.cast for cast in _CASTS},
            scf.ForOp: self.for_loop,
            scf.IfOp: self.if_op,
            scf.YieldOp: self.no_op,
            memref.LoadOp: self.load,
            memref.StoreOp: self.store,
            memref.CopyOp: self.copy,
            memref.CollapseShapeOp: self.alias,
            memref.ExpandShapeOp: self.alias,
            memref.CastOp: self.alias,
            memref.SubviewOp: self.subview,
            vector.LoadOp: self.vload,
            vector.StoreOp: self.vstore,
            vector.BroadcastOp: self.broadcast,
            vector.FMAOp: self.fma,
            PrefetchOp: self.prefetch,
            StoreFenceOp: self.store_fence,
        }

    def parallel_pragma(self, cyclic: bool) -> str | None:
        """The line before a `patcc.parallel` loop: contiguous chunks, or round robin for a
        cyclic one (none in OpenCL: there the parallel loops are the NDRange)."""
        schedule = "static, 1" if cyclic else "static"
        return f"#pragma omp parallel for schedule({schedule}) num_threads({self.nthreads})"

    def no_op(self, op: Operation) -> None:
        pass

    def skip_constant(self, op: Operation) -> None:
        assert isinstance(op, arith.ConstantOp)
        if isinstance(op.result.type, VectorType):
            self.define(op.result, self.c_type(op.result.type, op), self.constant(op))

    def arith(self, op: Operation) -> None:
        (res,) = op.results
        args = [self.value(v) for v in op.operands]
        if isinstance(res.type, VectorType):
            isa = self.isa(res.type, op)
            template = isa.binary.get(op.name)
            if op.name in isa.nan_both and not _nan_free_constant(op.operands[1]):
                if _nan_free_constant(op.operands[0]):
                    args.reverse()  # the variable as {a}, whose NaNs `binary` gets right
                else:
                    template = isa.nan_both[op.name]
            if template is not None:
                expr = template.format(**dict(zip("ab", args, strict=False)))
            elif op.name in _MATH_CALLS and len(args) == 1:
                self.lanewise(op, isa, _MATH_CALLS[op.name])
                return
            else:
                raise self.error(op, f"no intrinsic for {res.type}")
        elif op.name in _INFIX:
            expr = f"{args[0]} {_INFIX[op.name]} {args[1]}"
        elif op.name in _SCALAR_CALLS:
            expr = f"{_SCALAR_CALLS[op.name]}({', '.join(args)})"
        else:
            expr = f"{_MATH_CALLS[op.name]}({', '.join(args)})"
        self.define(res, self.c_type(res.type, op), expr)

    def lanewise(self, op: Operation, isa: VectorIsa, fn: str) -> None:
        """A math function with no intrinsic, lane by lane (only activations use these)."""
        self._temps += 1
        tmp = f"lanes{self._temps}"
        self.emit(f"float {tmp}[{isa.lanes}];")
        self.emit(isa.store.format(p=tmp, a=self.value(op.operands[0])) + ";")
        self.emit(f"for (int l = 0; l < {isa.lanes}; l++) {tmp}[l] = {fn}({tmp}[l]);")
        self.define(op.results[0], isa.type, isa.load.format(p=tmp))

    def negf(self, op: Operation) -> None:
        (res,) = op.results
        a = self.value(op.operands[0])
        if isinstance(res.type, VectorType):
            expr = self.isa(res.type, op).neg.format(a=a)
        else:
            expr = f"-{a}"
        self.define(res, self.c_type(res.type, op), expr)

    def cmpf(self, op: Operation) -> None:
        assert isinstance(op, arith.CmpfOp)
        pred = arith.CMPF_COMPARISON_OPERATIONS[op.predicate.value.data]
        a, b = self.value(op.lhs), self.value(op.rhs)
        if isinstance(op.lhs.type, VectorType):
            template = self.isa(op.lhs.type, op).compare.get(pred)
            if template is None:
                raise self.error(op, f"predicate {pred} on vectors is not supported")
            self.define(op.result, self.c_type(op.result.type, op), template.format(a=a, b=b))
            return
        if pred in _CMPF:
            expr = f"{a} {_CMPF[pred]} {b}"
        elif pred in _CMPF_UNORDERED:
            expr = f"!({a} {_CMPF_UNORDERED[pred]} {b})"
            if pred in ("ueq", "une"):
                expr = f"!({a} < {b} || {a} > {b})" if pred == "ueq" else f"!({a} == {b})"
        elif pred in ("ord", "uno"):
            expr = f"({a} == {a} && {b} == {b})"
            expr = expr if pred == "ord" else f"!{expr}"
        else:
            expr = "1" if pred == "true" else "0"
        self.define(op.result, "int", expr)

    def cmpi(self, op: Operation) -> None:
        assert isinstance(op, arith.CmpiOp)
        pred = arith.CMPI_COMPARISON_OPERATIONS[op.predicate.value.data]
        if pred not in _CMPI:
            raise self.error(op, f"predicate {pred} is not supported")
        expr = f"{self.value(op.lhs)} {_CMPI[pred]} {self.value(op.rhs)}"
        self.define(op.result, "int", expr)

    def select(self, op: Operation) -> None:
        assert isinstance(op, arith.SelectOp)
        cond, a, b = (self.value(v) for v in op.operands)
        typ = op.result.type
        if isinstance(typ, VectorType) and isinstance(op.cond.type, VectorType):
            expr = self.isa(typ, op).select.format(m=cond, a=a, b=b)
        else:
            expr = f"{cond} ? {a} : {b}"
        self.define(op.result, self.c_type(typ, op), expr)

    def cast(self, op: Operation) -> None:
        (res,) = op.results
        ctype = self.c_type(res.type, op)
        self.define(res, ctype, f"({ctype}){self.value(op.operands[0])}")

    # ---- scf ---------------------------------------------------------------------------

    def carried(
        self, values: Iterable[SSAValue], inits: Iterable[SSAValue], op: Operation
    ) -> list[str]:
        """Mutable locals for loop-carried values / if results, declared before the op."""
        names = []
        for v, init in zip(values, inits, strict=True):
            name = self.names.fresh(v.name_hint, "acc")
            typ = self.c_type(v.type, op)
            sep = "" if typ.endswith("*") else " "
            self.emit(f"{typ}{sep}{name} = {self.value(init)};")
            names.append(name)
        return names

    def assign_yield(
        self, yield_op: Operation, targets: list[str], block_args: list[SSAValue]
    ) -> None:
        values = [self.value(v) for v in yield_op.operands]
        reads_target = any(
            v in block_args and v is not a
            for v, a in zip(yield_op.operands, block_args, strict=False)
        )
        if reads_target:  # yield of swapped carried values: go through temporaries
            temps = []
            for value, v in zip(values, yield_op.operands, strict=True):
                self._temps += 1
                temp = f"next{self._temps}"
                typ = self.c_type(v.type, yield_op)
                self.emit(f"{typ} {temp} = {value};")
                temps.append(temp)
            values = temps
        for target, value in zip(targets, values, strict=True):
            if target != value:
                self.emit(f"{target} = {value};")

    def for_loop(self, op: Operation) -> None:
        assert isinstance(op, scf.ForOp)
        body = op.body.block
        iv, *iter_args = body.args
        accs = self.carried(op.results, op.iter_args, op)
        lb, ub, step = self.value(op.lb), self.value(op.ub), self.value(op.step)
        ivname = self.names.fresh(iv.name_hint, "i")
        self.exprs[iv] = ivname
        for arg, acc in zip(iter_args, accs, strict=True):
            self.exprs[arg] = acc
        for res, acc in zip(op.results, accs, strict=True):
            self.exprs[res] = acc
        if PARALLEL_ATTR in op.attributes:
            if accs:
                raise self.error(op, "a parallel loop cannot carry values")
            pragma = self.parallel_pragma(op.attributes[PARALLEL_ATTR] == StringAttr(CYCLIC))
            if pragma:
                self.emit(pragma)
        inc = f"{ivname}++" if step == "1" else f"{ivname} += {step}"
        self.emit(f"for (ptrdiff_t {ivname} = {lb}; {ivname} < {ub}; {inc}) {{")
        self.depth += 1
        self.block(body)
        last = body.last_op
        assert last is not None
        self.assign_yield(last, accs, list(iter_args))
        self.depth -= 1
        self.emit("}")

    def if_op(self, op: Operation) -> None:
        assert isinstance(op, scf.IfOp)
        results = list(op.results)
        names = []
        for res in results:
            name = self.names.fresh(res.name_hint, "r")
            typ = self.c_type(res.type, op)
            self.emit(f"{typ} {name};")
            self.exprs[res] = name
            names.append(name)
        self.emit(f"if ({self.value(op.cond)}) {{")
        for k, region in enumerate((op.true_region, op.false_region)):
            if not region.blocks:
                continue
            if k == 1:
                self.emit("} else {")
            self.depth += 1
            self.block(region.block)
            last = region.block.last_op
            assert last is not None
            self.assign_yield(last, names, [])
            self.depth -= 1
        self.emit("}")

    # ---- memref / vector ---------------------------------------------------------------

    def load(self, op: Operation) -> None:
        assert isinstance(op, memref.LoadOp)
        self.define(op.res, self.c_type(op.res.type, op), self.element(op.memref, op.indices))

    def store(self, op: Operation) -> None:
        assert isinstance(op, memref.StoreOp)
        self.emit(f"{self.element(op.memref, op.indices)} = {self.value(op.value)};")

    def copied_type(self, op: Operation) -> MemRefType:
        """The source type of a memref.copy, both sides checked to be contiguous."""
        assert isinstance(op, memref.CopyOp)
        src, dst = op.source.type, op.destination.type
        assert isinstance(src, MemRefType) and isinstance(dst, MemRefType)
        if not (is_contiguous(src) and is_contiguous(dst)):
            raise self.error(op, "only copies between contiguous buffers are supported")
        return src

    def copy(self, op: Operation) -> None:
        assert isinstance(op, memref.CopyOp)
        src = self.copied_type(op)
        ctype = scalar_c_type(src.element_type)
        size = f"{element_count(src)} * sizeof({ctype})"
        self.emit(f"memcpy({self.value(op.destination)}, {self.value(op.source)}, {size});")

    def pointer_type(self, res: SSAValue, source: SSAValue, op: Operation) -> str:
        """A view's pointer type: const data if its source is read-only."""
        if source in self.readonly:
            self.readonly.add(res)
            return "const " + self.c_type(res.type, op)
        return self.c_type(res.type, op)

    def alias(self, op: Operation) -> None:
        """collapse/expand/cast: the same data under another shape, the same pointer, so
        the same name (a copy of a `restrict` parameter would lose the qualifier)."""
        (res,) = op.results
        src = op.operands[0]
        if src in self.readonly:
            self.readonly.add(res)
        self.exprs[res] = self.value(src)

    def subview(self, op: Operation) -> None:
        assert isinstance(op, memref.SubviewOp)
        if op.offsets or op.sizes or op.strides:
            raise self.error(op, "dynamic offsets, sizes or strides are not supported")
        src = op.source.type
        assert isinstance(src, MemRefType)
        strides, base = strides_of(src)
        offsets = op.static_offsets.get_values()
        start = sum(int(o) * s for o, s in zip(offsets, strides, strict=True))
        res = op.result.type
        assert isinstance(res, MemRefType)
        _, res_offset = strides_of(res)
        # the result type's layout offset already counts from the allocation's start
        delta = start + base - res_offset
        typ = self.pointer_type(op.result, op.source, op)
        self.define(op.result, typ, f"{self.value(op.source)} + {delta}", const=False)

    def vload(self, op: Operation) -> None:
        assert isinstance(op, vector.LoadOp)
        isa = self.isa(op.result.type, op)
        addr = self.address(op.base, op.indices)
        self.define(op.result, isa.type, isa.load.format(p=addr))

    def prefetch(self, op: Operation) -> None:
        """GCC's builtin (x86 and AArch64 alike): a read, kept in all cache levels."""
        assert isinstance(op, PrefetchOp)
        self.emit(f"__builtin_prefetch({self.address(op.memref, op.indices)}, 0, 3);")

    def vstore(self, op: Operation) -> None:
        """A `nontemporal` store as the ISA's streaming store where it has one (its address
        aligned: `stream-stores` marks only such stores), else a plain one."""
        assert isinstance(op, vector.StoreOp)
        isa = self.isa(op.vector.type, op)
        addr = self.address(op.base, op.indices)
        template = isa.stream if op.nontemporal.value.data and isa.stream else isa.store
        self.emit(template.format(p=addr, a=self.value(op.vector)) + ";")

    def store_fence(self, op: Operation) -> None:
        """The fence of the target's streaming stores (none: it has no such stores)."""
        assert isinstance(op, StoreFenceOp)
        fences = {isa.stream_fence for isa in self.isas.values() if isa.stream_fence}
        for fence in sorted(fences):
            self.emit(fence + ";")

    def broadcast(self, op: Operation) -> None:
        assert isinstance(op, vector.BroadcastOp)
        typ = op.vector.type
        isa = self.isa(typ, op)
        if isinstance(op.source.type, VectorType):
            raise self.error(op, "broadcast of a vector is not supported")
        self.define(op.vector, isa.type, isa.splat.format(x=self.value(op.source)))

    def fma(self, op: Operation) -> None:
        assert isinstance(op, vector.FMAOp)
        isa = self.isa(op.res.type, op)
        a, b, c = self.value(op.lhs), self.value(op.rhs), self.value(op.acc)
        self.define(op.res, isa.type, isa.fma.format(a=a, b=b, c=c))
