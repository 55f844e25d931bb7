"""From a loop-level module to the files of a build: model.c, weights.bin, model.json.

`prepare_pipeline` gives the target passes the driver runs after lower-to-loops (buffer
plan, parallel loops, weight layout); `emit` prints what those passes decided. `emit_for`
bundles both with the compile flags, for the driver.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, VectorType
from xdsl.passes import ModulePass

from patcc.errors import PatccError
from patcc.targets.attrs import THREADS_ATTR, UNPLANNED_BYTES_ATTR, WORKSPACE_BYTES_ATTR
from patcc.targets.c_module import main_function, signature
from patcc.targets.c_targets import C_TARGETS
from patcc.targets.weights import Blob, weights_pieces

# the driver's target families -> the xDSL target that prints them
FAMILY_TARGETS = {"x86": "x86-c", "neon": "neon-c", "opencl": "opencl"}
DEFAULT_VECTOR_LENGTH = {"x86-c": 8, "neon-c": 4}  # what every x86-64 / armv8-a CPU has


def _cpuinfo_field(cpuinfo: str, key: str) -> str:
    """The value of /proc/cpuinfo's first `key` line ("" without one)."""
    line = next((ln for ln in cpuinfo.splitlines() if ln.startswith(key)), "")
    return line.split(":", 1)[-1].strip()


def cpu_flags(cpuinfo: str) -> frozenset[str]:
    """The ISA flags of /proc/cpuinfo's text (its first `flags` line)."""
    return frozenset(_cpuinfo_field(cpuinfo, "flags").split())


def cpu_vendor(cpuinfo: str) -> str:
    """The `vendor_id` of /proc/cpuinfo's text ("" when it has none, as on Arm)."""
    return _cpuinfo_field(cpuinfo, "vendor_id")


@functools.cache
def _host_cpuinfo() -> str:
    """This machine's /proc/cpuinfo (Linux; "" elsewhere), read once per process."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def host_cpu_flags() -> frozenset[str]:
    """This machine's ISA flags (none where /proc/cpuinfo is missing)."""
    return cpu_flags(_host_cpuinfo())


def host_cpu_vendor() -> str:
    """This machine's CPU vendor id ("" where /proc/cpuinfo is missing or has none)."""
    return cpu_vendor(_host_cpuinfo())


def x86_host_vendor(target: str) -> str:
    """The host's CPU vendor for an x86 build (which runs where it is compiled), "" for the
    other targets: the host rules below are x86 measurements."""
    return host_cpu_vendor() if target_name(target) == "x86-c" else ""


SKIP_ZERO_INPUTS: dict[str, dict[str, int]] = {
    "GenuineIntel": {"group": 1, "streams": 4, "block": 128},
    "AuthenticAMD": {"streams": 4, "block": 128, "map_group": 1},
}
"""skip-zero-inputs' options per x86 vendor (else the pass's own: groups of 8, one stream,
blocks of up to 512 outputs), measured (docs/performance.md). `group`, how many consecutive
zero inputs a classifier layer skips at once, is a matter of the hardware prefetcher
("Classifier layers: a test per input on the Xeon"): on the AMD EPYC (Zen 4) single skipped
2 KB runs broke the weight stream (VGG-16's second classifier layer, 50 % zeros: 4.6 ms per
input vs 3.2 in groups of 8), on the Intel Xeon they do not (1.66 vs 2.61 ms; whole VGG-16
block 4 1.065x with a test per input). `streams` and `block` ("FC1 in four streams"): one
core reading 4 blocks of weights in lockstep, then blocks of 128 outputs instead of 512
(so 4 runs of 512 B per input, and 8 groups of blocks for the threads on VGG-16's first
layer, not 2): its first classifier layer 1.15x / 1.10x on one / two threads with 4
streams, then 1.21x / 1.15x more with blocks of 128; blocks of 64 and 8 streams lost. On
the AMD EPYC the same 4 streams of 128 (groups of 8 kept): VGG-16 block 4 1.02-1.11x on
one thread, 1.00-1.05x on two; 4 streams of 512 lost (0.89x), 2 streams or blocks of 256
or 64 gained less. There `map_group` 1 (a test per input where the input is a flattened
feature map, whose zeros are dead channels, runs of H x W): VGG-16's first classifier
layer 1.03-1.11x on one thread, 1.11-1.12x on two; a test per input in every layer lost
on the other two (0.70-0.98x; "Dead channels one input at a time"). Not measured on Arm
cores."""


PREFETCH_VENDORS = frozenset({"GenuineIntel"})
"""x86 vendors whose builds hint by prefetch-next-kernel's rules by default: measured on the
Intel Xeon (VGG-16 1.09-1.15x with the classifier rule above, docs/performance.md); the AMD
EPYC's pattern convs ran at 81-93 % of its peak without hints, and with them VGG-16
block 4 ran 1.02x on one thread and 0.98-1.01x on two (the convs up to 1.06x, the
classifier up to 0.87x: noise-sized, not taken); Arm cores were not measured. So there
(and on the neon target) only layers whose tuned schedule asks for hints (`pf = 1`, which
`patcc tune` searches) get them."""


def default_prefetch(target: str) -> bool:
    """Whether the C targets' pipeline hints by prefetch-next-kernel's rules on this host."""
    return x86_host_vendor(target) in PREFETCH_VENDORS


GEMM_FILTERS = {"GenuineIntel": 8}
"""Filters per register tile of the 1x1 GEMMs whose packed panel outgrows L1 (lower-to-loops'
`gemm_filters`, `pointwise.PANEL_L1_BYTES`) per x86 vendor, at 16 lanes (8 x 3 vectors = 24
accumulators of AVX-512's 32 registers); else the lowering's own 4. Measured on the Intel
Xeon (ResNet-50's nine 1x1 convs alone, 1 thread, `scripts/resnet_epilogue_ab.py tiles
4x3,8x3,6x4 --repeat 60`): 8 x 3 1.07-1.16x 4 x 3 on those with C >= 256, 0.97-1.0x on the
others (the 7x7 images keep their 6 x 4 tile); on the AMD EPYC no tile beat 4 x 3 at 14x14
and up (docs/performance.md)."""


INPUT_STATIONARY: dict[str, tuple[int, int, int]] = {
    "AuthenticAMD": (2, 0, 0),
    "GenuineIntel": (2, 0, 32 * 1024),
}
"""Per x86 vendor: kept kernels per (channel, pattern) pair from which the pattern convs run
input-stationary (lower-to-loops' `input_stationary`, `patcc/lowering/input_stationary.py`),
the bytes of filter tiles one input channel may feed (`input_stationary_bytes`, 0: any
rows), and of a block of filters whose tiles the channels are swept for at a time
(`input_stationary_filter_bytes`, 0: all filters at once); other x86 vendors take Intel's.
Measured with old and new builds in turns (docs/performance.md, "Input-stationary tiles"
and "Taller input-stationary tiles"):
- AMD EPYC (Zen 4): with tiles of 7-8 rows the per-kernel VGG-16's 64- and 128-channel
  layers (2.5 and 4.5 kernels a pair) run 1.14-1.25x faster than the per-filter nest,
  ResNet-50's 56x56 ones (2.2) 1.15x (with 2-row tiles they had lost: 0.94-1.03x at 4.5);
  every other layer 1.04-1.24x with 7-8 rows against 2.
- Intel Xeon (Sapphire Rapids): 7-8 rows gain where a channel's filter tiles stay near L1
  (per kernel: 1.03-1.54x) and lost where they did not (pattern-only 256 and 512 channels,
  114-229 KB: 0.79-0.94x), so the tiles were bounded to 64 KB (2-4 rows there) until the
  filter blocks below came: with blocks of 32 KB the pattern-only 28-wide layers run
  1.19-1.30x faster at 7 rows than at 2, the model 1.05x / 1.08x on one / two threads, and
  the per-kernel builds do not change (docs/performance.md, "Filter blocks with taller
  tiles"). The threshold was 6 while the per-filter nest led below it (VGG-16's 64 -> 64
  layer at 2.5 a pair 0.72x input-stationary); since the nest prefetches the next
  channel's rows the per-kernel 64- and 128-channel layers run 1.10-1.61x faster
  input-stationary (docs/performance.md, "The Xeon's wide layers
  input-stationary"). Blocks of filters whose tiles fit 32 KB (where they keep 6 kernels a
  pair): pattern-only VGG-16 1.03-1.16x, its 112- and 56-wide layers 1.06-1.31x ("Filter
  blocks in the input-stationary nest"); on the EPYC 0.99x, so none there.
The neon target keeps the per-filter nest: not measured on Arm."""


def default_input_stationary(target: str) -> tuple[int, int, int]:
    """INPUT_STATIONARY's (threshold, tile bytes, filter-block bytes) for an x86 build on this
    host, else zeros."""
    if target_name(target) != "x86-c":
        return 0, 0, 0
    return INPUT_STATIONARY.get(x86_host_vendor(target), INPUT_STATIONARY["GenuineIntel"])


def default_gemm_filters(target: str, vector_length: int) -> int | None:
    """The 1x1 GEMMs' filters per tile on this host (GEMM_FILTERS, 16 lanes), else None."""
    return GEMM_FILTERS.get(x86_host_vendor(target)) if vector_length >= 16 else None


def default_skip_options(target: str) -> tuple[tuple[str, int], ...]:
    """skip-zero-inputs' options for the C targets on this host: SKIP_ZERO_INPUTS' for its
    vendor, else none (the pass's own)."""
    return tuple(sorted(SKIP_ZERO_INPUTS.get(x86_host_vendor(target), {}).items()))


def vector_lengths(target: str) -> tuple[int, ...]:
    """The vector lengths a target prints: 1 (scalar loops) and its vector types' widths."""
    if target == "opencl":
        from patcc.targets.opencl_isa import OPENCL_ISAS

        return (1, *sorted(OPENCL_ISAS))
    return (1, *sorted(C_TARGETS[target_name(target)].isas))


def check_vector_length(target: str, vector_length: int | None) -> None:
    """A one-line error for a width the target has no vector type for, before the pipeline
    runs (the printer would find it only at the end, as an unsupported `vector<3xf32>`)."""
    lengths = vector_lengths(target)
    if vector_length is not None and vector_length not in lengths:
        have = ", ".join(str(n) for n in lengths)
        raise PatccError(f"vector length {vector_length}: the {target} target prints {have}")


def default_vector_length(target: str) -> int:
    """The vector length a build gets without `vector_length`: x86 builds run on the machine
    that compiles them (the runtime loads them there), so like `-march=native` they take its
    widest vectors: 16 floats with AVX-512, whose 32 registers hold 8 x 2 register tiles of
    the pattern convs (~20 % faster on VGG-16 than 8 floats, docs/performance.md); else 8."""
    if target == "opencl":  # scalar work items (patcc/targets/opencl_target.py)
        from patcc.targets.opencl_target import DEFAULT_VECTOR_LENGTH as OPENCL_LENGTH

        return OPENCL_LENGTH
    name = target_name(target)
    if name == "x86-c" and not missing_isa(CFLAGS["x86-c-avx512"], host_cpu_flags()):
        return 16
    return DEFAULT_VECTOR_LENGTH[name]


C_TILES = (1, 0, 2)
"""tile-conv's (oc, oh, ow) for the C targets: one filter per tile, rows by vector width (8 at
16 lanes, else 4), 2 vectors. The pipeline's own default tiles a whole FKR group of 4
filters, for filter-level LRE; but at 8x only ~10 % of a group's kernels share their
(channel, pattern) (docs/lre.md), so the 4 filters of a tile share nothing and their
unrolled copies only multiply the code: VGG-16 8x at 16 lanes compiles in 7.2 s instead of
16.9 s (import to C) and runs as fast (120.5 vs 123.6 ms on 1 thread, 73.3 vs 74.3 on 2;
interleaved, within noise). `patcc tune` searches oc per layer."""

# compile flags of the generated C, per build (the runtime adds -fopenmp, -fPIC, ...)
CFLAGS: dict[str, tuple[str, ...]] = {
    "x86-c": ("-O3", "-mavx2", "-mfma"),
    "x86-c-avx512": ("-O3", "-mavx2", "-mfma", "-mavx512f", "-mavx512vl"),
    "neon-c": ("-O3",),  # aarch64-linux-gnu-gcc (NEON is part of armv8-a)
    "neon-c-simde": ("-O3", "-DPATCC_SIMDE", "-march=native"),  # NEON source on x86
    "neon-c-aarch64": ("-O3", "-static"),
}


ISA_OF_FLAG = {"-mavx2": "avx2", "-mfma": "fma", "-mavx512f": "avx512f", "-mavx512vl": "avx512vl"}
"""The x86 cflags that ask for an instruction set, and the /proc/cpuinfo flag of each."""


def missing_isa(cflags: Iterable[str], have: frozenset[str]) -> list[str]:
    """The cflags whose instruction set is not among the CPU flags `have`."""
    return [f for f in cflags if f in ISA_OF_FLAG and ISA_OF_FLAG[f] not in have]


def target_name(target: str) -> str:
    name = FAMILY_TARGETS.get(target, target)
    if name not in C_TARGETS:
        known = ", ".join([*FAMILY_TARGETS, *C_TARGETS])
        raise PatccError(f"unknown C target '{target}' (known: {known})")
    return name


def cflags_for(target: str, vector_length: int) -> tuple[str, ...]:
    name = target_name(target)
    if name == "x86-c" and vector_length == 16:
        return CFLAGS["x86-c-avx512"]
    return CFLAGS[name]


def prepare_pipeline(
    target: str, threads: int | None = None, prefetch: bool | None = None
) -> list[ModulePass]:
    """The target passes, run on the loop-level module before `emit`: buffers, threads,
    weight layout, and the pattern convs' hints for their next kernel's input rows: by the
    pass's rules with `prefetch` (None: `default_prefetch`), else only in layers whose
    tuned schedule asks for them (`pf = 1`); on x86, large outputs' streaming stores."""
    from patcc.passes.layout_weights import LayoutWeightsPass
    from patcc.passes.parallelize import ParallelizePass
    from patcc.passes.plan_buffers import PlanBuffersPass
    from patcc.passes.prefetch_next_kernel import PrefetchNextKernelPass
    from patcc.passes.stream_stores import StreamStoresPass

    target_name(target)
    passes: list[ModulePass] = [
        PlanBuffersPass(),
        ParallelizePass(threads=threads or 0),
        LayoutWeightsPass(),
    ]
    rules = default_prefetch(target) if prefetch is None else prefetch
    passes.append(PrefetchNextKernelPass(rules=rules))
    if target_name(target) == "x86-c":  # the ISA with streaming stores
        passes.append(StreamStoresPass())
    return passes


@dataclass(frozen=True)
class EmittedModel(Mapping[str, bytes]):
    """The files of a build (name -> bytes), plus model.json as a dict and the compile
    flags of model.c. weights.bin may be held as its pieces (`Blob`): `raw` gives what is
    held (a build writes the pieces), indexing gives bytes (joined once, then kept)."""

    files: dict[str, bytes | Blob]
    metadata: dict[str, Any]
    cflags: tuple[str, ...]

    def __getitem__(self, name: str) -> bytes:
        data = self.files[name]
        if isinstance(data, Blob):
            data = self.files[name] = bytes(data)
        return data

    def raw(self, name: str) -> bytes | Blob:
        return self.files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


def _int_attr(attrs: Mapping[str, Any], name: str) -> int:
    attr = attrs.get(name)
    return attr.value.data if isinstance(attr, IntegerAttr) else 0


def vector_length_of(module: ModuleOp) -> int:
    """The widest vector<N x f32> the loop level uses (1: scalar code)."""
    lanes = [
        r.type.get_shape()[0]
        for op in module.walk()
        for r in op.results
        if isinstance(r.type, VectorType) and r.type.get_num_dims() == 1
    ]
    return max(lanes, default=1)


def metadata(module: ModuleOp, target: str) -> dict[str, Any]:
    fn = main_function(module)
    sig = signature(fn)

    def specs(args: list[Any]) -> list[dict[str, Any]]:
        out = []
        for a in args:
            typ = a.type
            assert isinstance(typ, MemRefType)
            out.append({"name": sig.names[a], "shape": list(typ.get_shape()), "dtype": "float32"})
        return out

    threads = _int_attr(module.attributes, THREADS_ATTR)
    return {
        "format": 1,
        "target": target,
        "model": fn.sym_name.data,
        "inputs": specs(sig.inputs),
        "outputs": specs(sig.outputs),
        "weights": "weights.bin",
        "weights_bytes": _int_attr(module.attributes, "patcc.weights_bytes"),
        "workspace_bytes": _int_attr(fn.attributes, WORKSPACE_BYTES_ATTR),
        "unplanned_activation_bytes": _int_attr(fn.attributes, UNPLANNED_BYTES_ATTR),
        "vector_length": vector_length_of(module),
        "threads": threads or None,
    }


def emit(module: ModuleOp, target: str) -> EmittedModel:
    """model.c, weights.bin and model.json of a module the target passes have run on."""
    name = target_name(target)
    source = C_TARGETS[name]().source(module)
    meta = metadata(module, name)
    cflags = cflags_for(name, meta["vector_length"])
    meta["cflags"] = list(cflags)
    files = {
        "model.c": source.encode(),
        "weights.bin": weights_pieces(module),
        "model.json": (json.dumps(meta, indent=1) + "\n").encode(),
    }
    return EmittedModel(files, meta, cflags)


@dataclass(frozen=True)
class Emitter:
    """What the driver needs for one target: the vector length to lower with, the target
    passes, the flags, and `emit`."""

    target: str
    threads: int | None = None
    vector_length: int = 8
    passes: list[ModulePass] = field(default_factory=list)
    skip_options: tuple[tuple[str, int], ...] = ()  # skip-zero-inputs' (else the pass's own)
    gemm_filters: int | None = None  # the 1x1 GEMMs' filters per tile (None: the lowering's)
    input_stationary: int = 0  # kernels per (channel, pattern) pair from which (0: never)
    input_stationary_bytes: int = 0  # filter tiles one input channel feeds (0: any rows)
    input_stationary_filter_bytes: int = 0  # tiles of a block of filters (0: one block)

    @property
    def cflags(self) -> tuple[str, ...]:
        return cflags_for(self.target, self.vector_length)

    @property
    def graph_passes(self) -> list[ModulePass]:
        """nn/pat-level passes the target runs after pruning, just before lower-to-loops:
        one-row classifier layers skip their zero inputs (passes/skip_zero_inputs.py), with
        `skip_options`."""
        from patcc.passes.skip_zero_inputs import SkipZeroInputsPass

        return [SkipZeroInputsPass(**dict(self.skip_options))]

    @property
    def schedule(self) -> dict[str, Any]:
        """Loop-schedule options of the patdnn pipeline: the CPU's register tiles (`C_TILES`,
        and the 1x1 GEMMs' filters per tile where a host rule gives them)."""
        from patcc.pipelines import Tiles

        schedule: dict[str, Any] = {"tiles": Tiles(*C_TILES)}
        if self.gemm_filters is not None:
            schedule["gemm_filters"] = self.gemm_filters
        if self.input_stationary:
            schedule["input_stationary"] = self.input_stationary
        if self.input_stationary_bytes:
            schedule["input_stationary_bytes"] = self.input_stationary_bytes
        if self.input_stationary_filter_bytes:
            schedule["input_stationary_filter_bytes"] = self.input_stationary_filter_bytes
        return schedule

    def emit(self, module: ModuleOp) -> EmittedModel:
        return emit(module, self.target)


def emit_for(
    target: str, *, threads: int | None = None, vector_length: int | None = None
) -> Emitter:
    if target == "opencl":  # kernels, not C: patcc/targets/opencl_target.py
        from patcc.targets.opencl_target import opencl_emitter

        return opencl_emitter(vector_length)
    name = target_name(target)
    length = vector_length or default_vector_length(name)
    passes = prepare_pipeline(name, threads)
    return Emitter(
        name,
        threads,
        length,
        passes,
        default_skip_options(name),
        default_gemm_filters(name, length),
        *default_input_stationary(name),
    )
