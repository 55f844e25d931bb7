"""The xDSL `Target` `opencl` (`xdsl-opt -t opencl`) and the build files of an OpenCL model:
model.cl (the kernels), weights.bin and model.json with the launch plan the runtime reads.

`OPENCL_PASSES` are the target passes after lower-to-loops: the buffer plan, the NDRange
choice and the weight layout (no `parallelize`: its OpenMP threads have no meaning here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any, ClassVar

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.target import Target

from patcc.passes.split_gemm import SKIP_MIN_BYTES
from patcc.targets.emit import EmittedModel, Emitter, metadata
from patcc.targets.opencl_module import TARGET, print_opencl
from patcc.targets.weights import Blob, weights_pieces

DEFAULT_VECTOR_LENGTH = 1  # scalar: one output per work item, neighbours on neighbouring columns
LOCAL_SIZE = 128  # work items per group of the flat NDRanges: 4 warps of 32 lanes
COARSEN = 8  # ids per work item of the loop-free kernels (padding, copies, elementwise)
OPENCL_TILES = (1, 0, 1)
"""tile-conv's (oc, oh, ow) for the opencl target (`OpenCLEmitter.schedule`): one filter, one
output column, rows by the work items left; `patcc tune --target opencl` searches them."""
BUILD_OPTIONS = ("-cl-std=CL1.2",)  # no fast-math: results stay comparable with the CPU


@dataclass(frozen=True)
class OpenCLTarget(Target):
    """A loop-level module (after plan-buffers, map-to-ndrange, layout-weights) as OpenCL
    C kernels, one per top-level loop nest."""

    name: ClassVar[str] = TARGET

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(print_opencl(module).source)


def opencl_passes() -> list[ModulePass]:
    from patcc.passes.layout_weights import LayoutWeightsPass
    from patcc.passes.map_to_ndrange import MapToNDRangePass
    from patcc.passes.plan_buffers import PlanBuffersPass

    ndrange = MapToNDRangePass(max_dims=1, collapse=True, local_size=LOCAL_SIZE, coarsen=COARSEN)
    return [PlanBuffersPass(), ndrange, LayoutWeightsPass()]


def emit_opencl(module: ModuleOp) -> EmittedModel:
    """model.cl, weights.bin and model.json of a module the target passes have run on."""
    program = print_opencl(module)
    meta = metadata(module, TARGET)
    meta.update(source="model.cl", build_options=list(BUILD_OPTIONS), launch=program.launch)
    files: dict[str, bytes | Blob] = {
        "model.cl": program.source.encode(),
        "weights.bin": weights_pieces(module),
        "model.json": (json.dumps(meta, indent=1) + "\n").encode(),
    }
    return EmittedModel(files, meta, ())


SHARED_MIN_ITEMS = 1 << 17
"""Group outputs (work items) from which a layer runs block-shared on the GPU. VGG-16 block 4
on an H200 (docs/benchmarks.md): shared, the 224- to 56-wide layers (200k-800k items) ran
1.3-1.7x faster (loads shared by 4 filters) and the 28- and 14-wide ones (100k and 25k
items) 1.1-1.9x slower (too few work items: an H200 keeps ~270k threads resident)."""


ROW_TILE_MIN_ITEMS = 1 << 16
"""Work items a layer keeps when its work items take 4 or 2 output rows each (`tile-conv`'s
`min-items`). VGG-16 per kernel on an H200 (docs/benchmarks.md, "Row tiles on the GPU"): 4
rows ran the 224- to 56-wide convs 1.5-1.9x faster than one output per work item
(200k-800k work items left), the 28-wide ones 1.3x (86k in the CPU's blocks of 8 rows;
1.3x more with all rows in one block, 100k); the 14-wide ones (100k outputs) had run
1.15x slower with 2 rows (50k), and a block-shared 56-wide layer ran 1.3x faster with 2
(100k). 2^17 instead: 1.02-1.07x slower in all."""


@dataclass(frozen=True)
class OpenCLEmitter(Emitter):
    """The driver's view of the opencl target (see `patcc.targets.emit.Emitter`)."""

    @property
    def cflags(self) -> tuple[str, ...]:
        return ()

    @property
    def graph_passes(self) -> list[ModulePass]:
        from patcc.passes.dense_conv_patterns import DenseConvAsPatternsPass
        from patcc.passes.split_gemm import SplitKGemmPass

        return [DenseConvAsPatternsPass(), SplitKGemmPass(skip_min_bytes=SKIP_MIN_BYTES)]

    @property
    def schedule(self) -> dict[str, Any]:
        """Small register tiles: a GPU wants many small work items (see map-to-ndrange),
        not the few long ones of a CPU core's schedule, so a work item is one output, or
        a column of 4 or 2 output rows where a layer keeps ROW_TILE_MIN_ITEMS work items
        with them (`tile_conv.items_rows`); LRE shares the rows' loads. Block-shared groups
        (G outputs per work item, each loaded input feeding G filters) only on layers with
        at least SHARED_MIN_ITEMS group outputs. No row blocks (a CPU core's L2 rule):
        a conv's rows are one NDRange, not a main and a remainder kernel, and tile by 4
        throughout (VGG-16's 28-wide convs 1.3x faster). No halos (a padded consumer
        copies its input, as a kernel of its own): they print and run, but on an H200
        they made VGG-16's kernels slower, 1.17-1.18 against 1.08 ms per kernel and 1.12
        against 1.02 block 4 (the border fill four small kernels a layer, and each max
        pool, storing into its consumer's padded interior, 3-4x slower;
        docs/benchmarks.md); instead each padded input is copied in one kernel, each
        element the input's or the border value (`pads_in_one_nest`: 0.99 -> 0.94 ms of
        kernels per kernel pruning, 0.96 -> 0.90 block 4, against a fill and a copy). Pools
        an output a work item (`pool_rows=False`), not a row buffer per channel."""
        from patcc.pipelines import Tiles

        return {
            "tiles": Tiles(*OPENCL_TILES, min_items=ROW_TILE_MIN_ITEMS),
            "lre": True,
            "shared_groups": True,
            "shared_min_items": SHARED_MIN_ITEMS,
            "row_blocks": False,
            "halos": False,
            "pads_in_one_nest": True,
            "pool_rows": False,
        }

    def emit(self, module: ModuleOp) -> EmittedModel:
        return emit_opencl(module)


def opencl_emitter(vector_length: int | None = None) -> OpenCLEmitter:
    return OpenCLEmitter(TARGET, None, vector_length or DEFAULT_VECTOR_LENGTH, opencl_passes())
