"""Pattern convolutions at loop level: the PatDNN code generator's loop nest.

`pat.fkw_conv2d` reads its FKW arrays (constant `memref.global`s after `lower-to-loops`)
in the order the loops stream them; every (filter, pattern) run gets a body specialised to
the pattern, so a kept kernel costs exactly 4 input loads and 4 FMAs per output vector,
with no index arithmetic on the pattern and no branch:

    padded = input with a zero border (once per layer: the inner loops never branch)
    for ohb in 0 .. OH step B:                           # row blocks (ROW_BLOCK_BYTES, L2)
      for j in 0 .. O:                                   # reordered filters (FKR order)
        o = reorder[j]                                   # the original output channel
        lb[p] = offset[j] + stride[j, p]                 # run bounds, loaded once per block
        for oh in ohb .. ohb + B:
            for ow_i in 0 .. ceil(OW / V) * V step V:   # vectorised output width
                ow0 = min(ow_i, OW - V)                  # the last vector overlaps (vector_cols)
                acc = broadcast(bias[o])                 # bias fused: the initial value
                for p in used patterns:                  # Python-unrolled: (dy, dx) constants
                    for k in lb[p] .. lb[p+1]:           # scf.for, acc in iter_args
                        c = index[k]
                        acc = fma(vector.load padded[n, c, oh*sh + kh_t*dh, ow0 + kw_t*dw],
                                  broadcast(weight[k, t]), acc)       # t = 0..3, unrolled
                vector.store act(acc), y[n, o, oh, ow0]  # the op's activation, then a fused one
            for ow in 0 .. OW: ...                       # scalar, only when OW < V

Rows narrower than the pipeline's vector length V run as one wide row over the flattened
padded image (`wide_rows.py`; over its phase planes when strided): tap (kh, kw) of output
q = oh * Wp + ow is a constant shift of q, so a 7x7 layer at 16 lanes runs 4 full vectors
(61 outputs, cropped to 49 after the nest) instead of 7 rows of two 4-lane vectors; measured
on ResNet-50 per kernel (Xeon, 1 thread): its 7x7 pattern convs 1.9x, the 14x14 ones 1.2x.
V is halved (down to 4) while it exceeds a short wide row (`row_vector_length`). The row
and column indices of the 3 possible tap rows / columns are computed once per output row /
vector, outside the kernel loops. As in the dense conv lowering, a conv with stride_w > 1
and rows of at least a vector reads the padded input split by column phase
(`phases.column_phases`, copied from the input, not from a padded copy). Each kernel loop
carries the discardable attributes `pat.conv` (the layer's name, conv0, conv1, ... as
prune-patterns numbers them) and `pat.pattern` (the pattern's positions):
`inner_body_stats` and later passes (LRE, tiling) find the specialised bodies by them.

`pat.conv2d` (not FKW-packed) shares the emitter: its structure arrays (offset, reorder,
index, stride) are functions of `ids` and `filter_order` alone, so they are packed at
compile time (`patcc.compression.fkw.pack_fkw`) into constant globals, and the weights are
read in place from `values[o, c, t]` (which therefore need not be constant).

`filter_groups` decides between two nests. Where every FKR group of G filters shares one
kernel list (block pruning: same channels, same pattern per channel, same order; checked on
the structure arrays by `shared_groups.shared_group_size`, which runs a larger block as
sub-groups of about SHARED_GROUP filters), the shared nest runs the groups:

    for j0 in 0 .. O - O % G step G:                     # pat.loop = "groups"
      o_f = reorder[j0 + f], shift_f = offset[j0 + f] - offset[j0]     # f = 0 .. G-1
      run bounds from j0; per output vector acc_f = bias[o_f]
      for p, for k in j0's run: c = index[k]
        for each tap: v = vector.load padded[...]      # once for the G filters
                      acc_f = fma(v, broadcast(weight[k + shift_f, t]), acc_f)
      store act(acc_f) to y[n, o_f, oh, ow0]
    for j in O - O % G .. O: the per-filter nest         # a shorter last group

Each accumulator sums the same products in the same order as the per-filter nest, so the
results are bit-identical; the loads per FMA drop by G. `pat.conv2d` reads values[o_f, c, t]
instead. Otherwise (or with `lower-to-loops{shared-groups=false}`) the j loop runs the
groups' filters back to back. The j (filters, or groups), oh and vector-ow loops carry
`pat.loop` (filters / groups / rows / cols; at vector length 1, the GPU's, the scalar
column loop is the cols loop) so that `tile-conv` can tile them; a shared
group's rows and cols loops also carry `pat.group = G` (its accumulators per vector).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, scf
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, StringAttr, i64
from xdsl.ir import Operation, SSAValue

from patcc.compression.fkw import FKW, pack_fkw
from patcc.constants import constant_value
from patcc.dialects.nn.base import get_ints, get_str
from patcc.dialects.nn.conv import Conv2dOp
from patcc.dialects.pat.attributes import PATTERN_SIZE, position_offset
from patcc.dialects.pat.conv import PatConv2dOp, ids_array
from patcc.dialects.pat.fkw import FkwConv2dOp, dense_i32
from patcc.errors import PatccError

from .context import Index, Lowering, LoweringContext, buffer_shape
from .halo import HaloWriter, PaddedReader, always, pads_with
from .input_stationary import channel_major, eligible, emit_input_stationary, kernels_per_pair
from .layers import own_schedule
from .phases import column_phases, pad_source, plain_input
from .shared_groups import GROUP_ATTR, layer_group_size
from .vector_cols import vector_cols
from .wide_rows import wide_rows

CONV_ATTR = "pat.conv"
"""On each specialised kernel loop: the name of the conv it belongs to."""
PATTERN_ATTR = "pat.pattern"
"""On each specialised kernel loop: the 4 kernel positions of its pattern."""
LOOP_ATTR = "pat.loop"
"""On the reordered-filter (`filters`), output-row (`rows`) and vector output-width (`cols`)
loops of a pattern conv: what `tile-conv` tiles (a loop of one trip is not emitted)."""
TILE_ATTR = "pat.tile"
"""On a loop `tile-conv` strip-mined: the tile size (the intra-tile trip count)."""
UNROLL_ATTR = "pat.unroll"
"""On `tile-conv`'s intra-tile loops (constant trip count): for LRE to unroll and jam."""

WeightAt = Callable[[SSAValue, SSAValue, SSAValue, int], SSAValue]
"""(k, o, c, t) -> the scalar weight of tap t of kept kernel k (filter o, channel c)."""


@dataclass(frozen=True)
class PatternConv:
    """What the emitter needs of a pattern conv, whichever op it came from."""

    offset: SSAValue  # memref<(O+1) x i32>
    reorder: SSAValue  # memref<O x i32>
    index: SSAValue  # memref<N x i32>
    stride: SSAValue  # memref<O x (K+1) x i32>
    weight_at: WeightAt
    patterns: tuple[tuple[int, ...], ...]
    used: tuple[int, ...]  # pattern ids with at least one kernel (all K when unknown)
    group: int = 1  # filters per shared group (`shared_groups`); 1: the per-filter nest
    weights_by_kernel: bool = True  # weight_at reads by kernel k (FKW), not by (o, c)
    stationary: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """Where the layer runs input-stationary (its rows permitting): its kernels in
    `channel_major`'s order as (output channels, run starts, weights N x 4)."""


def _used_patterns(stride: np.ndarray | None, k: int) -> tuple[int, ...]:
    """Patterns some filter has a kernel of: a body for the others would be dead code."""
    if stride is None:
        return tuple(range(k))
    runs = np.diff(np.asarray(stride, dtype=np.int64), axis=1)
    return tuple(int(p) for p in np.flatnonzero((runs > 0).any(axis=0)))


def conv_name(ctx: LoweringContext, op: Operation) -> str:
    """conv<i>, i = the op's position among the module's convs (prune-patterns' names).
    The function being built holds loops only, so the walk skips it (it grows with every
    layer lowered: walking it made this a tenth of lower-to-loops)."""
    convs = [
        c
        for top in ctx.module.ops
        if top is not ctx.function
        for c in top.walk()
        if isinstance(c, Conv2dOp | PatConv2dOp | FkwConv2dOp)
    ]
    for i, c in enumerate(convs):
        if c is op:
            return f"conv{i}"
    return op.results[0].name_hint or "conv"


def _activate(ctx: LoweringContext, op: Operation, value: SSAValue) -> SSAValue:
    """The op's own fused activation, then any activation the pass fused after it."""
    act = get_str(op.properties, "activation", "none")
    if act not in ("none", "relu", "relu6"):
        raise PatccError(f"lower-to-loops: {op.name}: unknown activation '{act}'")
    if act != "none":  # np.maximum / np.clip of the reference: NaN-propagating max, min
        value = ctx.maxf(value, ctx.const_like(value, 0.0))
    if act == "relu6":
        value = ctx.minf(value, ctx.const_like(value, 6.0))
    return ctx.apply_epilogue(op, value)


def emit_pattern_conv(
    ctx: LoweringContext,
    op: Operation,
    conv: PatternConv,
    x: SSAValue,
    bias: SSAValue | None,
    y: SSAValue,
) -> None:
    """The loop nest of the module docstring, computing `op` into `y`."""
    p = op.properties
    sh, sw = get_ints(p, "strides")
    dh, dw = get_ints(p, "dilations")
    source = pad_source(ctx, x, get_ints(p, "pads"), 0.0)
    own = own_schedule(op)
    vl = _own_vector_length(ctx, op, own.get("vl", 0))
    # (kh, kw) in 0..2 of each tap, in the stored weight order (ascending positions)
    taps = {
        q: [(dy + 1, dx + 1) for dy, dx in map(position_offset, conv.patterns[q])]
        for q in conv.used
    }
    out_w = buffer_shape(y)[3]
    row_vl = row_vector_length(vl, out_w)
    arrays = conv.stationary
    stationary = arrays is not None and eligible((dh, dw), row_vl, out_w, conv.group)

    def stationary_rows() -> None:
        """Input-stationary over rows of full vectors, or of two overlapping half vectors
        where no wide row applies (those run over the wide row: MIN_LANES)."""
        assert arrays is not None
        xp = column_phases(ctx, source, sw) if sw > 1 else source.padded(ctx)
        emit_input_stationary(ctx, op, arrays, taps, xp, bias, y, row_vl, (sh, sw))

    if stationary and row_vl == vl:
        stationary_rows()
        return
    # rows narrower than a vector: one wide row over the flattened padded image (its
    # phase planes when strided); the wide row's output index steps by 1
    out = y
    wide = wide_rows(ctx, source, y, (sh, sw), vl, min_span=MIN_VECTOR, phases=True)
    if stationary and wide is None:  # rows of two overlapping half vectors, then
        stationary_rows()
        return
    if wide is not None:
        y, sw = wide.y, 1
    n_n, o_n, oh_n, ow_n = buffer_shape(y)
    vl = row_vector_length(vl, ow_n)
    if (  # input-stationary over the wide row, some of its vectors a tile
        wide is not None and arrays is not None and eligible((dh, dw), vl, ow_n, conv.group)
    ):
        emit_input_stationary(ctx, op, arrays, taps, wide.x, bias, y, vl, wide=wide)
        wide.crop(ctx, out)
        return
    # stride_w > 1: the columns split by phase, so each tap reads consecutive elements
    xd = column_phases(ctx, source, sw) if sw > 1 and vl > 1 and ow_n >= vl else None
    cols_split = vector_cols(ow_n, vl, sw == 1 or xd is not None)
    xp = plain_input(ctx, source, wide.x if wide else None, xd, cols_split.scalar_lb < ow_n)
    vec_end = cols_split.vector_ub
    name = StringAttr(conv_name(ctx, op))
    rows = sorted({kh for q in conv.used for kh, _ in taps[q]}) if wide is None else []

    def tap_at(kh: int, kw: int) -> tuple[int | None, int]:
        """(plane, column shift) of a tap in the wide form; (None, dw * kw) otherwise."""
        return (None, dw * kw) if wide is None else wide.tap(dh * kh, dw * kw)

    cols = sorted({tap_at(kh, kw)[1] for q in conv.used for kh, kw in taps[q]})

    def filter_body(n: Index, js: list[Index], row0: Index, row_count: int) -> None:
        """Filters js (one, or a shared group j0 .. j0+G-1): j0's kernel list feeds all."""
        g = len(js)
        os_ = [ctx.load_index(conv.reorder, j) for j in js]
        base = ctx.load_index(conv.offset, js[0])
        # filter j0+f's weights of kernel k are at k + shift[f] (FKW: the lists are equal)
        shift: list[SSAValue | None] = [None] * g
        if conv.weights_by_kernel:
            for f in range(1, g):
                shift[f] = ctx.emit(arith.SubiOp(ctx.load_index(conv.offset, js[f]), base))
        bounds: dict[int, SSAValue] = {}
        for q in conv.used:
            for r in (q, q + 1):
                if r not in bounds:
                    start = ctx.emit(
                        arith.IndexCastOp(ctx.load(conv.stride, [js[0], r]), base.type)
                    )
                    bounds[r] = ctx.emit(arith.AddiOp(base, start))
        bs = [ctx.load(bias, [o]) if bias is not None else ctx.f32(0.0) for o in os_]
        b_vecs = [ctx.broadcast(b, vl) for b in bs] if vec_end > 0 else []

        def row(oh: Index) -> None:
            iy = {kh: ctx.lin(0, (sh, oh), (dh, kh)) for kh in rows}

            def accumulate(ow: Index, accs: list[SSAValue], vector: bool) -> list[SSAValue]:
                ix = {col: ctx.lin(col, (sw, ow)) for col in cols}
                for q in conv.used:

                    def kernel(k: Index, carried: list[SSAValue], q: int = q) -> list[SSAValue]:
                        assert isinstance(k, SSAValue)
                        c = ctx.load_index(conv.index, k)
                        ks = [k if s is None else ctx.emit(arith.AddiOp(k, s)) for s in shift]
                        a = list(carried)
                        for t, (kh, kw) in enumerate(taps[q]):
                            ws = [conv.weight_at(ks[f], os_[f], c, t) for f in range(g)]
                            plane, col = tap_at(kh, kw)
                            at = [n, c, iy[kh] if plane is None else plane, ix[col]]
                            if vector and xd is not None:  # ow*sw + kw*dw = (ow + q)*sw + r
                                shift_w, phase = divmod(kw * dw, sw)
                                at = [n, c, iy[kh], phase, ctx.lin(shift_w, (1, ow))]
                                v = ctx.vload(xd, at, vl)
                            else:
                                v = ctx.vload(xp, at, vl) if vector else ctx.load(xp, at)
                            for f, w in enumerate(ws):
                                a[f] = ctx.fma(v, ctx.broadcast(w, vl) if vector else w, a[f])
                        return a

                    accs = ctx.reduce(bounds[q + 1], accs, kernel, lb=bounds[q], name="k")
                    loop = accs[0].owner
                    assert isinstance(loop, scf.ForOp)  # dynamic bounds: always a loop
                    loop.attributes[CONV_ATTR] = name
                    loop.attributes[PATTERN_ATTR] = DenseArrayBase.from_list(
                        i64, list(conv.patterns[q])
                    )
                return accs

            def vector_body(ow_i: Index) -> None:
                ow0 = cols_split.start(ctx, ow_i)
                for acc, o in zip(accumulate(ow0, b_vecs, True), os_, strict=True):
                    ctx.vstore(_activate(ctx, op, acc), y, [n, o, oh, ow0])

            def scalar_body(ow: Index) -> None:
                for acc, o in zip(accumulate(ow, bs, False), os_, strict=True):
                    ctx.store(_activate(ctx, op, acc), y, [n, o, oh, ow])

            ctx.loop(vec_end, vector_body, step=vl, name="ow")
            if vec_end > vl:
                _mark_last(ctx, "cols", g)
            ctx.loop(ow_n, scalar_body, lb=cols_split.scalar_lb, name="ow")
            if vec_end == 0 and vl == 1 and ow_n - cols_split.scalar_lb > 1:
                _mark_last(ctx, "cols", g)  # a scalar pipeline's only column loop

        ctx.loop(row_count, lambda r: row(ctx.lin(0, (1, row0), (1, r))), name="oh")
        if row_count > 1:
            _mark_last(ctx, "rows", g)

    g = conv.group
    shared_end = o_n - o_n % g if g > 1 else 0  # a shorter last group runs per filter

    def filters(n: Index, row0: Index, row_count: int) -> None:
        def group(j0: Index) -> None:
            filter_body(n, [ctx.lin(f, (1, j0)) for f in range(g)], row0, row_count)

        ctx.loop(shared_end, group, step=g, name="j")
        if shared_end > g:
            _mark_last(ctx, "groups", g)
        ctx.loop(o_n, lambda j: filter_body(n, [j], row0, row_count), lb=shared_end, name="j")
        if o_n - shared_end > 1:
            _mark_last(ctx, "filters")

    rb = own.get("rb", 0)
    auto = row_block(oh_n, source.shape, sh) if ctx.row_blocks else oh_n
    block = auto if rb == 0 else oh_n if rb < 0 else rb
    block = min(block, oh_n)

    def image(n: Index) -> None:
        ctx.blocks(oh_n, block, lambda row0, count: filters(n, row0, count), name="ohb")

    ctx.loop(n_n, image, name="n")
    if wide is not None:  # the valid columns of the wide rows (activation applied)
        wide.crop(ctx, out)


def _own_vector_length(ctx: LoweringContext, op: Operation, vl: int) -> int:
    """A layer's own vector length (`pat.schedule` vl; 0: the pipeline's). It may only
    narrow the pipeline's: a C build's intrinsics and flags are chosen for that width."""
    if vl == 0:
        return ctx.vector_length
    if vl < 0 or vl > ctx.vector_length or ctx.vector_length % vl:
        raise PatccError(
            f"lower-to-loops: {op.name}: its schedule's vector length {vl} does not divide "
            f"the pipeline's {ctx.vector_length}"
        )
    return vl


MIN_VECTOR = 4
"""The narrowest vector every vector target has (a row below it runs in scalar code)."""


def row_vector_length(vector_length: int, ow_n: int) -> int:
    """The vector length of a layer's rows: the pipeline's, halved (down to MIN_VECTOR)
    while it exceeds the row, so a row of 9 elements at 16 lanes runs two overlapping
    8-lane vectors instead of scalar code."""
    vl = vector_length
    while vl > ow_n and vl > MIN_VECTOR and vl % 2 == 0:
        vl //= 2
    return vl


ROW_BLOCK_BYTES = 512 * 1024
"""The input a block of output rows may read (its padded rows over all channels), about
half of this machine's 1 MiB L2 per core: every filter of the layer then reads those rows
from L2. Without blocking, each filter tile swept the whole padded input (6.6 MB for a
112x112x128 layer) through L3, and the large layers ran 2-3x slower than the small ones."""


def row_block(oh_n: int, padded: tuple[int, ...], stride_h: int) -> int:
    """Output rows per block (a multiple of 8, so row tiles of 2, 4 or 8 divide it), or
    all of them when the whole padded input fits ROW_BLOCK_BYTES. A layer's schedule may
    set its own (`rb`: rows per block, -1 all of them): the block loop is the outer one
    and the one parallelize splits across threads when it has enough blocks, else the
    filter loop, so `rb` is the layer's loop order and thread split too."""
    _, c_n, h_n, w_n = padded
    row_bytes = c_n * w_n * 4
    if h_n * row_bytes <= ROW_BLOCK_BYTES:
        return oh_n
    rows_in = ROW_BLOCK_BYTES // row_bytes  # input rows of a block of b outputs: b*sh + 2
    block = max(8, (rows_in - 2) // stride_h // 8 * 8)
    return min(block, oh_n)


def _mark_last(ctx: LoweringContext, role: str, group: int = 1) -> None:
    """Mark the loop just emitted at `ctx.ip` with `pat.loop = role` (and a shared group's
    size, `pat.group`)."""
    ip = ctx.ip
    op = ip.insert_before.prev_op if ip.insert_before is not None else ip.block.last_op
    assert isinstance(op, scf.ForOp), "a loop of more than one trip was just emitted"
    op.attributes[LOOP_ATTR] = StringAttr(role)
    if group > 1:
        op.attributes[GROUP_ATTR] = IntegerAttr(group, i64)


def _group(
    ctx: LoweringContext,
    op: Operation,
    offset: np.ndarray | None,
    index: np.ndarray | None,
    stride: np.ndarray | None,
) -> int:
    """The layer's shared group size (1: per filter; also when the context turns it off, or
    the layer has fewer groups x outputs than `ctx.shared_min_items`)."""
    group = layer_group_size(op, offset, index, stride) if ctx.shared_groups else 1
    if group > 1 and ctx.shared_min_items:
        _, filters, rows, cols = op.results[0].type.get_shape()  # type: ignore[attr-defined]
        if filters // group * rows * cols < ctx.shared_min_items:
            return 1
    return group


def pat_conv_structure(op: PatConv2dOp) -> FKW:
    """The FKW structure (offset, reorder, index, stride) of a `pat.conv2d`, packed from its
    `ids` and `filter_order`; the weights are left zero (they are read in place)."""
    ids = ids_array(op.ids)
    order = get_ints(op.properties, "filter_order") if op.filter_order is not None else None
    zeros = np.zeros((*ids.shape, PATTERN_SIZE), dtype=np.float32)
    return pack_fkw(ids, zeros, op.patterns.patterns, order)


def lower_fkw_conv2d(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """`pat.fkw_conv2d`: the FKW arrays are the operand buffers."""
    assert isinstance(op, FkwConv2dOp)
    x, offset, reorder, index, stride, weight, bias = operands
    assert x is not None and offset is not None and reorder is not None
    assert index is not None and stride is not None and weight is not None
    patterns = op.patterns.patterns

    def weight_at(k: SSAValue, o: SSAValue, c: SSAValue, t: int) -> SSAValue:
        return ctx.load(weight, [k, t])

    structure = [constant_value(v) for v in (op.offset, op.index, op.stride)]
    stationary = None
    st = own_schedule(op).get("st", 0)  # a tuned layer's choice (1: yes, -1: no) over the rule
    if st > 0 or (st == 0 and ctx.input_stationary > 0):  # else no weights read back
        order, values = constant_value(op.reorder), constant_value(op.weight)
        if all(a is not None for a in (*structure, order, values)):
            arrays = channel_major(*structure, order, buffer_shape(x)[1])  # type: ignore[arg-type]
            kernels, filters, start = arrays
            if st > 0 or kernels_per_pair(start) >= ctx.input_stationary:
                # the weights in the nest's order: one stream, not a gather by kernel number
                stationary = (filters, start, np.asarray(values, dtype=np.float32)[kernels])
    conv = PatternConv(
        offset=offset,
        reorder=reorder,
        index=index,
        stride=stride,
        weight_at=weight_at,
        patterns=patterns,
        used=_used_patterns(structure[2], len(patterns)),
        group=_group(ctx, op, *structure),
        stationary=stationary,
    )
    emit_pattern_conv(ctx, op, conv, x, bias, results[0])


def lower_pat_conv2d(
    ctx: LoweringContext,
    op: Operation,
    operands: Sequence[SSAValue | None],
    results: Sequence[SSAValue],
) -> None:
    """`pat.conv2d`: FKW structure packed at compile time from `ids` (and `filter_order`),
    weights read in place from `values[o, c, t]`; the same loop nest as FKW."""
    assert isinstance(op, PatConv2dOp)
    x, values, bias = operands
    assert x is not None and values is not None
    patterns = op.patterns.patterns
    fkw = pat_conv_structure(op)
    arrays = {
        role: ctx.global_constant(dense_i32(getattr(fkw, role)), role)
        for role in ("offset", "reorder", "index", "stride")
    }

    def weight_at(k: SSAValue, o: SSAValue, c: SSAValue, t: int) -> SSAValue:
        return ctx.load(values, [o, c, t])

    conv = PatternConv(
        offset=arrays["offset"],
        reorder=arrays["reorder"],
        index=arrays["index"],
        stride=arrays["stride"],
        weight_at=weight_at,
        patterns=patterns,
        used=_used_patterns(fkw.stride, len(patterns)),
        group=_group(ctx, op, fkw.offset, fkw.index, fkw.stride),
        weights_by_kernel=False,
    )
    emit_pattern_conv(ctx, op, conv, x, bias, results[0])


LOWERINGS: dict[type[Operation], Lowering] = {
    FkwConv2dOp: lower_fkw_conv2d,
    PatConv2dOp: lower_pat_conv2d,
}

# Both apply ctx.apply_epilogue before their stores (after their own fused activation).
EPILOGUE_PRODUCERS: set[type[Operation]] = {FkwConv2dOp, PatConv2dOp}

# Halos (halo.py): the pattern nests store by index only, and pad their input with zeros.
HALO_WRITERS: dict[type[Operation], HaloWriter] = dict.fromkeys(EPILOGUE_PRODUCERS, always)
PADDED_READERS: dict[type[Operation], PaddedReader] = dict.fromkeys(
    EPILOGUE_PRODUCERS, pads_with(0.0)
)


__all__ = [
    "CONV_ATTR",
    "EPILOGUE_PRODUCERS",
    "HALO_WRITERS",
    "LOOP_ATTR",
    "LOWERINGS",
    "PADDED_READERS",
    "PATTERN_ATTR",
    "TILE_ATTR",
    "UNROLL_ATTR",
    "emit_pattern_conv",
    "pat_conv_structure",
]
