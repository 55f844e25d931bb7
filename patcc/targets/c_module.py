"""A whole loop-level module as one C99 translation unit: layer functions plus the ABI.

The function's top-level ops are cut into layers by their `nn.layer` label (consecutive ops
with one label); each layer becomes a `static void` function whose parameters are the
buffers it touches (distinct allocations, so `restrict`), the weight blob and the thread
count. Values shared by all layers (constants, splats, weight and view pointers) are
re-declared inside each layer that uses them. `patcc_run` turns the ABI's arrays into
buffer pointers (inputs, outputs, views into the workspace) and calls the layers in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.dialects import arith, func, memref, vector
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    VectorType,
)
from xdsl.ir import Block, BlockArgument, Operation, SSAValue

from patcc.errors import PatccError
from patcc.targets.attrs import (
    BLOB_OFFSET_ATTR,
    NAME_ATTR,
    OUTPUT_ATTR,
    PARALLEL_ATTR,
    THREADS_ATTR,
    WORKSPACE_ATTR,
    WORKSPACE_BYTES_ATTR,
)
from patcc.targets.c_printer import (
    HELPERS,
    BodyPrinter,
    Names,
    element_count,
    sanitize,
    scalar_c_type,
)
from patcc.targets.isa import VectorIsa
from patcc.targets.layers import SHARED, Layer, root_buffer, split_layers

ABI_COMMENT = """\
/* C ABI (patcc, format 1):
 *   int    patcc_num_inputs(void);
 *   int    patcc_num_outputs(void);
 *   size_t patcc_input_elems(int i);     float32 element count of input i
 *   size_t patcc_output_elems(int i);
 *   size_t patcc_weights_bytes(void);    size of weights.bin
 *   size_t patcc_workspace_bytes(void);  activation arena, planned
 *   void   patcc_run(const float *const *inputs, float *const *outputs,
 *                    const void *weights, void *workspace, int num_threads);
 * inputs/outputs in the function's order (nn.name order), not overlapping; weights = the
 * contents of weights.bin, 64-byte aligned; workspace = caller-allocated, 64-byte aligned,
 * patcc_workspace_bytes() bytes. num_threads <= 0 means the default: the thread count the
 * model was compiled for (parallelize{threads=N}, N > 0), else OpenMP's, or 1 without
 * OpenMP. Re-entrant: no global state.
 */
"""


@dataclass
class Signature:
    """The main function's arguments by role."""

    fn: func.FuncOp
    inputs: list[BlockArgument] = field(default_factory=list)
    outputs: list[BlockArgument] = field(default_factory=list)
    workspace: BlockArgument | None = None
    names: dict[BlockArgument, str] = field(default_factory=dict)


def main_function(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    if len(funcs) != 1:
        raise PatccError(f"C target: expected one function with a body, found {len(funcs)}")
    return funcs[0]


def signature(fn: func.FuncOp) -> Signature:
    sig = Signature(fn)
    attrs = fn.arg_attrs.data if isinstance(fn.arg_attrs, ArrayAttr) else ()
    for i, arg in enumerate(fn.body.block.args):
        entry = attrs[i].data if i < len(attrs) and isinstance(attrs[i], DictionaryAttr) else {}
        typ = arg.type
        if not isinstance(typ, MemRefType):
            raise PatccError(f"C target: argument {i} of @{fn.sym_name.data} is not a memref")
        name = entry.get(NAME_ATTR)
        sig.names[arg] = name.data if isinstance(name, StringAttr) else f"arg{i}"
        if WORKSPACE_ATTR in entry:
            sig.workspace = arg
        elif OUTPUT_ATTR in entry:
            sig.outputs.append(arg)
        else:
            sig.inputs.append(arg)
        if arg is not sig.workspace and scalar_c_type(typ.element_type) != "float":
            raise PatccError(f"C target: input/output '{sig.names[arg]}' is not float32")
    return sig


def check_ready(module: ModuleOp, target: str) -> None:
    """The host decisions the printer needs must already be in the IR."""
    ops = list(module.walk())
    if any(isinstance(op, memref.AllocOp) for op in ops):
        raise PatccError(f"{target}: 'memref.alloc' left in the module: run plan-buffers first")
    for op in ops:
        if isinstance(op, memref.GlobalOp) and BLOB_OFFSET_ATTR not in op.attributes:
            raise PatccError(
                f"{target}: memref.global @{op.sym_name.data} has no {BLOB_OFFSET_ATTR}: "
                "run layout-weights first"
            )


def _view_range(v: SSAValue) -> tuple[int, int] | None:
    """Byte range of a workspace view with a constant shift."""
    op = v.owner
    if not isinstance(op, memref.ViewOp):
        return None
    shift = op.byte_shift.owner
    typ = v.type
    if not (isinstance(shift, arith.ConstantOp) and isinstance(shift.value, IntegerAttr)):
        return None
    assert isinstance(typ, MemRefType)
    start = shift.value.value.data
    return start, start + element_count(typ) * 4


def _written_roots(ops: list[Operation]) -> set[SSAValue]:
    roots: set[SSAValue] = set()
    for top in ops:
        for op in top.walk():
            if isinstance(op, memref.StoreOp):
                roots.add(root_buffer(op.memref))
            elif isinstance(op, vector.StoreOp):
                roots.add(root_buffer(op.base))
            elif isinstance(op, memref.CopyOp):
                roots.add(root_buffer(op.destination))
    return roots


class ModulePrinter:
    def __init__(
        self, module: ModuleOp, target: str, isas: dict[int, VectorIsa], prelude: str
    ) -> None:
        check_ready(module, target)
        self.module = module
        self.target = target
        self.isas = isas
        self.prelude = prelude
        self.fn = main_function(module)
        if self.fn.function_type.outputs.data:
            raise PatccError(f"{target}: @{self.fn.sym_name.data} returns values: lower it first")
        self.sig = signature(self.fn)
        self.order = {op: i for i, op in enumerate(self.fn.body.block.ops)}
        self.globals = {
            op.sym_name.data: op for op in module.ops if isinstance(op, memref.GlobalOp)
        }

    # ---- one layer ------------------------------------------------------------------------

    def _externals(self, layer: Layer) -> tuple[list[SSAValue], list[Operation]]:
        """(root buffers used as parameters, shared top-level ops to re-declare), each in
        program order."""
        inside: set[Operation] = set()
        for top in layer.ops:
            inside.update(top.walk())
        roots: dict[SSAValue, None] = {}
        shared: set[Operation] = set()

        def need(v: SSAValue) -> None:
            owner = v.owner
            if isinstance(owner, Operation) and owner in inside:
                return
            if isinstance(owner, Block) and owner.parent_op() in inside:
                return
            if isinstance(owner, arith.ConstantOp) and not isinstance(
                owner.result.type, VectorType
            ):
                return
            if isinstance(v, BlockArgument) or isinstance(owner, memref.ViewOp):
                roots[v] = None
                return
            assert isinstance(owner, Operation)
            # side-effect-free ops are re-declared where used (CSE may share them between
            # layers), and so are loads of constant weights; anything else (a load of a
            # buffer, a loop result) must not cross layers
            pure = (
                isinstance(owner, SHARED)
                or owner.name.startswith(("arith.", "math."))
                or self._reads_weights(owner)
            )
            if owner.parent_op() is not self.fn or not pure or owner.regions:
                raise PatccError(
                    f"{self.target}: a value of '{owner.name}' is used by another layer "
                    f"({layer.label}); only buffers may cross layers"
                )
            if owner not in shared:
                shared.add(owner)
                for operand in owner.operands:
                    need(operand)

        for op in inside:
            for operand in op.operands:
                need(operand)
        root_list = sorted(roots, key=self._position)
        return root_list, sorted(shared, key=lambda o: self.order[o])

    def _reads_weights(self, op: Operation) -> bool:
        """A load from a constant global: the weights never change, so it reads the same
        value in every layer. CSE merges such a load of two layers when both read the same
        element of one global (identical constants share a global): blocks of filters that
        leave a one-filter group make its loop a single iteration, inlined with constant
        indices, and two layers of one shape and block size keep equal FKW offsets."""
        if not isinstance(op, memref.LoadOp):
            return False
        source = op.memref.owner
        if not isinstance(source, memref.GetGlobalOp):
            return False
        glob = self.globals.get(source.name_.root_reference.data)
        return glob is not None and glob.constant is not None

    def _position(self, v: SSAValue) -> tuple[int, int]:
        if isinstance(v, BlockArgument):
            return (0, v.index)
        assert isinstance(v.owner, Operation)
        return (1, self.order[v.owner])

    def layer_function(self, k: int, layer: Layer, fname: str) -> tuple[str, list[str]]:
        """C source of one layer, and the parameter names its call passes."""
        roots, shared = self._externals(layer)
        written = _written_roots(layer.ops)
        ranges = {r: _view_range(r) for r in roots}
        overlapping = {
            r
            for r in roots
            for s in roots
            if r is not s
            and (a := ranges[r]) is not None
            and (b := ranges[s]) is not None
            and a[0] < b[1]
            and b[0] < a[1]
        }
        names = Names(["weights", "nthreads", "lanes", "l"])
        bp = BodyPrinter(self.isas, names, self.target)
        params: list[str] = []
        args: list[SSAValue] = []
        for r in roots:
            params.append(self.buffer_parameter(bp, r, r in written, r in overlapping))
            args.append(r)
        uses_weights = any(isinstance(op, memref.GetGlobalOp) for op in shared)
        parallel = any(PARALLEL_ATTR in op.attributes for top in layer.ops for op in top.walk())
        if uses_weights:
            params.append("const unsigned char *weights")
        if parallel:
            params.append("int nthreads")
        for op in shared:
            if isinstance(op, memref.GetGlobalOp):
                self._weight_pointer(bp, op)
            else:
                bp.op(op)
        for op in layer.ops:
            bp.op(op)
        comment = f"/* {layer.label} */" if layer.label else "/* glue between layers */"
        head = f"static void {fname}({', '.join(params) or 'void'})"
        text = "\n".join([comment, head, "{", *bp.lines, "}", ""])
        call_args = [self.root_names[r] for r in args]
        if uses_weights:
            call_args.append("w")
        if parallel:
            call_args.append("nthreads")
        del k
        return text, call_args

    def buffer_parameter(self, bp: BodyPrinter, r: SSAValue, written: bool, aliased: bool) -> str:
        """`[const ]T *[restrict ]name` for a buffer a layer touches; binds the name. Read-only
        buffers are const; `restrict` unless another parameter views the same memory."""
        hint = self.sig.names.get(r) if isinstance(r, BlockArgument) else r.name_hint
        name = bp.names.fresh(hint, "buf")
        if not written:
            bp.readonly.add(r)
        bp.exprs[r] = name
        const = "" if written else "const "
        restrict = "" if aliased else "restrict "
        return f"{const}{bp.c_type(r.type, self.fn)}{restrict}{name}"

    def _weight_pointer(self, bp: BodyPrinter, op: memref.GetGlobalOp) -> None:
        glob = self.globals[op.name_.string_value()]
        offset = glob.attributes[BLOB_OFFSET_ATTR]
        assert isinstance(offset, IntegerAttr)
        ptr = bp.c_type(op.memref.type, op)  # `float *` (OpenCL: `__global float *`)
        name = bp.names.fresh(op.memref.name_hint or glob.sym_name.data, "w")
        bp.emit(f"const {ptr}restrict {name} = (const {ptr})(weights + {offset.value.data});")
        bp.exprs[op.memref] = name
        bp.readonly.add(op.memref)

    # ---- the translation unit ---------------------------------------------------------------

    def print(self, model_name: str | None = None) -> str:
        sig = self.sig
        layers = split_layers(self.fn.body.block)
        fnames = [
            f"layer{k}_{sanitize((layer.label or 'glue').split(':')[0])}"
            for k, layer in enumerate(layers)
        ]
        run_names = Names(
            [
                "inputs",
                "outputs",
                "weights",
                "workspace",
                "num_threads",
                "w",
                "ws",
                "nthreads",
                *fnames,
            ]
        )
        self.root_names: dict[SSAValue, str] = {}
        run_lines: list[str] = []
        for group, array in ((sig.inputs, "inputs"), (sig.outputs, "outputs")):
            for i, arg in enumerate(group):
                name = run_names.fresh(sig.names[arg], "arg")
                self.root_names[arg] = name
                run_lines.append(f"float *{name} = (float *){array}[{i}];")
        for op in self.fn.body.block.ops:
            if isinstance(op, memref.ViewOp):
                rng = _view_range(op.result)
                if rng is None or op.source is not sig.workspace:
                    raise PatccError(
                        f"{self.target}: 'memref.view' must be a constant view of the workspace"
                    )
                typ = op.result.type
                assert isinstance(typ, MemRefType)
                ctype = scalar_c_type(typ.element_type)
                name = run_names.fresh(op.result.name_hint, "buf")
                self.root_names[op.result] = name
                run_lines.append(f"{ctype} *{name} = ({ctype} *)(ws + {rng[0]});")
        if sig.workspace is not None:
            self.root_names[sig.workspace] = "ws"
        functions = []
        for k, (layer, fname) in enumerate(zip(layers, fnames, strict=True)):
            text, call_args = self.layer_function(k, layer, fname)
            functions.append(text)
            run_lines.append(f"{fname}({', '.join(call_args)});")
        return self._unit(model_name or self.fn.sym_name.data, functions, run_lines)

    def _attr_int(self, op: Operation, name: str) -> int:
        attr = op.attributes.get(name)
        return attr.value.data if isinstance(attr, IntegerAttr) else 0

    def _unit(self, model: str, functions: list[str], run_lines: list[str]) -> str:
        sig = self.sig
        in_sizes = [element_count(_memref(a)) for a in sig.inputs]
        out_sizes = [element_count(_memref(a)) for a in sig.outputs]
        weights_bytes = self._attr_int(self.module, "patcc.weights_bytes")
        workspace_bytes = self._attr_int(self.fn, WORKSPACE_BYTES_ATTR)
        threads = self._attr_int(self.module, THREADS_ATTR)
        inputs = ", ".join(f'"{sig.names[a]}"' for a in sig.inputs)
        outputs = ", ".join(f'"{sig.names[a]}"' for a in sig.outputs)
        indent = "    "
        parts = [
            f"/* model.c — generated by patcc for target {self.target} from model {model}\n"
            f" * inputs: {inputs}; outputs: {outputs} */\n",
            ABI_COMMENT,
            "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n#include <math.h>\n"
            "#ifdef _OPENMP\n#include <omp.h>\n#endif\n",
            self.prelude,
            "\n" + HELPERS,
            "\n".join(functions),
            _size_function("patcc_input_elems", in_sizes),
            _size_function("patcc_output_elems", out_sizes),
            f"int patcc_num_inputs(void) {{ return {len(in_sizes)}; }}\n"
            f"int patcc_num_outputs(void) {{ return {len(out_sizes)}; }}\n"
            f"size_t patcc_weights_bytes(void) {{ return {weights_bytes}; }}\n"
            f"size_t patcc_workspace_bytes(void) {{ return {workspace_bytes}; }}\n",
            "void patcc_run(const float *const *inputs, float *const *outputs,\n"
            "               const void *weights, void *workspace, int num_threads)\n{\n"
            f"{indent}const unsigned char *w = (const unsigned char *)weights;\n"
            f"{indent}unsigned char *ws = (unsigned char *)workspace;\n"
            f"{indent}int nthreads = num_threads > 0 ? num_threads : {threads};\n"
            "#ifdef _OPENMP\n"
            f"{indent}if (nthreads <= 0) nthreads = omp_get_max_threads();\n"
            "#else\n"
            f"{indent}nthreads = 1;\n"
            "#endif\n"
            f"{indent}(void)w; (void)ws; (void)nthreads; (void)inputs; (void)outputs;\n"
            + "".join(f"{indent}{line}\n" for line in run_lines)
            + "}\n",
        ]
        return "\n".join(parts)


def _memref(v: SSAValue) -> MemRefType:
    typ = v.type
    assert isinstance(typ, MemRefType)
    return typ


def _size_function(name: str, sizes: list[int]) -> str:
    cases = "".join(f"    case {i}: return {n};\n" for i, n in enumerate(sizes))
    return (
        f"size_t {name}(int i)\n{{\n    switch (i) {{\n{cases}    default: return 0;\n    }}\n}}\n"
    )


def print_c(module: ModuleOp, target: str, isas: dict[int, VectorIsa], prelude: str) -> str:
    return ModulePrinter(module, target, isas, prelude).print()
