"""The toolbox every lowering uses: an insertion point plus builders for loop-level IR.

A lowering gets its operands and results as buffers (memrefs) and emits, at `ctx.ip`, the
ops that compute the results into their buffers. The helpers here keep that code short and
uniform: loops with static bounds (a trip count of 1 emits no loop at all, so batch-1 and
1x1-kernel loops vanish), index arithmetic folded at compile time where it can be,
constants hoisted to the function entry (one per value), buffers, views, constant globals,
index tables, padding (or a producer's output with the border its consumer reads, see
`halo_buffer`), and `linalg.generic` for pure elementwise maps (see `elementwise`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    NoneAttr,
    StringAttr,
    TensorType,
    UnitAttr,
    VectorType,
    f32,
    i32,
    i64,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.linalg.ops import GenericOp, YieldOp
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.constants import dense_f32
from patcc.errors import PatccError

Index = int | SSAValue
"""A loop index or offset: a Python int (folded at compile time) or an `index` SSA value."""

OpT = TypeVar("OpT", bound=Operation)

# The lowest finite f32: max-pool padding (never wins, as in the numpy reference).
F32_LOWEST = float(np.finfo(np.float32).min)


@functools.cache
def vector_type(element: Attribute, length: int) -> VectorType:
    """vector<length x element>, made once: a VectorType verifies its parameters when built
    (~50 us), and a lowering asks for the same few thousands of times."""
    return VectorType(element, [length])


def buffer_shape(buf: SSAValue) -> tuple[int, ...]:
    """Static shape of a memref value."""
    typ = buf.type
    if not isinstance(typ, MemRefType):
        raise PatccError(f"lower-to-loops: expected a memref, got {typ}")
    return tuple(typ.get_shape())


def contiguous(buf: SSAValue) -> bool:
    """Whether `buf` is a memref laid out row-major (not a strided view such as a halo's
    interior, whose rows are not one run of memory)."""
    typ = buf.type
    return isinstance(typ, MemRefType) and isinstance(typ.layout, NoneAttr)


def memref_f32(shape: Sequence[int]) -> MemRefType[Float32Type]:
    return MemRefType(f32, list(shape))


def buffer_type(typ: Attribute) -> MemRefType:
    """The memref type that replaces a tensor type (same shape and element type)."""
    if not isinstance(typ, TensorType):
        raise PatccError(f"lower-to-loops: expected a tensor type, got {typ}")
    return MemRefType(typ.element_type, list(typ.get_shape()))


class LoweringContext:
    """Where and how a lowering emits IR; one per function being lowered.

    `ip` is the current insertion point; `vector_length` the SIMD width to vectorise with;
    `epilogues` maps an op to the activation fused into it (the pass decides; the op's
    lowering applies it with `apply_epilogue` just before its store).
    """

    def __init__(
        self,
        module: ModuleOp,
        function: func.FuncOp,
        entry: Block,
        vector_length: int,
        symbols: set[str],
        *,
        shared_groups: bool = True,
        shared_min_items: int = 0,
        gemm_filters: int = 0,
        row_blocks: bool = True,
        pads_in_one_nest: bool = False,
        pool_rows: bool = True,
        input_stationary: int = 0,
        input_stationary_bytes: int = 0,
        input_stationary_filter_bytes: int = 0,
    ) -> None:
        self.module = module
        self.function = function
        self.entry = entry
        self.vector_length = vector_length
        self.shared_groups = shared_groups  # block-shared FKR groups share loads (pattern_conv)
        self.shared_min_items = shared_min_items  # ... on layers this large (pattern_conv)
        self.gemm_filters = gemm_filters  # filters per 1x1 GEMM tile (pointwise; 0: default)
        self.row_blocks = row_blocks  # pattern convs in blocks of rows (False: one block)
        self.pads_in_one_nest = pads_in_one_nest  # `padded` without a fill (see there)
        self.pool_rows = pool_rows  # window pools through a row of column results (pool.py)
        # pattern convs with this many kernels per (channel, pattern) pair or more run
        # input-stationary (input_stationary.py); 0: none
        self.input_stationary = input_stationary
        # ... in tiles of rows whose filter tiles for one channel fit this (0: any rows)
        self.input_stationary_bytes = input_stationary_bytes
        # ... sweeping the channels once per block of filters whose tiles fit this (0: one)
        self.input_stationary_filter_bytes = input_stationary_filter_bytes
        self.ip = InsertPoint.at_end(entry)
        self.epilogues: dict[Operation, Operation] = {}
        self.halos: dict[SSAValue, tuple[SSAValue, tuple[int, ...], float]] = {}
        """interior view -> (bordered buffer, pads, border value): see `halo_buffer`."""
        self._symbols = symbols
        self._hoisted: dict[tuple[str, str], SSAValue] = {}
        self._last_hoisted: Operation | None = None

    # ---- insertion ----------------------------------------------------------------------

    def insert(self, op: OpT) -> OpT:
        Rewriter.insert_op(op, self.ip)
        return op

    def emit(self, op: Operation) -> SSAValue:
        """Insert `op` and return its (first) result."""
        return self.insert(op).results[0]

    @contextmanager
    def at(self, ip: InsertPoint) -> Iterator[None]:
        """Temporarily emit at `ip`."""
        saved, self.ip = self.ip, ip
        try:
            yield
        finally:
            self.ip = saved

    def _hoist(self, key: tuple[str, str], make: Callable[[], Operation]) -> SSAValue:
        """One op per key at the function entry: constants dominate every use."""
        if key not in self._hoisted:
            op = make()
            ip = (
                InsertPoint.after(self._last_hoisted)
                if self._last_hoisted is not None
                else InsertPoint.at_start(self.entry)
            )
            Rewriter.insert_op(op, ip)
            self._last_hoisted = op
            self._hoisted[key] = op.results[0]
        return self._hoisted[key]

    def hoisted_values(self) -> list[SSAValue]:
        """Values emitted once at the function entry (shared by every layer)."""
        return list(self._hoisted.values())

    # ---- constants ----------------------------------------------------------------------

    def index(self, value: Index) -> SSAValue:
        if isinstance(value, SSAValue):
            return value
        return self._hoist(
            ("index", str(value)),
            lambda: arith.ConstantOp(IntegerAttr.from_index_int_value(int(value))),
        )

    def f32(self, value: float) -> SSAValue:
        attr = FloatAttr(float(np.float32(value)), f32)  # f32 semantics: round once here
        return self._hoist(("f32", str(attr)), lambda: arith.ConstantOp(attr))

    def splat(self, value: float, length: int | None = None) -> SSAValue:
        """A constant vector<length x f32> (vector.broadcast of a hoisted scalar)."""
        n = length or self.vector_length
        scalar = self.f32(value)
        return self._hoist(
            (f"vector{n}", str(FloatAttr(float(np.float32(value)), f32))),
            lambda: vector.BroadcastOp(scalar, vector_type(f32, n)),
        )

    def const_like(self, like: SSAValue, value: float) -> SSAValue:
        """`value` as an f32 scalar or as a splat of `like`'s vector type."""
        typ = like.type
        if isinstance(typ, VectorType):
            return self.splat(value, typ.get_shape()[0])
        return self.f32(value)

    # ---- index arithmetic (folded where both sides are known) -----------------------------

    def lin(self, offset: int, *terms: tuple[int, Index]) -> SSAValue:
        """offset + sum(coef * value): the usual shape of an index (oh * s + kh * d + p)."""
        const = offset
        parts: list[SSAValue] = []
        for coef, value in terms:
            value = constant_index(value)
            if coef == 0:
                continue
            if isinstance(value, int):
                const += coef * value
                continue
            part = value if coef == 1 else self.emit(arith.MuliOp(value, self.index(coef)))
            parts.append(part)
        if not parts:
            return self.index(const)
        acc = parts[0]
        for part in parts[1:]:
            acc = self.emit(arith.AddiOp(acc, part))
        if const:
            acc = self.emit(arith.AddiOp(acc, self.index(const)))
        return acc

    # ---- float arithmetic (scalars or vectors alike) --------------------------------------

    def addf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.AddfOp(a, b))

    def subf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.SubfOp(a, b))

    def mulf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.MulfOp(a, b))

    def divf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.DivfOp(a, b))

    def maxf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        """NaN-propagating maximum (numpy's np.maximum)."""
        return self.emit(arith.MaximumfOp(a, b))

    def minf(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.MinimumfOp(a, b))

    def if_else(
        self, cond: SSAValue, then: Callable[[], SSAValue], otherwise: Callable[[], SSAValue]
    ) -> SSAValue:
        """An f32 `scf.if`: `then`'s ops run only where `cond` holds (unlike `select`, whose
        operands are both computed: a load in `then` is skipped)."""
        pick = self.insert(scf.IfOp(cond, [f32], Region(Block()), Region(Block())))
        for region, make in ((pick.true_region, then), (pick.false_region, otherwise)):
            with self.at(InsertPoint.at_end(region.block)):
                self.insert(scf.YieldOp(make()))
        return pick.results[0]

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.SelectOp(cond, a, b))

    def cmpf(self, predicate: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(arith.CmpfOp(a, b, predicate))

    # ---- loops --------------------------------------------------------------------------

    def loop(
        self,
        ub: Index,
        body: Callable[[Index], None],
        *,
        lb: Index = 0,
        step: int = 1,
        name: str | None = None,
    ) -> None:
        """for iv in range(lb, ub, step): body(iv), as scf.for. With static bounds, no trip
        emits nothing and one trip emits the body once with iv = lb as a Python int (so
        index arithmetic on it folds away)."""

        def carried_body(iv: Index, carried: list[SSAValue]) -> list[SSAValue]:
            body(iv)
            return []

        self.reduce(ub, (), carried_body, lb=lb, step=step, name=name)

    def blocks(self, count: int, block: int, body: Callable[[Index, int], None], name: str) -> None:
        """body(start, size) over `count` items in blocks of `block`: a loop over the full
        blocks (step `block`), then the remainder, if any, as one shorter block."""
        full = count - count % block
        self.loop(full, lambda start: body(start, block), step=block, name=name)
        if full < count:
            body(full, count - full)

    def reduce(
        self,
        ub: Index,
        init: Sequence[SSAValue],
        body: Callable[[Index, list[SSAValue]], Sequence[SSAValue]],
        *,
        lb: Index = 0,
        step: int = 1,
        name: str | None = None,
    ) -> list[SSAValue]:
        """An scf.for carrying `init` through iter_args (register accumulators); returns
        the final values. `body(iv, carried)` returns the next carried values."""
        if isinstance(lb, int) and isinstance(ub, int):
            if ub <= lb:
                return list(init)
            if ub - lb <= step:
                return list(body(lb, list(init)))
        block = Block(arg_types=[IndexType(), *(v.type for v in init)])
        if name:
            block.args[0].name_hint = name
        loop = self.insert(
            scf.ForOp(self.index(lb), self.index(ub), self.index(step), list(init), Region(block))
        )
        with self.at(InsertPoint.at_end(block)):
            carried = body(block.args[0], list(block.args[1:]))
            self.insert(scf.YieldOp(*carried))
        return list(loop.results)

    def nest(
        self,
        shape: Sequence[int],
        body: Callable[[list[Index]], None],
        names: Sequence[str] | None = None,
    ) -> None:
        """A perfect loop nest over `shape` (row-major order); body(ivs)."""

        def level(depth: int, ivs: list[Index]) -> None:
            if depth == len(shape):
                body(ivs)
                return
            self.loop(
                shape[depth],
                lambda iv: level(depth + 1, [*ivs, iv]),
                name=names[depth] if names else None,
            )

        level(0, [])

    # ---- memory -------------------------------------------------------------------------

    def load(self, buf: SSAValue, indices: Sequence[Index]) -> SSAValue:
        return self.emit(memref.LoadOp.get(buf, [self.index(i) for i in indices]))

    def store(self, value: SSAValue, buf: SSAValue, indices: Sequence[Index]) -> None:
        self.insert(memref.StoreOp.get(value, buf, [self.index(i) for i in indices]))

    def vload(self, buf: SSAValue, indices: Sequence[Index], length: int | None = None) -> SSAValue:
        """`length` (default vector_length) contiguous elements along the last axis."""
        typ = vector_type(f32, length or self.vector_length)
        return self.emit(vector.LoadOp(buf, [self.index(i) for i in indices], typ))

    def vstore(self, value: SSAValue, buf: SSAValue, indices: Sequence[Index]) -> None:
        self.insert(vector.StoreOp(value, buf, [self.index(i) for i in indices]))

    def broadcast(self, scalar: SSAValue, length: int | None = None) -> SSAValue:
        typ = vector_type(scalar.type, length or self.vector_length)
        return self.emit(vector.BroadcastOp(scalar, typ))

    def fma(self, a: SSAValue, b: SSAValue, acc: SSAValue) -> SSAValue:
        """a * b + acc: vector.fma on vectors, mulf + addf on scalars."""
        if isinstance(acc.type, VectorType):
            return self.emit(vector.FMAOp(a, b, acc))
        return self.addf(self.mulf(a, b), acc)

    def alloc(
        self, shape: Sequence[int], name: str | None = None, element_type: Attribute | None = None
    ) -> SSAValue:
        """A fresh buffer (a later buffer-plan pass decides where it lives); f32 by default."""
        op = self.insert(memref.AllocOp.get(element_type or f32, shape=list(shape)))
        if name:
            op.memref.name_hint = name
        return op.memref

    def _symbol(self, stem: str) -> str:
        clean = "".join(c if c.isalnum() or c == "_" else "_" for c in stem) or "cst"
        if clean[0].isdigit():
            clean = f"c{clean}"
        name, k = clean, 0
        while name in self._symbols:
            k += 1
            name = f"{clean}_{k}"
        self._symbols.add(name)
        return name

    def global_constant(
        self, value: np.ndarray | DenseIntOrFPElementsAttr, name: str = "cst"
    ) -> SSAValue:
        """A private constant memref.global holding `value`, and its memref.get_global
        (hoisted to the function entry)."""
        attr = value if isinstance(value, DenseIntOrFPElementsAttr) else dense_f32(value)
        typ = MemRefType(attr.get_element_type(), list(attr.get_shape() or ()))
        symbol = self._symbol(name)
        glob = memref.GlobalOp.get(StringAttr(symbol), typ, attr, constant=UnitAttr())
        Rewriter.insert_op(glob, InsertPoint.before(self.function))
        get = self._hoist(("global", symbol), lambda: memref.GetGlobalOp(symbol, typ))
        get.name_hint = symbol
        return get

    def index_table(self, values: Sequence[int], name: str = "table") -> SSAValue:
        """A constant i32 lookup table (resize/gather/pad indices computed at compile time
        with the numpy reference's own arithmetic, so both levels pick the same elements)."""
        arr = np.ascontiguousarray(np.asarray(values, dtype="<i4"))
        attr = DenseIntOrFPElementsAttr.from_list(TensorType(i32, [len(arr)]), arr.tolist())
        return self.global_constant(attr, name)

    def load_index(self, table: SSAValue, i: Index) -> SSAValue:
        """table[i] as an `index` value."""
        return self.emit(arith.IndexCastOp(self.load(table, [i]), IndexType()))

    def view(self, buf: SSAValue, shape: Sequence[int]) -> SSAValue:
        """The same contiguous data under another static shape (collapse to 1-D, then
        expand): no copy, the numpy `reshape` of a buffer."""
        src = buffer_shape(buf)
        shape = tuple(shape)
        if src == shape:
            return buf
        typ = buf.type
        assert isinstance(typ, MemRefType)
        if not contiguous(buf):  # a halo's interior: rows are not contiguous
            raise PatccError(f"lower-to-loops: cannot view the strided buffer {typ} as {shape}")
        size = math.prod(src)
        if math.prod(shape) != size:
            raise PatccError(f"lower-to-loops: cannot view {src} as {shape}")
        flat = buf
        if len(src) != 1:
            reassoc = [list(range(len(src)))] if src else []
            flat = self.emit(_collapse(buf, reassoc, MemRefType(typ.element_type, [size])))
        if len(shape) == 1:
            return flat
        reassoc = [list(range(len(shape)))] if shape else []
        return self.emit(_expand(flat, reassoc, MemRefType(typ.element_type, list(shape))))

    def copy(self, src: SSAValue, dst: SSAValue) -> None:
        """dst = src, element for element in row-major order (shapes may differ)."""
        for buf in (src, dst):
            if isinstance(buf.type, MemRefType) and not contiguous(buf):
                raise PatccError(f"lower-to-loops: cannot copy the strided buffer {buf.type}")
        shape = buffer_shape(dst)
        self.insert(memref.CopyOp(self.view(src, shape), dst))

    def fill(self, buf: SSAValue, value: float) -> None:
        shape = buffer_shape(buf)
        flat = self.view(buf, (math.prod(shape),))
        c = self.f32(value)
        self.loop(math.prod(shape), lambda i: self.store(c, flat, [i]), name="i")

    def padded(self, buf: SSAValue, pads: Sequence[int], value: float) -> SSAValue:
        """An NCHW buffer with a border of `value` (pads = [top, left, bottom, right]), so
        window loops (convs, pools) read without bounds checks; `buf` itself if no pad."""
        if not any(pads):
            return buf
        full = self.halo_of(buf, pads, value)
        if full is not None:
            return full  # the producer wrote into the interior and filled the border
        n, c, h, w = buffer_shape(buf)
        top, left, bottom, right = pads
        out = self.alloc((n, c, h + top + bottom, w + left + right), name="padded")
        if self.pads_in_one_nest:
            self._pad_in_one_nest(buf, out, pads, value)
            return out
        self.fill(out, value)

        def body(ivs: list[Index]) -> None:
            b, ch, y, x = ivs
            v = self.load(buf, ivs)
            self.store(v, out, [b, ch, self.lin(top, (1, y)), self.lin(left, (1, x))])

        self.nest((n, c, h, w), body, names=("n", "c", "y", "x"))
        return out

    def _pad_in_one_nest(
        self, buf: SSAValue, out: SSAValue, pads: Sequence[int], value: float
    ) -> None:
        """out = `buf` bordered by `value`: one nest over `out`, each element its input's
        or the border value (`scf.if`; at least one axis is padded, so there is a test),
        written once; on a GPU one kernel where the fill and the copy were two."""
        _, _, h, w = buffer_shape(buf)
        _, _, hp, wp = buffer_shape(out)
        top, left, _, _ = pads

        def body(ivs: list[Index]) -> None:
            b, ch, y, x = ivs
            tests: list[SSAValue] = []
            for iv, low, size, extent in ((y, top, h, hp), (x, left, w, wp)):
                if low:
                    tests.append(self.emit(arith.CmpiOp(self.index(iv), self.index(low), "sge")))
                if low + size < extent:
                    tests.append(
                        self.emit(arith.CmpiOp(self.index(iv), self.index(low + size), "slt"))
                    )
            cond = tests[0]
            for test in tests[1:]:
                cond = self.emit(arith.AndIOp(cond, test))
            inside = self.if_else(
                cond,
                lambda: self.load(buf, [b, ch, self.lin(-top, (1, y)), self.lin(-left, (1, x))]),
                lambda: self.f32(value),
            )
            self.store(inside, out, ivs)

        self.nest(buffer_shape(out), body, names=("n", "c", "y", "x"))

    def halo_of(self, buf: SSAValue, pads: Sequence[int], value: float) -> SSAValue | None:
        """The bordered buffer `buf` is the interior of, if its border is `pads` of `value`."""
        halo = self.halos.get(buf)
        return halo[0] if halo is not None and halo[1:] == (tuple(pads), value) else None

    def halo_buffer(
        self, shape: Sequence[int], pads: Sequence[int], value: float, name: str | None = None
    ) -> SSAValue:
        """An NCHW result buffer for a producer whose one consumer pads it by `pads` with
        `value`: the view of the interior of a buffer with that border, which the producer
        writes (and `fill_border` borders); `padded` then hands the consumer the bordered
        buffer, so the result is never copied into a padded one (patcc/lowering/halo.py)."""
        n, c, h, w = shape
        top, left, bottom, right = pads
        full = self.alloc((n, c, h + top + bottom, w + left + right), name="padded")
        full_type = full.type
        assert isinstance(full_type, MemRefType)
        interior = self.emit(
            memref.SubviewOp.from_static_parameters(
                full, full_type, [0, 0, top, left], [n, c, h, w], [1, 1, 1, 1]
            )
        )
        if name:
            interior.name_hint = name
        self.halos[interior] = (full, tuple(pads), value)
        return interior

    def fill_border(self, interior: SSAValue) -> None:
        """The border of a `halo_buffer` (O(border) stores, not the whole buffer): the rows
        above and below, then the columns left and right of the interior rows."""
        full, (top, left, bottom, right), value = self.halos[interior]
        n, c, h, w = buffer_shape(interior)
        border = self.f32(value)
        for rows, cols, y0, x0 in (
            (top, w + left + right, 0, 0),
            (bottom, w + left + right, top + h, 0),
            (h, left, top, 0),
            (h, right, top, left + w),
        ):
            if rows and cols:
                self.nest(
                    (n, c, rows, cols),
                    lambda ivs, y0=y0, x0=x0: self.store(
                        border,
                        full,
                        [ivs[0], ivs[1], self.lin(y0, (1, ivs[2])), self.lin(x0, (1, ivs[3]))],
                    ),
                    names=("n", "c", "y", "x"),
                )

    # ---- linalg -------------------------------------------------------------------------

    def elementwise(
        self,
        inputs: Sequence[SSAValue],
        output: SSAValue,
        body: Callable[[list[SSAValue]], SSAValue],
        input_maps: Sequence[AffineMap] | None = None,
    ) -> None:
        """A linalg.generic over `output`'s index space: body(input elements) -> output
        element. Inputs broadcast numpy-style (trailing-aligned, size-1 axes repeat) unless
        `input_maps` says otherwise. convert-linalg-to-loops turns it into the loop nest."""
        out_shape = buffer_shape(output)
        rank = len(out_shape)
        maps = (
            list(input_maps)
            if input_maps is not None
            else [broadcast_map(buffer_shape(x), out_shape) for x in inputs]
        )
        maps.append(AffineMap.identity(rank))
        types = [_element_type(v) for v in [*inputs, output]]
        block = Block(arg_types=types)
        with self.at(InsertPoint.at_end(block)):
            result = body(list(block.args[: len(inputs)]))
            self.insert(YieldOp(result))
        self.insert(
            GenericOp(
                list(inputs),
                [output],
                Region(block),
                [AffineMapAttr(m) for m in maps],
                [IteratorTypeAttr.parallel()] * rank,
            )
        )

    # ---- fused epilogues ----------------------------------------------------------------

    def epilogue(self, op: Operation) -> Operation | None:
        """The activation fused into `op` (its lowering must apply it), if any."""
        return self.epilogues.get(op)

    def apply_epilogue(self, op: Operation, value: SSAValue) -> SSAValue:
        """`value` (scalar or vector) through the activation fused into `op`, if any."""
        act = self.epilogues.get(op)
        if act is None:
            return value
        from .activation import emit_activation

        return emit_activation(self, act, value)


def constant_index(value: Index) -> Index:
    """`value` as a Python int if an index arith.constant defines it (for folding)."""
    if isinstance(value, SSAValue) and isinstance(value.owner, arith.ConstantOp):
        attr = value.owner.value
        if isinstance(attr, IntegerAttr) and isinstance(attr.type, IndexType):
            return attr.value.data
    return value


def broadcast_map(shape: Sequence[int], out_shape: Sequence[int]) -> AffineMap:
    """numpy broadcasting as an indexing map: trailing-aligned, size-1 axes read index 0."""
    rank = len(out_shape)
    offset = rank - len(shape)
    exprs: list[AffineExpr] = []
    for j, size in enumerate(shape):
        d = offset + j
        if size == 1 and out_shape[d] != 1:
            exprs.append(AffineConstantExpr(0))
        else:
            exprs.append(AffineDimExpr(d))
    return AffineMap(rank, 0, tuple(exprs))


def _element_type(buf: SSAValue) -> Attribute:
    typ = buf.type
    assert isinstance(typ, MemRefType)
    return typ.element_type


def _reassociation(groups: list[list[int]]) -> ArrayAttr:
    return ArrayAttr([ArrayAttr([IntegerAttr(i, i64) for i in group]) for group in groups])


def _collapse(buf: SSAValue, reassoc: list[list[int]], typ: MemRefType) -> Operation:
    return memref.CollapseShapeOp.build(
        operands=[buf],
        result_types=[typ],
        properties={"reassociation": _reassociation(reassoc)},
    )


def _expand(buf: SSAValue, reassoc: list[list[int]], typ: MemRefType) -> Operation:
    return memref.ExpandShapeOp.build(
        operands=[buf, []],
        result_types=[typ],
        properties={
            "reassociation": _reassociation(reassoc),
            "static_output_shape": DenseArrayBase.from_list(i64, list(typ.get_shape())),
        },
    )


Lowering = Callable[
    [LoweringContext, Operation, Sequence[SSAValue | None], Sequence[SSAValue]], None
]
"""How one op is lowered: (ctx, op, operand buffers in definition order with None for an
absent optional operand, result buffers) -> None; emits at ctx.ip the ops that compute the
results into their buffers."""

View = Callable[[LoweringContext, Operation, Sequence[SSAValue | None]], SSAValue | None]
"""An op whose result can be its operand's buffer under another type (a reshape): (ctx, op,
operand buffers) -> that view, emitted at ctx.ip, or None where it cannot be (the op's
Lowering then computes a buffer of its own)."""
