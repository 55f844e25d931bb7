"""stream-stores{min-bytes=4194304}: a large layer output's vector stores bypass the caches.

A conv whose output is far larger than a core's L2 (VGG-16's first conv writes 12.8 MB)
stores each line through a read for ownership: the line is read from memory to be
overwritten whole, and then written back once it is evicted, so the layer moves its output
through memory twice. A nontemporal store (x86's `_mm512_stream_ps`) writes the line
without reading it and without keeping it in the caches. The next layer reads the output
from memory either way: its first rows were evicted long before it starts. On the AMD EPYC
VGG-16's conv1 ran 1.12-1.16x faster with its stores streamed, its conv4 (6.4 MB)
1.06-1.12x, the max pools after them 0.86-0.98x, the model 1.02x; on the Xeon conv1
1.39-1.42x (docs/performance.md, "Streaming stores").

Marked (`vector.store {nontemporal = true}`): every vector store to a buffer of at least
`min-bytes` (a view of the workspace, plan-buffers' `memref.view`, whose 64-byte aligned
offsets the runtime's aligned workspace keeps) whose address is provably a multiple of the
vector's bytes, which the streaming stores require: each index times its dimension's stride
a multiple of the lanes (`multiple_of`: constants, sums and products of them, and loop
counters that start and step by multiples). A halo's interior (a subview, one column in),
a row whose width is not a multiple of the vector, or a last vector clamped into its row is
left alone. Each parallel loop (or top-level nest) holding marked stores ends its body with
a `pat.store_fence`: streaming stores are weakly ordered, and another thread reads them
after the loop. Runs after plan-buffers and parallelize; the C printer writes the streaming
store where the ISA has one (x86), a plain one elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd, prod

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, scf, vector
from xdsl.dialects.builtin import BoolAttr, MemRefType, ModuleOp, VectorType
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.dialects.pat.store_fence import StoreFenceOp
from patcc.errors import PatccError
from patcc.lowering.jam import constant_int
from patcc.targets.attrs import PARALLEL_ATTR
from patcc.targets.c_printer import strides_of

ALIGNMENT = 64
"""The byte alignment of plan-buffers' offsets and of the workspace the runtime allocates."""


def multiple_of(value: SSAValue, m: int) -> bool:
    """Whether the index `value` is a multiple of `m` on every path: a constant, a sum or
    difference of multiples, a product with a factor that supplies the rest, or the counter
    of a loop that starts and steps by multiples of `m`."""
    if m <= 1:
        return True
    owner = value.owner
    if isinstance(owner, Block):
        loop = owner.parent_op()
        if isinstance(loop, scf.ForOp) and value is loop.body.block.args[0]:
            step = constant_int(loop.step)
            return step is not None and step % m == 0 and multiple_of(loop.lb, m)
        return False
    c = constant_int(value)
    if c is not None:
        return c % m == 0
    if isinstance(owner, arith.AddiOp | arith.SubiOp):
        return multiple_of(owner.lhs, m) and multiple_of(owner.rhs, m)
    if isinstance(owner, arith.MuliOp):
        return any(
            multiple_of(b, m // gcd(m, constant_int(a) or 1))
            for a, b in ((owner.lhs, owner.rhs), (owner.rhs, owner.lhs))
        )
    return False


def _workspace_view(base: SSAValue) -> bool:
    """A plan-buffers view of the workspace at an offset the ALIGNMENT divides."""
    view = base.owner
    if not isinstance(view, memref.ViewOp):
        return False
    shift = constant_int(view.byte_shift)
    return shift is not None and shift % ALIGNMENT == 0


def streamable(store: vector.StoreOp, min_bytes: int) -> bool:
    """A store to a large aligned workspace buffer whose every address is a multiple of
    the vector's bytes."""
    typ, vec = store.base.type, store.vector.type
    assert isinstance(typ, MemRefType) and isinstance(vec, VectorType)
    lanes = vec.get_shape()[-1]
    if not _workspace_view(store.base) or 4 * prod(typ.get_shape()) < min_bytes:
        return False
    if (lanes * 4) > ALIGNMENT or ALIGNMENT % (lanes * 4):
        return False
    strides, _ = strides_of(typ)  # a view's type: row-major, no offset
    return all(
        multiple_of(index, lanes // gcd(lanes, stride))
        for index, stride in zip(store.indices, strides, strict=True)
    )


def _fenced_loop(store: Operation, fn: func.FuncOp) -> scf.ForOp | None:
    """The loop whose body ends in the fence: the nearest parallel loop around `store`,
    else its top-level loop (None: the store is in no loop)."""
    top: scf.ForOp | None = None
    parent = store.parent_op()
    while parent is not None and parent is not fn:
        if isinstance(parent, scf.ForOp):
            if PARALLEL_ATTR in parent.attributes:
                return parent
            top = parent
        parent = parent.parent_op()
    return top


@dataclass(frozen=True)
class StreamStoresPass(ModulePass):
    """Mark the streamable stores nontemporal and fence them (see the module docstring)."""

    name = "stream-stores"

    min_bytes: int = 4 << 20

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.min_bytes < 1:
            raise PatccError(f"stream-stores: min-bytes must be >= 1, got {self.min_bytes}")
        for fn in op.ops:
            if not isinstance(fn, func.FuncOp):
                continue
            fenced: dict[scf.ForOp, None] = {}
            for store in fn.walk():
                if not isinstance(store, vector.StoreOp) or not streamable(store, self.min_bytes):
                    continue
                loop = _fenced_loop(store, fn)  # after the cheap test: most stores fail it
                if loop is not None:
                    store.properties["nontemporal"] = BoolAttr.from_bool(True)
                    fenced[loop] = None
            for loop in fenced:
                block = loop.body.block
                last = block.last_op
                point = InsertPoint.before(last) if last is not None else InsertPoint.at_end(block)
                Rewriter.insert_op(StoreFenceOp(), point)
