"""lower-to-loops: the graph level (nn ops on tensors) becomes the loop level (buffers and
scf/memref/arith/vector loop nests), the level tiling, unrolling, LRE and the C targets
work on.

Conventions (later passes and targets rely on them):
- Signature: `func.func @f(%in: memref<..> {nn.name = "input"}, ..., %out: memref<..>
  {nn.name = "output", nn.output})`. Inputs keep their order and attributes; each result
  becomes a trailing out-parameter marked with the `nn.output` unit attribute, and the
  function returns nothing. A returned value is computed straight into its out-parameter.
- Tensor constants become private constant `memref.global`s read by `memref.get_global`;
  intermediate tensors become `memref.alloc` buffers (reuse is a later buffer-plan pass).
- Every op goes through `patcc.lowering.registry.LOWERINGS`; an op without a lowering (for
  example a `pat` conv before its lowering is registered) is a clear error, never skipped.
- A reshape of a contiguous buffer is a view of it (`VIEWS`: memref.collapse/expand_shape,
  unlabelled, so each layer that reads it re-declares it): no copy, no layer of its own.
- A unary activation (relu, clip, silu, hard_swish, ...) that is the single use of an
  epilogue producer (nn.conv2d, nn.conv_transpose, nn.gemm, nn.matmul) is fused into the
  producer's store: no buffer, no second pass over memory for it.
- A residual `nn.add(conv, skip)` of equal shapes whose conv operand is used only there (and
  a single-use unary activation after it) is fused into the conv's stores:
  act(conv + skip), skip loaded at the store's indices (`patcc/lowering/residual.py`); the
  layer's label ends in ` + add + relu`.
- A result whose one user pads it (a conv or pool with pads) is written by its producer
  straight into the interior of a buffer with that border (`patcc/lowering/halo.py`): the
  consumer's padding copy is gone; the interior is a `memref.subview` with strides.
  `halos=false` keeps the copies (the opencl target: halos ran slower on a GPU, whose border
  fill is four small kernels a layer; docs/benchmarks.md).

The lowerings emit `linalg.generic` where an op is a pure affine map (elementwise, broadcast,
transpose, slice); this pass then runs xDSL's convert-linalg-to-loops and lower-affine, and
finally hoists every scalar constant to the function entry, one per value.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FloatAttr,
    FunctionType,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import SymbolOpInterface
from xdsl.transforms.lower_affine import LowerAffinePass

from patcc.errors import PatccError
from patcc.lowering.context import LoweringContext, buffer_type
from patcc.lowering.halo import wanted_halo
from patcc.lowering.layers import convert_linalg_keeping_layers, layer_label, mark_layer
from patcc.lowering.registry import (
    EPILOGUE_PRODUCERS,
    FUSABLE_ACTIVATIONS,
    HALO_WRITERS,
    LOWERINGS,
    PADDED_READERS,
    RESIDUAL_PRODUCERS,
    VIEWS,
)
from patcc.lowering.residual import Residual, add_residual, find_residuals, single_user

NAME_ATTR = "nn.name"
OUTPUT_ATTR = "nn.output"


@dataclass(frozen=True)
class LowerToLoopsPass(ModulePass):
    """Every tensor-level function of the module to loop level (see the module docstring)."""

    name = "lower-to-loops"

    vector_length: int = 8
    shared_groups: bool = True
    """False: pattern convs run per filter even where an FKR group shares one kernel list."""
    halos: bool = True
    """False: a padded consumer always copies its input into a bordered buffer."""
    shared_min_items: int = 0
    """A layer runs shared only if (filters / G) x output rows x columns, the work items of
    a launch with one group per item, reaches this (the opencl target: a GPU wants enough
    of them); 0: wherever the groups share."""
    row_blocks: bool = True
    """False: a pattern conv takes all its output rows in one block (`row_block` keeps the
    input rows of a block in a CPU core's L2; on a GPU the blocks only split the NDRange:
    VGG-16's 28-wide convs ran 1.3x faster in one, docs/benchmarks.md). A layer's own
    schedule (`rb`) still sets its blocks."""
    pads_in_one_nest: bool = False
    """True: a padded copy (a padded consumer's input where no halo holds it) is one nest
    over the bordered buffer, each element its input's or the border value, instead of a
    fill of the whole buffer and a copy of the interior: each element written once, and on
    a GPU one kernel where they were two (the opencl target's; a C target keeps the fill
    and the copy, whose loops have no test per element)."""
    pool_rows: bool = True
    """True: a window pool reduces each output row's window rows into a row buffer first,
    then across its columns (`patcc/lowering/pool.py`): loops a C compiler vectorises
    whatever its version. False: one nest, an output a step, which a GPU's work items
    want (the opencl target's)."""
    input_stationary: int = 0
    """Pattern convs (FKW) with at least this many kept kernels per used (channel, pattern)
    pair on average run input-stationary (`patcc/lowering/input_stationary.py`: each loaded
    input vector feeds every filter with that kernel, the tiles of all filters in a
    buffer); 0: none. Stride 1, undilated, rows of at least a vector of 8 or more lanes, no
    shared groups. A layer's own `pat.schedule` st (`patcc tune`'s knob) overrides the rule:
    1 input-stationary wherever that applies, -1 never."""
    input_stationary_bytes: int = 0
    """With input_stationary: the most bytes of filter tiles that the filters one input
    channel feeds may take; a layer's tiles get fewer rows (down to 2) to stay under it
    (`input_stationary.rows_within`); 0: any rows (up to 8)."""
    input_stationary_filter_bytes: int = 0
    """With input_stationary: the channels are swept once per block of filters whose tiles
    take at most this many bytes, where a block's (channel, pattern) pairs keep 6 kernels or
    more on average (`input_stationary.filters_within`, `MIN_BLOCK_KERNELS`); 0: one sweep
    over all filters."""
    gemm_filters: int = 0
    """Filters per register tile of the 1x1 GEMMs on images wider than the small-image
    tile (`patcc/lowering/pointwise.py`); 0: FILTER_TILE (4). With VECTOR_TILE = 3 vectors
    each: 8 needs 32 vector registers (AVX-512)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.vector_length < 1:
            raise PatccError(
                f"lower-to-loops: vector-length must be >= 1, got {self.vector_length}"
            )
        symbols = {
            s.data
            for o in op.ops
            if o.get_trait(SymbolOpInterface) is not None
            and isinstance(
                s := o.properties.get("sym_name", o.attributes.get("sym_name")), StringAttr
            )
        }
        for fn in list(op.ops):
            if isinstance(fn, func.FuncOp) and fn.body.blocks and _is_tensor_level(fn):
                _lower_function(op, fn, symbols, self)
        convert_linalg_keeping_layers(op)
        LowerAffinePass().apply(ctx, op)
        for fn in op.ops:
            if isinstance(fn, func.FuncOp) and fn.body.blocks:
                hoist_constants(fn)


def _is_tensor_level(fn: func.FuncOp) -> bool:
    types = [*fn.function_type.inputs.data, *fn.function_type.outputs.data]
    return any(isinstance(t, TensorType) for t in types) or any(
        isinstance(r.type, TensorType) for o in fn.walk() for r in o.results
    )


def _arg_dicts(attrs: ArrayAttr[DictionaryAttr] | None, count: int) -> list[dict[str, Attribute]]:
    if attrs is None:
        return [{} for _ in range(count)]
    return [dict(d.data) for d in attrs.data]


def _operand_buffers(op: Operation, buffers: dict[SSAValue, SSAValue]) -> list[SSAValue | None]:
    """Operand buffers in definition order: None for an absent optional, variadics inline."""
    if not isinstance(op, IRDLOperation):
        return [buffers[v] for v in op.operands]
    out: list[SSAValue | None] = []
    for name, _ in op.get_irdl_definition().operands:
        value = getattr(op, name)
        if value is None:
            out.append(None)
        elif isinstance(value, SSAValue):
            out.append(buffers[value])
        else:
            out.extend(buffers[v] for v in value)
    return out


def _view(
    ctx: LoweringContext,
    op: Operation,
    buffers: dict[SSAValue, SSAValue],
    pending: dict[SSAValue, list[int]],
) -> SSAValue | None:
    """The op's result as a view of an operand's buffer (VIEWS), where it has one and is
    not returned (a returned value is written into its out-parameter)."""
    make = VIEWS.get(type(op))
    if make is None or len(op.results) != 1 or op.results[0] in pending:
        return None
    operands = _operand_buffers(op, buffers)
    view = make(ctx, op, operands)
    if view is not None and view not in operands:
        view.name_hint = op.results[0].name_hint
    return view


def _is_dense_constant(op: Operation) -> bool:
    return (
        isinstance(op, arith.ConstantOp)
        and isinstance(op.value, DenseIntOrFPElementsAttr)
        and isinstance(op.value.type, TensorType)
    )


def _lower_function(
    module: ModuleOp, fn: func.FuncOp, symbols: set[str], options: LowerToLoopsPass
) -> None:
    vector_length, halos = options.vector_length, options.halos
    old = fn.body.block
    ret = old.last_op
    if not isinstance(ret, func.ReturnOp):
        raise PatccError(
            f"lower-to-loops: function @{fn.sym_name.data} does not end in func.return"
        )
    in_types = list(fn.function_type.inputs.data)
    out_types = list(fn.function_type.outputs.data)
    for t in [*in_types, *out_types]:
        if not isinstance(t, TensorType):
            raise PatccError(f"lower-to-loops: function @{fn.sym_name.data}: {t} is not a tensor")
    arg_attrs = _arg_dicts(fn.arg_attrs, len(in_types))
    res_attrs = _arg_dicts(fn.res_attrs, len(out_types))
    for attrs in res_attrs:
        attrs[OUTPUT_ATTR] = UnitAttr()

    block = Block(arg_types=[buffer_type(t) for t in [*in_types, *out_types]])
    new_fn = func.FuncOp(
        fn.sym_name.data,
        FunctionType.from_lists(block.arg_types, []),
        Region(block),
        fn.sym_visibility,
        arg_attrs=ArrayAttr([DictionaryAttr(a) for a in [*arg_attrs, *res_attrs]]),
    )
    Rewriter.insert_op(new_fn, InsertPoint.before(fn))
    ctx = LoweringContext(
        module,
        new_fn,
        block,
        vector_length,
        symbols,
        shared_groups=options.shared_groups,
        shared_min_items=options.shared_min_items,
        gemm_filters=options.gemm_filters,
        row_blocks=options.row_blocks,
        pads_in_one_nest=options.pads_in_one_nest,
        pool_rows=options.pool_rows,
        input_stationary=options.input_stationary,
        input_stationary_bytes=options.input_stationary_bytes,
        input_stationary_filter_bytes=options.input_stationary_filter_bytes,
    )

    buffers: dict[SSAValue, SSAValue] = {}
    for arg, new in zip(old.args, block.args, strict=False):
        buffers[arg] = new
        new.name_hint = arg.name_hint
    out_params = list(block.args[len(in_types) :])
    # returned value -> its out-parameter positions not yet written
    pending: dict[SSAValue, list[int]] = {}
    for i, (value, param) in enumerate(zip(ret.arguments, out_params, strict=True)):
        pending.setdefault(value, []).append(i)
        name = res_attrs[i].get(NAME_ATTR)
        param.name_hint = value.name_hint or (
            name.data if isinstance(name, StringAttr) else f"out{i}"
        )

    def result_buffer(value: SSAValue, producer: Operation) -> SSAValue:
        slots = pending.get(value)
        if slots:
            return out_params[slots.pop(0)]
        typ = value.type
        assert isinstance(typ, TensorType)
        halo = None
        if halos and producer not in residuals:
            halo = wanted_halo(
                producer, value, old, kept, vector_length, HALO_WRITERS, PADDED_READERS
            )
        if halo is not None:
            return ctx.halo_buffer(typ.get_shape(), halo[0], halo[1], value.name_hint)
        return ctx.alloc(typ.get_shape(), value.name_hint, typ.element_type)

    # fusion: producer -> the single-use activation applied in its store
    fused: set[Operation] = set()
    kept = set(pending)
    for op in old.ops:
        if type(op) not in EPILOGUE_PRODUCERS or len(op.results) != 1:
            continue
        result = op.results[0]
        user = single_user(result, old, kept)
        if user is not None and type(user) in FUSABLE_ACTIVATIONS and user.operands[0] is result:
            ctx.epilogues[op] = user
            fused.add(user)
    residuals = find_residuals(old, RESIDUAL_PRODUCERS, FUSABLE_ACTIVATIONS, kept)
    for res in residuals.values():
        fused.update(res.ops)

    layers = 0
    for op in old.ops:
        ctx.ip = InsertPoint.at_end(block)
        if isinstance(op, func.ReturnOp):
            break
        if op in fused:
            continue
        if _is_dense_constant(op):
            assert isinstance(op, arith.ConstantOp)
            value = op.value
            assert isinstance(value, DenseIntOrFPElementsAttr)
            buffers[op.result] = ctx.global_constant(value, op.result.name_hint or "cst")
            continue
        lowering = LOWERINGS.get(type(op))
        if lowering is None:
            raise PatccError(_missing(op))
        view = _view(ctx, op, buffers, pending)
        if view is not None:  # no layer of its own: its users re-declare the view
            buffers[op.results[0]] = view
            layers += 1  # later layers keep their names
            continue
        act = ctx.epilogue(op)
        res = residuals.get(op)
        tail = res.ops if res is not None else [act] if act is not None else []
        final = tail[-1].results if tail else op.results
        outs = [result_buffer(r, op) for r in final]
        operands = _operand_buffers(op, buffers)
        ctx.ip = InsertPoint.at_end(block)
        before = set(block.ops)
        for out in outs:
            if out in ctx.halos:
                ctx.fill_border(out)
        lowering(ctx, op, operands, outs)
        if res is not None and not add_residual(
            ctx, res, _new_ops(ctx, before), outs[0], buffers[res.skip]
        ):
            _unfused_residual(ctx, op, res, outs[0], buffers[res.skip])
        fused_ops = "".join(f" + {t.name.partition('.')[2]}" for t in tail)
        mark_layer(_new_ops(ctx, before), layer_label(op, layers) + fused_ops, op)
        layers += 1
        for r, buf in zip(op.results, outs, strict=True):
            buffers[r] = buf
        for t in tail:
            buffers[t.results[0]] = outs[0]

    ctx.ip = InsertPoint.at_end(block)
    for value, slots in pending.items():
        for i in slots:  # values returned twice, or arguments/constants returned as they are
            ctx.insert(memref.CopyOp(buffers[value], out_params[i]))
    ctx.insert(func.ReturnOp())
    fn.detach()
    fn.erase()


def _unfused_residual(
    ctx: LoweringContext, conv: Operation, res: Residual, out: SSAValue, skip: SSAValue
) -> None:
    """The add and the activation of `res` in place on the conv's output `out` (elementwise,
    identity maps), for a conv whose stores could not take them."""
    conv_result = conv.results[0]
    add_operands = [skip if v is not conv_result else out for v in res.add.operands]
    LOWERINGS[type(res.add)](ctx, res.add, add_operands, [out])
    if res.act is not None:
        LOWERINGS[type(res.act)](ctx, res.act, [out], [out])


def _new_ops(ctx: LoweringContext, before: set[Operation]) -> list[Operation]:
    """Top-level ops the current layer's lowering added (hoisted constants are shared)."""
    hoisted = {v.owner for v in ctx.hoisted_values()}
    return [o for o in ctx.entry.ops if o not in before and o not in hoisted]


def _missing(op: Operation) -> str:
    msg = f"lower-to-loops: no lowering for op '{op.name}'"
    if op.name.startswith("pat."):
        return msg + " (pattern convolutions are lowered by patcc/lowering/pattern_conv.py)"
    return msg + " (see patcc/lowering/registry.py)"


def hoist_constants(fn: func.FuncOp) -> None:
    """One scalar arith.constant per value, at the top of the function: what the lowerings
    and convert-linalg-to-loops emitted inside loops runs once (MLIR canonicalize does the
    same)."""
    entry = fn.body.block
    seen: dict[tuple[str, str], SSAValue] = {}
    anchor: Operation | None = None
    for op in list(fn.walk()):
        if not isinstance(op, arith.ConstantOp) or not isinstance(
            op.value, IntegerAttr | FloatAttr
        ):
            continue
        key = (str(op.value), str(op.result.type))
        if key in seen:
            op.result.replace_all_uses_with(seen[key])
            op.detach()
            op.erase()
            continue
        seen[key] = op.result
        op.detach()
        Rewriter.insert_op(op, InsertPoint.after(anchor) if anchor else InsertPoint.at_start(entry))
        anchor = op
    # keep hoisted get_global / broadcast ops (which use constants) after the constants
    if anchor is None:
        return
    last_constant, tail = anchor, anchor
    for op in list(entry.ops):
        if op is last_constant:
            break
        if not isinstance(op, arith.ConstantOp):
            op.detach()
            Rewriter.insert_op(op, InsertPoint.after(tail))
            tail = op
