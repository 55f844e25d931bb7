"""canonicalize-hoisted keeps results and gives the C of xDSL's canonicalize, in fewer walks.

Semantics: random pruned layers through tile-conv and LRE (the strategy of
test_tile_lre), interpreted before and after the pass: bit-identical. Equivalence: small
models of several families through the patdnn pipeline with xDSL's `canonicalize` in its
place print the same x86 C. Speed, structurally: on a 3-deep nest the pass walks the
module twice, xDSL's canonicalize once more per loop level.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import applied
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import PACKINGS, _input, _module, layers
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import IndexType, MemRefType, ModuleOp
from xdsl.ir import Block, Operation, Region
from xdsl.passes import ModulePass, PassPipeline
from xdsl.pattern_rewriter import PatternRewriteWalker
from xdsl.transforms.canonicalize import CanonicalizePass

from patcc.frontend import import_model, make_context
from patcc.models import FAMILIES
from patcc.passes.canonicalize_hoisted import CanonicalizeHoistedPass, hoist_constants
from patcc.passes.eliminate_load_redundancy import EliminateLoadRedundancyPass
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.tile_conv import TileConvPass
from patcc.pipelines import patdnn
from patcc.semantics import run_function
from patcc.targets import emit_for


@settings(max_examples=15, deadline=None)
@given(layer=layers(), vl=st.sampled_from([1, 4, 8]), oh=st.integers(1, 3))
def test_canonicalize_hoisted_keeps_results(layer: dict, vl: int, oh: int) -> None:
    lre = applied(
        _module(layer),
        *PACKINGS["fkr+fkw"],
        LowerToLoopsPass(vector_length=vl),
        TileConvPass(oc=2, oh=oh, ow=2),
        EliminateLoadRedundancyPass(),
    )
    inputs = _input(layer)
    after = applied(lre, CanonicalizeHoistedPass())
    np.testing.assert_array_equal(run_function(after, inputs)["y"], run_function(lre, inputs)["y"])


def _c_source(family: str, canonicalize: ModulePass) -> str:
    module = import_model(FAMILIES[family](), {})
    passes = [
        canonicalize if isinstance(p, CanonicalizeHoistedPass) else p for p in patdnn(4, 2.0).passes
    ]
    emitter = emit_for("x86")
    PassPipeline((*passes, *emitter.passes)).apply(make_context(), module)
    return emitter.emit(module)["model.c"].decode()


@pytest.mark.parametrize("family", ["vgg", "resnet", "yolo"])
def test_same_c_as_xdsl_canonicalize(family: str) -> None:
    hoisted = _c_source(family, CanonicalizeHoistedPass())
    assert "canonicalize-hoisted" not in hoisted  # (the C names no pass)
    assert hoisted == _c_source(family, CanonicalizePass())


def _nest(depth: int) -> ModuleOp:
    """`depth` nested loops; the innermost body stores `iv + (2 + 3)`, its constants inside."""
    lb, ub, step = (arith.ConstantOp.from_int_and_width(v, IndexType()) for v in (0, 4, 1))
    out = Block(arg_types=[MemRefType(IndexType(), [4])])
    inner = Block(arg_types=[IndexType()])
    two, three = (arith.ConstantOp.from_int_and_width(v, IndexType()) for v in (2, 3))
    five = arith.AddiOp(two, three)
    value = arith.AddiOp(inner.args[0], five)
    inner.add_ops([two, three, five, value])
    inner.add_ops([memref.StoreOp.get(value, out.args[0], [inner.args[0]]), scf.YieldOp()])
    loop = scf.ForOp(lb, ub, step, [], inner)
    for _ in range(depth - 1):
        loop = scf.ForOp(lb, ub, step, [], Block([loop, scf.YieldOp()], arg_types=[IndexType()]))
    out.add_ops([lb, ub, step, loop, func.ReturnOp()])
    return ModuleOp([func.FuncOp("f", ([out.args[0].type], []), Region(out))])


def _walks(canonicalize: ModulePass, module: ModuleOp, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times the pass walks the module (fills the rewriter's worklist)."""
    walks: list[object] = []
    original = PatternRewriteWalker._populate_worklist

    def counting(self: PatternRewriteWalker, op: Operation | Region | Block) -> None:
        walks.append(op)
        original(self, op)

    with monkeypatch.context() as m:
        m.setattr(PatternRewriteWalker, "_populate_worklist", counting)
        canonicalize.apply(make_context(), module)
    return len(walks)


def test_two_walks_where_canonicalize_takes_one_per_level(monkeypatch: pytest.MonkeyPatch) -> None:
    hoisted, plain = _nest(3), _nest(3)
    assert _walks(CanonicalizeHoistedPass(), hoisted, monkeypatch) == 2
    assert _walks(CanonicalizePass(), plain, monkeypatch) > 3
    for module in (hoisted, plain):  # both: every constant out of the nest
        loops = [op for op in module.walk() if isinstance(op, scf.ForOp)]
        assert not any(isinstance(op, arith.ConstantOp) for f in loops for op in f.body.ops)
    assert not hoist_constants(hoisted.body.block)  # nothing left to move
