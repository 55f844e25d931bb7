"""tile-conv: tile the filter, row and column loops of every pattern conv.

`lower-to-loops` marks the reordered-filter loop j, the output-row loop and the vector
output-width loop of each pattern conv with `pat.loop` (filters / rows / cols). This pass
strip-mines each of them by its tile size,

    for x in lb .. ub step s                 for x0 in lb .. m step T*s   {pat.tile = T}
        body(x)                       ->          for t in 0 .. T        {pat.unroll}
                                                      body(x0 + t*s)
                                              for x0 in m .. ub step R*s  (remainder)
                                                  for t in 0 .. R        {pat.unroll}
                                                      body(x0 + t*s)

with m = lb + (trip count // T) * T * s: full tiles run the intra-tile loop of constant trip
count T, and the remainder of R = trips % T (sizes that do not divide) is one smaller tile of
its own, so a 112-wide row at 16 lanes runs 4 + 3 vectors per tile rather than 4 + 1 + 1 + 1
(a single vector carries one accumulator per filter: FMA-latency bound; measured 1.23x on
VGG-16's 112-wide convs, docs/performance.md "Remainder tiles"). A remainder of one trip keeps
the original loop. Where there is one full tile, its intra-tile loop counts from the constant
lb instead of x0, so the unrolled copies' indices are constants (a wide row's clamped vector
starts fold, and LRE sees which of its loads are one). The intra-tile loops have constant
bounds so that xDSL's `scf.for` unroller takes them as they are; they are
marked `pat.unroll` for `eliminate-load-redundancy`, which unrolls and jams them into a
register tile (oc filters x oh rows x ow vectors of accumulators). The tile sizes live on the
loops (`pat.tile`), so a later printer or tuner reads them from the IR; `oc` is best the FKR
group size (`reorder-filters{group-size}`), so a tile of filters is one group.

A tile size of 1 leaves that loop as it is; one larger than the loop's trip count makes the
loop one tile of all its trips. A row block's shorter last block (28 rows in blocks of 8:
4 left) had kept its rows loop rolled, one row of 2 accumulators at a time, each a chain of
4 dependent FMAs per kernel. A rows tile of 0 picks by the vector width of the loop's body
(`auto_rows`): 8 rows at 16 lanes, whose 32 registers (AVX-512) hold 8 x 2 accumulators,
else 4 (16 AVX2 registers).
The rows of a narrow layer that runs at 8 lanes in a 16-lane build are then tiled by 4.
The groups loop of a block-shared nest (`pat.loop = groups`) is not tiled: a group already
is G filters fed by each load. A shared group's rows (`pat.group = G`: a row x vector tile
holds G accumulators per output vector) take SHARED_ROWS // G at any width (2 rows for
G = 4: measured, see SHARED_ROWS), except rows of at least WIDE_ROW outputs: 1 row, whose
vectors tile takes those rows' place along the row (ow x SHARED_ROWS // G vectors: 4 x 1 x 4
instead of 4 x 2 x 2, the same accumulators; `wide_row_vectors`). A cols loop in no rows
loop (a narrow layer's one wide row, `patcc/lowering/wide_rows.py`) takes its rows tile
along the row the same way, at most the whole row: ow x 8 vectors at 16 lanes with auto
rows, so a 7x7 layer's wide row is one tile of its 4 vectors and a 14x14 one of its 14; ow
x oh with a rows tile oh (a tuned layer's schedule).

`min-items` > 0 (the opencl target's schedule, with oc = ow = 1 and oh = 0) picks the
rows tile by the work items a GPU keeps instead (`items_rows`): each work item of the flat
NDRange then computes a column of 4 or 2 output rows, LRE sharing their loads, on layers
large enough to keep `min-items` work items; the column loop is not tiled.

Per-layer schedules: a layer whose top-level ops carry `pat.schedule = {oc, oh, ow, lre}`
(set by the driver from a tuning log, see patcc/tune) is tiled by those sizes instead of the
pass options, and with `lre = 0` its intra-tile loops are not marked `pat.unroll`, so
`eliminate-load-redundancy` leaves that layer's tiles rolled. Layers without it take the
options, so one tuned layer changes nothing else.

Why not xDSL's `scf-parallel-loop-tiling`: it tiles only the innermost `scf.parallel` (our
nests are `scf.for`, the conv's loops carry no parallel semantics yet), and it bounds each
tile with an `affine.min`, so no intra-tile loop has a constant trip count for the unroller
to take and the remainder is not split off. The strip-mining here is those two differences.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, scf, vector
from xdsl.dialects.builtin import (
    IndexType,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    VectorType,
)
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from patcc.errors import PatccError
from patcc.lowering.jam import constant_int, constant_trips
from patcc.lowering.layers import layer_schedule
from patcc.lowering.pattern_conv import LOOP_ATTR, TILE_ATTR, UNROLL_ATTR
from patcc.lowering.shared_groups import GROUP_ATTR


def _const(value: int, ip: InsertPoint) -> SSAValue:
    op = arith.ConstantOp(IntegerAttr(value, IndexType()))
    Rewriter.insert_op(op, ip)
    return op.result


ROLE_KEYS = {"filters": "oc", "rows": "oh", "cols": "ow"}


def strip_mine(loop: scf.ForOp, tile: int, unroll: bool = True) -> bool:
    """Strip-mine `loop` (constant bounds, no iter_args) by `tile`; False if nothing to do.
    `unroll=False` leaves the intra-tile loop unmarked, so LRE keeps it rolled."""
    trips = constant_trips(loop)
    lb, ub, step = (constant_int(v) for v in (loop.lb, loop.ub, loop.step))
    if trips is None or lb is None or ub is None or step is None or loop.iter_args:
        return False
    if tile <= 1 or trips <= 1:
        return False
    tile = min(tile, trips)  # a loop shorter than its tile is one tile of all its trips
    main_end = lb + trips // tile * tile * step
    before = InsertPoint.before(loop)
    zero, one, size = (_const(v, before) for v in (0, 1, tile))
    # intra-tile loop: t in 0..tile, x = x0 + t*step, the original body with x for its iv;
    # in a single tile x0 is the constant lb, so the unrolled copies' indices are constants
    # (LRE then sees the equal addresses of a wide row's vectors)
    outer_block = Block(arg_types=[IndexType()])
    outer_block.args[0].name_hint = (loop.body.block.args[0].name_hint or "x") + "0"
    single = main_end == lb + tile * step
    x0 = _const(lb, before) if single else outer_block.args[0]
    inner_block = Block(arg_types=[IndexType()])
    t = inner_block.args[0]  # unnamed: unrolling names its constants after it
    if step != 1:
        mul = arith.MuliOp(t, _const(step, before))
        inner_block.add_op(mul)
        t = mul.result
    add = arith.AddiOp(x0, t)
    inner_block.add_op(add)
    body = loop.body.block
    if main_end >= ub:  # no remainder: the body moves (cloning it was half of this pass)
        body.args[0].replace_all_uses_with(add.result)
        add.result.name_hint = None  # as the clones had it (the replacement passed the iv's on)
        for op in list(body.ops):
            op.detach()
            inner_block.add_op(op)
    else:  # the original loop runs the remainder
        mapping: dict[SSAValue, SSAValue] = {body.args[0]: add.result}
        for op in body.ops:
            inner_block.add_op(op.clone(mapping))
    inner = scf.ForOp(zero, size, one, [], Region(inner_block))
    if unroll:
        inner.attributes[UNROLL_ATTR] = UnitAttr()
    outer_block.add_ops([inner, scf.YieldOp()])
    start, end, tile_step = (_const(v, before) for v in (lb, main_end, tile * step))
    outer = scf.ForOp(start, end, tile_step, [], Region(outer_block))
    outer.attributes.update(loop.attributes)
    outer.attributes[TILE_ATTR] = IntegerAttr(tile, 64)
    Rewriter.insert_op(outer, before)
    if main_end >= ub:
        Rewriter.erase_op(loop)
        return True
    # the remainder: the original loop from main_end on, itself one tile of its trips
    loop.operands[0] = _const(main_end, before)
    strip_mine(loop, trips % tile, unroll)
    return True


AUTO_ROWS = {16: 8}
"""Rows per tile by vector lanes when the rows tile is 0 (auto); other widths take 4."""
SHARED_ROWS = 8
"""Auto rows x G of a block-shared group's tile, at any width: G = 4 gives 4 x 2 x 2 (with
ow = 2), the fastest of 4x2x2, 4x4x1, 4x1x2, 4x2x1 at 8 lanes (AVX2: 78 vs 91-95 ms on
VGG-16's block-pruned trunk) and within 3 % of the fastest (4x1x2) at 16 lanes
(docs/performance.md, "Block-shared groups")."""


WIDE_ROW = 56
"""Output width from which a shared group's auto tile is 1 row of ow x SHARED_ROWS // G
vectors (4 x 1 x 4) instead of SHARED_ROWS // G rows of ow (4 x 2 x 2): the same
accumulators, laid along the row. Measured per layer inside VGG-16 (block 4 and
pattern-only, 1 and 2 threads, `scripts/layer_profile.py` with the builds in turns;
docs/performance.md, "Wide rows"): 4 x 1 x 4 is 1.14-1.20x / 1.07-1.14x on the 224-wide
conv, 1.07-1.20x / 1.09-1.14x on the 56-wide ones, 1.12-1.20x / 0.94-1.12x on the 112-wide
ones; 1 row of only 2 vectors had been slower there than 2 rows (0.90x at 112, 0.88x at
56). Below 56 (VGG's 28- and 14-wide rows: 2 vectors) the rows stay. Measured at 16
lanes; a narrower build takes the same tiles (16 accumulators either way)."""


WIDE_FILTER_ROWS = 2
"""On rows of WIDE_ROW outputs or more, the per-filter nest's auto tile at 16 lanes lays this
factor of its rows along the row: 4 rows x 4 vectors instead of 8 x 2 (the same 16
accumulators; a 56-wide row is then one tile, its columns constants). Each kernel of a
tile reads 6 input rows instead of 10, so `prefetch-next-kernel` hints fewer lines per
kernel and fewer stay in L1 across the tile. Measured per layer inside the model (1 thread,
`scripts/layer_profile.py`, docs/performance.md "Wider per-filter tiles"): VGG-16 per kernel
56-wide 1.13-1.19x, 112-wide 1.05-1.14x, 224-wide 1.00x; ResNet-50 per kernel's 56x56
pattern convs 1.20-1.23x. Not measured at 8 lanes (4 auto rows there), which keep 4 x 2."""


def row_width(loop: scf.ForOp) -> int:
    """The output elements per row of a rows loop, or of a cols loop itself: the largest
    constant upper bound of the column loops (`pat.loop = cols`, element indices) in it, 0
    if none (a row of one vector has no column loop)."""
    bounds = [
        constant_int(op.ub) or 0
        for op in loop.walk()
        if isinstance(op, scf.ForOp) and op.attributes.get(LOOP_ATTR) == StringAttr("cols")
    ]
    return max(bounds, default=0)


def auto_rows(loop: scf.ForOp) -> int:
    """The rows tile of `loop` by the widest vector its body computes in (`AUTO_ROWS`),
    divided by WIDE_FILTER_ROWS on the per-filter nest's rows of WIDE_ROW outputs or more
    at 16 lanes; for a shared group's loop (`pat.group = G`) SHARED_ROWS // G, at least 1,
    and 1 on rows of WIDE_ROW outputs or more."""
    rows = _shared_rows(loop)
    if rows:
        return 1 if row_width(loop) >= WIDE_ROW else rows
    by_lanes = _rows_by_lanes(loop)
    return by_lanes // _wide_filter_factor(loop, by_lanes)


ITEM_ROWS = (4, 2)
"""The rows tiles `items_rows` tries, largest first."""


def items_rows(loop: scf.ForOp, min_items: int) -> int:
    """A GPU's auto rows tile: the largest of ITEM_ROWS that divides the rows loop's trips
    (a remainder tile would split the NDRange's band) and leaves at least `min_items` work
    items (one per tile: the trips of the loops around it x its rows / R x the row's
    outputs), else 1. A work item of R rows loads each kernel's weights and index once and
    shares the input rows its taps have in common; fewer items than a GPU keeps resident
    leave it idle (docs/benchmarks.md, "Row tiles on the GPU")."""
    trips = constant_trips(loop) or 1
    items = trips * max(1, row_width(loop))
    parent = loop.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        if isinstance(parent, scf.ForOp):
            items *= constant_trips(parent) or 1
        parent = parent.parent_op()
    for rows in ITEM_ROWS:
        if trips % rows == 0 and items // rows >= min_items:
            return rows
    return 1


def _wide_filter_factor(loop: scf.ForOp, by_lanes: int) -> int:
    """WIDE_FILTER_ROWS for a per-filter loop (rows, or cols in rows) of WIDE_ROW outputs or
    more whose rows by lanes (`_rows_by_lanes`) are AUTO_ROWS[16] (8), else 1."""
    wide = by_lanes >= AUTO_ROWS[16] and row_width(loop) >= WIDE_ROW
    return WIDE_FILTER_ROWS if wide else 1


def _rows_by_lanes(loop: scf.ForOp) -> int:
    """`AUTO_ROWS` by the widest vector `loop`'s body computes in."""
    lanes = [
        op.res.type.get_shape()[0]
        for op in loop.walk()
        if isinstance(op, vector.FMAOp) and isinstance(op.res.type, VectorType)
    ]
    return AUTO_ROWS.get(max(lanes, default=1), 4)


def wide_row_vectors(loop: scf.ForOp) -> int:
    """With auto rows, the factor on the vectors tile of a cols loop: on a shared group's
    rows of WIDE_ROW outputs or more, where `auto_rows` takes 1 row, the SHARED_ROWS // G
    rows it takes elsewhere are laid along the row instead, and on the per-filter nest's
    the WIDE_FILTER_ROWS it divides them by; on a cols loop in no rows loop (one wide row,
    `patcc/lowering/wide_rows.py`, or a single output row) the rows `auto_rows` would take;
    1 anywhere else."""
    rows = _shared_rows(loop)
    if not _in_rows_loop(loop):
        return rows or _rows_by_lanes(loop)
    if not rows:
        return _wide_filter_factor(loop, _rows_by_lanes(loop))
    return rows if row_width(loop) >= WIDE_ROW else 1


def _vectors_tile(loop: scf.ForOp, ow: int, oh: int) -> int:
    """The vectors tile of a cols loop with `ow` vectors and rows tile `oh` (0: auto): the
    rows a tile would take lie along the row (`wide_row_vectors` with auto rows, `oh` on a
    loop in no rows loop), at most the whole row (a wide row of 4 vectors: 4)."""
    if oh and _in_rows_loop(loop):
        return ow
    factor = oh or wide_row_vectors(loop)
    return ow if factor <= 1 else min(ow * factor, max(ow, constant_trips(loop) or 0))


def _in_rows_loop(loop: scf.ForOp) -> bool:
    """Whether `loop` lies in an output-rows loop (`pat.loop = rows`) of its conv."""
    parent = loop.parent_op()
    while parent is not None and not isinstance(parent, func.FuncOp):
        if isinstance(parent, scf.ForOp) and parent.attributes.get(LOOP_ATTR) == StringAttr("rows"):
            return True
        parent = parent.parent_op()
    return False


def _shared_rows(loop: scf.ForOp) -> int:
    """SHARED_ROWS // G (at least 1) for a loop of a shared group (`pat.group = G`), else 0."""
    group = loop.attributes.get(GROUP_ATTR)
    return max(1, SHARED_ROWS // group.value.data) if isinstance(group, IntegerAttr) else 0


@dataclass(frozen=True)
class TileConvPass(ModulePass):
    """Tile the pattern convs' filters by `oc`, output rows by `oh` (0: `auto_rows`) and
    output width by `ow` vectors (1 = leave that loop untiled)."""

    name = "tile-conv"

    oc: int = 4
    oh: int = 4
    ow: int = 2
    min_items: int = 0  # > 0: auto rows by the work items left (`items_rows`), for GPUs

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        sizes = {"filters": self.oc, "rows": self.oh, "cols": self.ow}
        if min(sizes.values()) < 1 and not (self.oh == 0 and min(self.oc, self.ow) >= 1):
            raise PatccError(f"tile-conv: tile sizes must be >= 1 (oh: 0 = auto), got {sizes}")
        if self.min_items < 0:
            raise PatccError(f"tile-conv: min-items must be >= 0, got {self.min_items}")
        # one walk: tiling a role's loops neither replaces nor adds the other roles' loops
        # (a remainder clones tiled inner loops, which carry pat.tile)
        roles: dict[str, list[scf.ForOp]] = {role: [] for role in sizes}
        for loop in op.walk():
            if isinstance(loop, scf.ForOp) and TILE_ATTR not in loop.attributes:
                role = loop.attributes.get(LOOP_ATTR)
                if isinstance(role, StringAttr) and role.data in roles:
                    roles[role.data].append(loop)
        for role in ("cols", "rows", "filters"):  # inner first: outer tiles copy tiled bodies
            for loop in roles[role]:
                own = layer_schedule(loop)
                tile = own.get(ROLE_KEYS[role], sizes[role]) or self._auto_rows(loop)
                if role == "cols" and not self.min_items:
                    tile = _vectors_tile(loop, tile, own.get("oh", self.oh))
                strip_mine(loop, tile, unroll=bool(own.get("lre", 1)))

    def _auto_rows(self, loop: scf.ForOp) -> int:
        return items_rows(loop, self.min_items) if self.min_items else auto_rows(loop)
