"""prefetch-next-kernel adds hints only, and the right ones.

Random small pruned layers (test_lower_pattern_conv's strategy; per-filter and block-shared
groups), random tiles and vector lengths, lowered to loops with tiling and LRE as the C
targets build them: after the pass the interpreter's output is bit-identical (a prefetch
changes no value). And, with the interpreter's prefetch, vector.load and `index[k]` load
recorded, every input element a hinted kernel loop reads for kernel k lies on a line that
the latest iteration that prefetched for kernel k hinted, whatever the buffer's
alignment (the lines are taken at all 16 offsets of a 64-byte line of floats); every
kernel loop is hinted but the block-shared nest's in column tiles, and with `column-tiles`
those too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import applied, run_recorded
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import HAND_LAYER, _input, _module, _with_schedule, layers
from test_shared_groups import block_layers
from xdsl.dialects import arith, memref, scf, vector
from xdsl.interpreter import Interpreter, InterpreterFunctions, PythonValues, impl, register_impls
from xdsl.interpreters.memref import MemRefFunctions
from xdsl.ir import Operation
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination

from patcc.dialects.pat.prefetch import PrefetchOp
from patcc.errors import PatccError
from patcc.lowering.pattern_conv import CONV_ATTR
from patcc.passes.canonicalize_hoisted import CanonicalizeHoistedPass
from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.pack_fkw import PackFkwPass
from patcc.passes.prefetch_next_kernel import (
    SHARED_FMAS_PER_LOAD,
    PrefetchNextKernelPass,
    line_offsets,
)
from patcc.passes.reorder_filters import ReorderFiltersPass
from patcc.passes.tile_conv import TileConvPass
from patcc.semantics import run_function
from patcc.semantics.loops import LoopFunctions
from patcc.tune.space import Schedule

LINE = 16  # floats per 64-byte line


def _kernel_loops(module: Any) -> list[scf.ForOp]:
    return [op for op in module.walk() if isinstance(op, scf.ForOp) and CONV_ATTR in op.attributes]


def _iteration_load(loop: scf.ForOp) -> memref.LoadOp | None:
    """The body's `index[k]` load (the first load indexed by the induction variable)."""
    k = loop.body.block.args[0]
    loads = [o for o in loop.body.block.ops if isinstance(o, memref.LoadOp)]
    return next((o for o in loads if tuple(o.indices) == (k,)), None)


def _input_loads(loop: scf.ForOp) -> list[vector.LoadOp]:
    """vector.loads whose indices use the channel read from `index[k]`."""
    first = _iteration_load(loop)
    if first is None:
        return []
    channels = {
        u.operation.results[0] for u in first.res.uses if isinstance(u.operation, arith.IndexCastOp)
    }
    return [
        o
        for o in loop.body.block.ops
        if isinstance(o, vector.LoadOp) and any(i in channels for i in o.indices)
    ]


@register_impls
class _Recorder(InterpreterFunctions):
    """Logs, in order, ("run",) as a hinted kernel loop starts (the same loop runs again for
    each tile and filter, at other rows and columns), ("iter", k) at its `index[k]` load,
    ("next", j) at the pass's `index[j]` load, ("pf", buffer, offset) and ("ld", buffer,
    offset, n) at its input loads, then does what the interpreter does."""

    def __init__(
        self, loops: set[Operation], kinds: dict[Operation, str], inputs: set[Operation]
    ) -> None:
        self.hinted, self.kinds, self.inputs = loops, kinds, inputs
        self.log: list[tuple[Any, ...]] = []
        self.loops = LoopFunctions()

    @impl(scf.ForOp)
    def run_for(self, interpreter: Interpreter, op: scf.ForOp, args: PythonValues):
        if op in self.hinted:
            self.log.append(("run",))
        return LoopFunctions.run_for(self.loops, interpreter, op, args).values

    @impl(memref.LoadOp)
    def run_load(self, interpreter: Interpreter, op: memref.LoadOp, args: PythonValues):
        if op in self.kinds:
            self.log.append((self.kinds[op], args[1]))
        return MemRefFunctions.run_load(self.loops, interpreter, op, args).values

    @impl(PrefetchOp)
    def run_prefetch(self, interpreter: Interpreter, op: PrefetchOp, args: PythonValues):
        mem, *indices = args
        self.log.append(("pf", id(mem), mem.offset(tuple(indices))))
        return ()

    @impl(vector.LoadOp)
    def run_vector_load(self, interpreter: Interpreter, op: vector.LoadOp, args: PythonValues):
        if op in self.inputs:
            mem, *indices = args
            n = op.result.type.get_shape()[0]
            self.log.append(("ld", id(mem), mem.offset(tuple(indices)), n))
        return LoopFunctions.run_vector_load(self.loops, interpreter, op, args).values


def _record(module: Any, inputs: dict[str, np.ndarray]) -> tuple[list[tuple[Any, ...]], Any]:
    loops = [
        loop
        for loop in _kernel_loops(module)
        if any(isinstance(o, PrefetchOp) for o in loop.body.block.ops)
    ]
    kinds: dict[Operation, str] = {}
    for loop in loops:
        first = _iteration_load(loop)
        assert first is not None
        for op in loop.body.block.ops:
            if isinstance(op, memref.LoadOp) and op.memref is first.memref:
                kinds[op] = "iter" if op is first else "next"
    input_loads = {ld for loop in loops for ld in _input_loads(loop)}
    recorder = _Recorder(set(loops), kinds, input_loads)
    return recorder.log, run_recorded(module, inputs, recorder)["y"]


def _uncovered(log: list[tuple[Any, ...]]) -> tuple[list[str], int]:
    """Loads of kernel k outside the lines the latest iteration that prefetched for kernel k
    hinted, at some alignment, where that iteration was of the same run of the loop (none
    was: a run's first `distance` kernels, hinted by the run before, whose pattern's taps,
    tile or filter differ); and how many loads were checked."""
    current: list[tuple[int, int]] = []
    for_kernel: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    k, run = -1, -1
    problems, checked = [], 0
    for event in log:
        if event[0] == "run":
            run += 1
        elif event[0] == "iter":
            k, current = event[1], []
        elif event[0] == "next":
            for_kernel[event[1]] = (run, current)
        elif event[0] == "pf":
            current.append((event[1], event[2]))
        else:
            by, earlier = for_kernel.get(k, (-1, []))
            if by != run:
                continue
            _, buf, offset, n = event
            checked += 1
            for shift in range(LINE):
                have = {(b, (p + shift) // LINE) for b, p in earlier}
                need = {(buf, (p + shift) // LINE) for p in range(offset, offset + n)}
                if not need <= have:
                    problems.append(f"k={k} offset {offset}+{n} shift {shift}")
                    break
    return problems, checked


def _hinted_ahead(log: list[tuple[Any, ...]]) -> bool:
    """Whether a run of a loop ran a kernel it had hinted in an earlier iteration."""
    hinted: set[int] = set()
    k = -1
    for event in log:
        if event[0] == "run":
            hinted = set()
        elif event[0] == "iter":
            k = event[1]
            if k in hinted:
                return True
        elif event[0] == "next" and event[1] != k:
            hinted.add(event[1])
    return False


def _loops(
    layer: dict, vl: int, tiles: tuple[int, int], shared: bool, pf: int | None = None
) -> Any:
    """The layer lowered and tiled as the C targets build it; with `pf`, its conv carries a
    tuned schedule of those tiles and that `pf` (as the driver sets one)."""
    packed = applied(
        _module(layer), ReorderFiltersPass(group_size=layer.get("g", 2)), PackFkwPass()
    )
    oh, ow = tiles
    if pf is not None:
        packed = _with_schedule(packed, Schedule(layer.get("g", 2), oh, ow, pf=pf))
    return applied(
        packed,
        LowerToLoopsPass(vector_length=vl, shared_groups=shared),
        TileConvPass(oc=layer.get("g", 2), oh=oh, ow=ow),
        EliminateLoadRedundancyPass(),
        CanonicalizeHoistedPass(),
        CommonSubexpressionElimination(),
    )


_IDS = np.array([[-1, 0], [-1, 0], [-1, 0], [0, 0], [0, 0]], np.int8)
SINGLE_PATTERN = {  # a hypothesis find: one pattern, so every filter's run is one loop
    **HAND_LAYER,
    "o": 5,
    "c": 2,
    "hw": (6, 6),
    "patterns": [(0, 1, 2, 4)],
    "ids": _IDS,
    "values": (np.arange(40, dtype=np.float32).reshape(5, 2, 4) / 7 - 2) * (_IDS >= 0)[..., None],
    "pads": [0, 0, 0, 1],
    "seed": 1,
    "g": 3,
}


@settings(max_examples=25, deadline=None)
@example(layer=SINGLE_PATTERN, vl=4, tiles=(0, 1), distance=1, column_tiles=False)
@given(
    layer=st.one_of(layers(), block_layers()),
    vl=st.sampled_from([4, 8, 16]),
    tiles=st.tuples(st.integers(0, 3), st.integers(1, 3)),
    distance=st.integers(1, 3),
    column_tiles=st.booleans(),
)
def test_prefetches_keep_results_and_cover_the_next_kernels_loads(
    layer: dict, vl: int, tiles: tuple[int, int], distance: int, column_tiles: bool
) -> None:
    loops = _loops(layer, vl, tiles, shared=True)
    inputs = _input(layer)
    want = run_function(loops, inputs)["y"]
    hinted = applied(loops, PrefetchNextKernelPass(distance=distance, column_tiles=column_tiles))
    log, got = _record(hinted, inputs)
    np.testing.assert_array_equal(got, want)
    problems, checked = _uncovered(log)
    assert problems == []
    assert checked > 0 or not _hinted_ahead(log)  # a run of 2+ kernels: loads hinted ahead
    for loop in _kernel_loops(hinted):  # hinted: every loop with loads of the channel,
        hints = [o for o in loop.body.block.ops if isinstance(o, PrefetchOp)]  # but the
        fmas = sum(isinstance(o, vector.FMAOp) for o in loop.body.block.ops)  # shared
        loads = _input_loads(loop)  # nest's column tiles without column-tiles
        shared = fmas >= SHARED_FMAS_PER_LOAD * len(loads)
        if column_tiles or not shared:
            assert bool(hints) == bool(loads), (fmas, len(loads))


def test_a_row_in_one_tile_gets_a_hint_per_line_of_each_tap_row() -> None:
    """VGG-16's 56-wide layers at 16 lanes: 4 vectors cover the row (the last one at column
    40), taps read columns +0..+2, so each of the 3 tap rows spans columns 0..57 of the
    padded row: 5 hints per row (0, 16, 32, 48 and the end, 57)."""
    assert line_offsets(0, 57, LINE) == [0, 16, 32, 48, 57]
    assert line_offsets(3, 3, LINE) == [3]


def test_shared_column_tiles_are_left_to_the_hardware_by_default() -> None:
    """A 12-wide block-shared layer at 4 lanes in tiles of 1 vector: the columns are the
    tile's, so only `column_tiles` adds hints; with 3 vectors per tile (the whole row) they
    are constants. The per-filter nest of the same layer (one FMA per load) gets them
    either way."""
    layer = _small_layer()
    cases = ((1, False, True, False), (1, True, True, True), (3, False, True, True))
    per_filter = ((1, False, False, True), (3, False, False, True))
    for ow, column_tiles, shared, expect in (*cases, *per_filter):
        loops = _loops(layer, 4, (1, ow), shared=shared)
        hinted = applied(loops, PrefetchNextKernelPass(column_tiles=column_tiles))
        got = any(isinstance(o, PrefetchOp) for o in hinted.walk())
        assert got == expect, (ow, column_tiles, shared)


def test_a_layer_schedule_sets_its_own_hints() -> None:
    """A tuned layer's `pf` wins over the rules: 1 hints every kernel loop (the shared nest's
    column tiles too), -1 none; with `rules=false` (hosts where the hints were not measured)
    only a layer with pf = 1 gets them. The 12-wide shared layer in tiles of 1 vector, whose
    column tiles the rules leave alone, and in tiles of 3 (whole rows), which they hint."""
    layer = _small_layer()
    cases = [  # ow, pf, rules, expect
        (1, 1, True, True),
        (1, 0, True, False),
        (3, -1, True, False),
        (3, 0, True, True),
        (3, 0, False, False),
        (1, 1, False, True),
    ]
    for ow, pf, rules, expect in cases:
        loops = _loops(layer, 4, (1, ow), shared=True, pf=pf)
        hinted = applied(loops, PrefetchNextKernelPass(rules=rules))
        got = any(isinstance(o, PrefetchOp) for o in hinted.walk())
        assert got == expect, (ow, pf, rules)


def _small_layer() -> dict:
    """2 filters x 2 channels, 6 x 12, every kernel kept, both filters with the same
    patterns per channel (one block-shared group of 2)."""
    ids = np.array([[0, 1], [0, 1]], np.int8)
    values = np.arange(16, dtype=np.float32).reshape(2, 2, 4)
    return {**HAND_LAYER, "hw": (6, 12), "ids": ids, "values": values, "g": 2}


def test_distance_must_be_positive() -> None:
    layer = _small_layer()
    with pytest.raises(PatccError, match="distance must be at least 1, got 0"):
        applied(_loops(layer, 4, (1, 1), shared=False), PrefetchNextKernelPass(distance=0))
