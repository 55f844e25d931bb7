"""A loop-level module as OpenCL C 1.2 kernels plus the host's launch plan (as data).

Every top-level loop nest is one `__kernel` (a layer's nests run in order: padding, then
the conv, ...); its loops marked `ocl.global_dim = k` (map-to-ndrange) become
`get_global_id(k)`, the loops inside them stay loops. A top-level `memref.copy` (reshape)
is a buffer copy the host enqueues. Statements come from the shared C printer with OpenCL
spellings: `__global` pointers, floatN vectors (opencl_isa.py).

Buffers: one `__global` buffer per model input and output, one for the weight blob
(layout-weights' offsets, as in the C targets) and one for the planned activation
workspace (plan-buffers). A kernel takes one pointer parameter per buffer it touches; a
workspace view is the workspace buffer, and the kernel adds the view's offset (so views
need no sub-buffers, whose offsets would have to meet the device's base alignment). The
launch plan names, per kernel, its global size (one entry per NDRange dimension) and the
buffer bound to each parameter with that offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue

from patcc.constants import numpy_dtype
from patcc.errors import PatccError
from patcc.targets.attrs import GLOBAL_DIM_ATTR
from patcc.targets.c_module import ModulePrinter, _view_range, _written_roots
from patcc.targets.c_printer import (
    BodyPrinter,
    Names,
    element_count,
    is_contiguous,
    sanitize,
    scalar_c_type,
)
from patcc.targets.isa import VectorIsa
from patcc.targets.layers import ALIASES, Layer, root_buffer, split_layers
from patcc.targets.opencl_isa import OPENCL_ISAS, OPENCL_PRELUDE, OPENCL_SCALARS

TARGET = "opencl"
LOCAL_SIZE_ATTR = "ocl.local_size"  # on an NDRange's outermost loop: the work-group size
COARSEN_ATTR = "ocl.coarsen"  # on a flat NDRange's outermost loop: ids per work item


def opencl_scalar(typ: Attribute, where: str = "") -> str:
    name = scalar_c_type(typ, where)
    return OPENCL_SCALARS.get(name, name)


def _int(v: SSAValue) -> int:
    owner = v.owner
    if not (isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr)):
        raise PatccError(f"{TARGET}: an NDRange loop bound is not a constant")
    return owner.value.value.data


_WRITES = (memref.StoreOp, vector.StoreOp, memref.CopyOp)


def _writes(op: Operation) -> bool:
    return any(isinstance(inner, _WRITES) for inner in op.walk())


def trip_count(loop: scf.ForOp) -> int:
    lb, ub, step = _int(loop.lb), _int(loop.ub), _int(loop.step)
    return max(0, -(-(ub - lb) // step))


def global_dim(loop: Operation) -> int:
    dim = loop.attributes.get(GLOBAL_DIM_ATTR)
    return dim.value.data if isinstance(dim, IntegerAttr) else -1


def ndrange_loops(top: Operation) -> list[scf.ForOp]:
    """The marked loops of one kernel, innermost first. They must lie on one chain of loops
    from the kernel's top loop, each the last op of the one outside it (unmarked loops of
    the chain run inside the work item), dimensions falling to 0 without a gap; loops of
    one dimension (collapsed) follow each other on the chain."""
    marked = [op for op in top.walk() if GLOBAL_DIM_ATTR in op.attributes]
    chain: list[scf.ForOp] = []
    loop: Operation | None = top
    while isinstance(loop, scf.ForOp):
        if GLOBAL_DIM_ATTR in loop.attributes:
            chain.append(loop)
        ops = [op for op in loop.body.block.ops if not isinstance(op, scf.YieldOp)]
        loop = ops[-1] if ops else None
    got = [global_dim(op) for op in chain]
    distinct = list(dict.fromkeys(got))
    if len(marked) != len(chain) or distinct != list(range(len(distinct) - 1, -1, -1)):
        raise PatccError(
            f"{TARGET}: the {GLOBAL_DIM_ATTR} loops of a kernel must lie on one loop chain "
            "from its top loop, innermost 0 (as map-to-ndrange marks them)"
        )
    return chain[::-1]


@dataclass(frozen=True)
class NDRangeIndex:
    """How a marked loop's index comes from its dimension's global id: divided by the trip
    counts of the loops inside it in the same dimension, and, unless it is the outermost of
    them, taken modulo its own trip count. `total` is the dimension's size (32-bit index
    arithmetic below 2**32: a 64-bit division costs a GPU tens of instructions), `items`
    on the outermost loop of a coarsened range the ids each work item takes (grid-stride)."""

    stride: int
    outermost: bool
    total: int = 1
    items: int = 1


def ndrange_indices(nest: list[scf.ForOp]) -> tuple[dict[scf.ForOp, NDRangeIndex], list[int]]:
    """Per marked loop (innermost first, as `ndrange_loops`) its index, and the global size
    of each dimension (the product of its loops' trip counts; a coarsened range's divided
    by its `ocl.coarsen`)."""
    strides: list[tuple[scf.ForOp, int, bool]] = []
    sizes: list[int] = []
    for i, loop in enumerate(nest):
        dim = global_dim(loop)
        if dim == len(sizes):
            sizes.append(1)
        outer = nest[i + 1] if i + 1 < len(nest) else None
        strides.append((loop, sizes[dim], outer is None or global_dim(outer) != dim))
        sizes[dim] *= trip_count(loop)
    indices: dict[scf.ForOp, NDRangeIndex] = {}
    launched = list(sizes)
    for loop, stride, outermost in strides:
        dim = global_dim(loop)
        coarsen = loop.attributes.get(COARSEN_ATTR)
        items = coarsen.value.data if outermost and isinstance(coarsen, IntegerAttr) else 1
        indices[loop] = NDRangeIndex(stride, outermost, sizes[dim], max(1, items))
        launched[dim] = -(-sizes[dim] // max(1, items))
    return indices, launched


def _index_expr(gid: str, index: NDRangeIndex, trip: int) -> str:
    """A marked loop's iteration number from its dimension's id `gid`."""
    if index.stride == 1 and index.outermost:
        return f"(ptrdiff_t){gid}"
    if index.total < 2**31:  # (uint) ids past the total (rounded up to the local size) fit
        u = f"(uint){gid}" if index.stride == 1 else f"(uint){gid} / {index.stride}u"
        return f"(ptrdiff_t)({u if index.outermost else f'{u} % {trip}u'})"
    g = f"(ptrdiff_t){gid}"
    g = g if index.stride == 1 else f"({g} / {index.stride})"
    return g if index.outermost else f"({g} % {trip})"


class KernelBodyPrinter(BodyPrinter):
    """The shared C statements, in OpenCL C: marked loops are the work item's indices."""

    def c_type(self, typ: Attribute, op: Operation) -> str:
        if isinstance(typ, MemRefType):
            return f"__global {opencl_scalar(typ.element_type, f' in {op.name!r}')} *"
        name = super().c_type(typ, op)
        return OPENCL_SCALARS.get(name, name)

    def parallel_pragma(self, cyclic: bool) -> str | None:
        return None

    def __init__(self, isas: dict[int, VectorIsa], names: Names, target: str) -> None:
        super().__init__(isas, names, target)
        self.ndrange: dict[scf.ForOp, NDRangeIndex] = {}  # the kernel's (ndrange_indices)
        self.gids: dict[int, str] = {}  # dimension -> its grid-stride id, inside that loop

    def for_loop(self, op: Operation) -> None:
        assert isinstance(op, scf.ForOp)
        dim = op.attributes.get(GLOBAL_DIM_ATTR)
        if not isinstance(dim, IntegerAttr):
            super().for_loop(op)
            return
        iv = op.body.block.args[0]
        name = self.names.fresh(iv.name_hint, "i")
        self.exprs[iv] = name
        lb, ub, step = self.value(op.lb), self.value(op.ub), self.value(op.step)
        d = dim.value.data
        index = self.ndrange.get(op, NDRangeIndex(1, True))
        wrapped = index.outermost and index.items > 1
        if wrapped:  # grid-stride: ids gid, gid + global size, ... below the total
            g = self.names.fresh("g")
            self.gids[d] = g
            self.emit(
                f"for (ptrdiff_t {g} = get_global_id({d}); {g} < {index.total}; "
                f"{g} += get_global_size({d})) {{"
            )
            self.depth += 1
        gid = self.gids.get(d, f"get_global_id({d})")
        expr = _index_expr(gid, index, trip_count(op))
        expr = expr if step == "1" else f"{expr} * {step}"
        expr = expr if lb == "0" else f"{lb} + {expr}"
        self.emit(f"const ptrdiff_t {name} = {expr};")
        if index.outermost:
            # work items past the trip count (a global size rounded up to the local size)
            # have nothing to do in any iteration of the loops around: the bounds are
            # constants (an inner loop of a collapsed dimension is in range by the modulo;
            # the ids of a grid-stride loop only grow)
            self.emit(f"if ({name} >= {ub}) return;")
        self.block(op.body.block)
        if wrapped:
            self.depth -= 1
            self.emit("}")
            del self.gids[d]

    def copy(self, op: Operation) -> None:
        """A copy inside a kernel (no memcpy in OpenCL C): element by element."""
        assert isinstance(op, memref.CopyOp)
        src = self.copied_type(op)
        i = self.names.fresh("i")
        d, s = self.value(op.destination), self.value(op.source)
        n = element_count(src)
        self.emit(f"for (ptrdiff_t {i} = 0; {i} < {n}; {i}++) {d}[{i}] = {s}[{i}];")


@dataclass(frozen=True)
class OpenCLProgram:
    """The kernels' source and the launch plan (a list of steps, JSON-ready)."""

    source: str
    launch: list[dict[str, Any]]


class OpenCLModulePrinter(ModulePrinter):
    def __init__(self, module: ModuleOp) -> None:
        super().__init__(module, TARGET, OPENCL_ISAS, OPENCL_PRELUDE)
        self.kernel_names = Names()

    def binding(self, root: SSAValue) -> dict[str, Any]:
        """The host buffer behind a kernel's buffer parameter, with its byte offset."""
        sig = self.sig
        for kind, args in (("input", sig.inputs), ("output", sig.outputs)):
            for i, arg in enumerate(args):
                if root is arg:
                    return {"buffer": kind, "index": i, "offset": 0}
        if root is sig.workspace:
            return {"buffer": "workspace", "offset": 0}
        rng = _view_range(root)
        if rng is None or not isinstance(root.owner, memref.ViewOp):
            raise PatccError(f"{TARGET}: a kernel's buffer is no input, output or workspace view")
        if root.owner.source is not sig.workspace:
            raise PatccError(f"{TARGET}: 'memref.view' must be a constant view of the workspace")
        return {"buffer": "workspace", "offset": rng[0]}

    def kernel(self, label: str | None, ops: list[Operation]) -> tuple[str, dict[str, Any]]:
        """One kernel's source and its launch step: `ops` run by every work item, the last
        one's NDRange loops (if it is a marked loop nest) giving the work items."""
        roots, shared = self._externals(Layer(label, ops))
        written = _written_roots(ops)
        ranges = {r: _view_range(r) for r in roots}
        overlapping: set[SSAValue] = set()
        for r, s in combinations(roots, 2):
            a, b = ranges[r], ranges[s]
            if a is not None and b is not None and a[0] < b[1] and b[0] < a[1]:
                overlapping.update((r, s))
        names = Names(["weights", "lanes", "l"])
        bp = KernelBodyPrinter(self.isas, names, TARGET)
        params, args = [], []
        for r in roots:
            typ = r.type
            assert isinstance(typ, MemRefType)
            params.append(self.buffer_parameter(bp, r, r in written, r in overlapping))
            name = bp.exprs[r]
            binding = self.binding(r)
            args.append(binding)
            if binding["offset"]:
                size = numpy_dtype(typ.element_type).itemsize
                bp.emit(f"{name} += {binding['offset'] // size};  /* workspace view */")
        if any(isinstance(op, memref.GetGlobalOp) for op in shared):
            params.append("const __global uchar *restrict weights")
            args.append({"buffer": "weights", "offset": 0})
        for op in shared:
            if isinstance(op, memref.GetGlobalOp):
                self._weight_pointer(bp, op)
            else:
                bp.op(op)
        top = ops[-1]
        nest = ndrange_loops(top) if isinstance(top, scf.ForOp) else []
        bp.ndrange, sizes = ndrange_indices(nest)
        for op in ops:
            bp.op(op)
        sizes = sizes or [1]
        local = nest[-1].attributes.get(LOCAL_SIZE_ATTR) if len(sizes) == 1 and nest else None
        head = (label or "glue between layers").split(":")[0]
        kname = self.kernel_names.fresh(f"k_{sanitize(head)}")
        ndrange = "x".join(map(str, sizes)) if nest else "1 (one work item)"
        items = max((index.items for index in bp.ndrange.values()), default=1)
        ndrange += f", {items} ids per work item" if items > 1 else ""
        comment = f"/* {label or 'glue between layers'}\n * NDRange {ndrange} */"
        text = "\n".join(
            [comment, f"__kernel void {kname}({', '.join(params)})", "{", *bp.lines, "}", ""]
        )
        step = {
            "kind": "kernel",
            "name": kname,
            "layer": label,
            "global": sizes,
            "local": [local.value.data] if isinstance(local, IntegerAttr) else None,
            "args": args,
        }
        return text, step

    def copy_step(self, op: memref.CopyOp) -> dict[str, Any]:
        src, dst = op.source.type, op.destination.type
        assert isinstance(src, MemRefType) and isinstance(dst, MemRefType)
        if not (is_contiguous(src) and is_contiguous(dst)):
            raise PatccError(f"{TARGET}: only copies between contiguous buffers are supported")
        size = element_count(src) * numpy_dtype(src.element_type).itemsize
        return {
            "kind": "copy",
            "src": self.binding(root_buffer(op.source)),
            "dst": self.binding(root_buffer(op.destination)),
            "bytes": size,
        }

    def program(self) -> OpenCLProgram:
        kernels: list[str] = []
        steps: list[dict[str, Any]] = []

        def launch(label: str | None, ops: list[Operation]) -> None:
            text, step = self.kernel(label, ops)
            kernels.append(text)
            steps.append(step)

        for layer in split_layers(self.fn.body.block):
            # top-level ops that only compute or read (e.g. a one-trip loop's body, and in
            # it a reduction loop whose result a later op stores): every later kernel of the
            # layer repeats them; ops that write run as a kernel of one work item, before
            # the next loop nest or copy
            prefix: list[Operation] = []
            for op in layer.ops:
                if isinstance(op, ALIASES):
                    continue  # re-declared in the kernels that use the view
                if isinstance(op, scf.ForOp) and op.results and not _writes(op):
                    prefix.append(op)
                    continue
                if isinstance(op, scf.ForOp | memref.CopyOp) and any(map(_writes, prefix)):
                    launch(layer.label, prefix)
                    prefix = [p for p in prefix if not _writes(p)]
                if isinstance(op, memref.CopyOp):
                    steps.append(self.copy_step(op))
                elif isinstance(op, scf.ForOp):
                    launch(layer.label, [*prefix, op])
                else:
                    prefix.append(op)
            if any(map(_writes, prefix)):
                launch(layer.label, prefix)
        sig = self.sig
        inputs = ", ".join(f'"{sig.names[a]}"' for a in sig.inputs)
        outputs = ", ".join(f'"{sig.names[a]}"' for a in sig.outputs)
        head = (
            f"/* model.cl — generated by patcc for target {TARGET} from model "
            f"{self.fn.sym_name.data}\n * inputs: {inputs}; outputs: {outputs}\n"
            " * OpenCL C 1.2; kernels in launch order, NDRanges and buffers in model.json */\n"
        )
        source = "\n".join([head, OPENCL_PRELUDE, *kernels])
        return OpenCLProgram(source, steps)


def print_opencl(module: ModuleOp) -> OpenCLProgram:
    return OpenCLModulePrinter(module).program()
