"""patcc.lowering.unroll leaves what xDSL's scf.for unroll pattern leaves, op for op.

Random tiled pattern-conv layers (the strategy of test_lower_pattern_conv, random tiles):
the module after `unroll_marked` prints exactly as after xDSL's `UnrollLoopPattern` applied
to the marked loops innermost first (what LRE ran before), and computes the same output.
"""

from __future__ import annotations

import numpy as np
from conftest import applied
from hypothesis import given, settings
from hypothesis import strategies as st
from test_lower_pattern_conv import PACKINGS, _input, _module, layers
from xdsl.dialects import scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.transforms.scf_for_loop_unroll import UnrollLoopPattern

from patcc.lowering.pattern_conv import UNROLL_ATTR
from patcc.lowering.unroll import unroll_marked
from patcc.passes.lower_to_loops import LowerToLoopsPass
from patcc.passes.tile_conv import TileConvPass
from patcc.semantics import run_function


class _XdslUnrollMarked(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, scf.ForOp) and UNROLL_ATTR in op.attributes:
            UnrollLoopPattern().match_and_rewrite(op, rewriter)


@settings(max_examples=15, deadline=None)
@given(
    layer=layers(),
    vl=st.sampled_from([1, 4]),
    tiles=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3)),
)
def test_unroll_marked_is_xdsl_unroll(layer: dict, vl: int, tiles: tuple[int, int, int]) -> None:
    oc, oh, ow = tiles
    tiled = applied(
        _module(layer),
        *PACKINGS["fkr+fkw"],
        LowerToLoopsPass(vector_length=vl),
        TileConvPass(oc=oc, oh=oh, ow=ow),
    )
    ours, xdsl = tiled.clone(), tiled.clone()
    assert unroll_marked(ours.body.block) == _outermost_marked(tiled)
    PatternRewriteWalker(_XdslUnrollMarked(), walk_regions_first=True).rewrite_module(xdsl)
    ours.verify()
    assert str(ours) == str(xdsl)
    assert not any(UNROLL_ATTR in op.attributes for op in ours.walk())
    inputs = _input(layer)
    np.testing.assert_array_equal(run_function(ours, inputs)["y"], run_function(tiled, inputs)["y"])


def _outermost_marked(module: ModuleOp) -> int:
    """Marked loops not nested in another marked loop."""
    count = 0
    for op in module.walk():
        if UNROLL_ATTR in op.attributes:
            parent = op.parent_op()
            while parent is not None and UNROLL_ATTR not in parent.attributes:
                parent = parent.parent_op()
            count += parent is None
    return count
