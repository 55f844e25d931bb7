"""Test helpers for the C targets: compile emitted models with gcc (in parallel, once per
test session), load them through ctypes and call `patcc_run`; cross-compile for aarch64 and
run under qemu. The real runtime lives in patcc/runtime; this is the minimal loader the
target tests need to check the printed C against the interpreter."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

import patcc.runtime
from patcc.targets import CFLAGS, EmittedModel, emit, prepare_pipeline

# the runtime's standalone harness: ./model WEIGHTS THREADS IN... OUT...
HARNESS = Path(patcc.runtime.__file__).with_name("main.c")
_F32P = ctypes.POINTER(ctypes.c_float)


@dataclass(frozen=True)
class Build:
    """One emitted model and the compile command for one artifact."""

    emitted: EmittedModel
    folder: Path
    compiler: str
    flags: tuple[str, ...]
    artifact: str  # libmodel.so, or an executable linked with the harness

    @property
    def path(self) -> Path:
        return self.folder / self.artifact

    def command(self) -> list[str]:
        sources = ["model.c"] if self.artifact.endswith(".so") else ["model.c", str(HARNESS)]
        shared = ["-fPIC", "-shared"] if self.artifact.endswith(".so") else []
        return [
            self.compiler,
            *self.flags,
            "-fopenmp",
            *shared,
            *sources,
            "-o",
            self.artifact,
            "-lm",
        ]


def emit_module(ctx: Context, module: ModuleOp, target: str, threads: int = 2) -> EmittedModel:
    """Run the target passes on a loop-level module (in place) and emit it."""
    for p in prepare_pipeline(target, threads, prefetch=True):  # the hints' C, on any host
        p.apply(ctx, module)
    return emit(module, target)


def native(emitted: EmittedModel, folder: Path) -> Build:
    """A shared library for this machine (neon-c through SIMDe)."""
    flags = emitted.cflags if emitted.metadata["target"] == "x86-c" else CFLAGS["neon-c-simde"]
    return Build(emitted, folder, "gcc", flags, "libmodel.so")


def aarch64(emitted: EmittedModel, folder: Path) -> Build:
    return Build(emitted, folder, "aarch64-linux-gnu-gcc", CFLAGS["neon-c-aarch64"], "model_a64")


def compile_all(builds: Sequence[Build], workers: int = 2) -> None:
    """Write each build's files and compile them, two at a time; a failure shows gcc's
    first lines of output."""

    def one(build: Build) -> None:
        build.folder.mkdir(parents=True, exist_ok=True)
        for name, data in build.emitted.items():
            (build.folder / name).write_bytes(data)
        proc = subprocess.run(
            build.command(), cwd=build.folder, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"{build.folder}: {' '.join(build.command())}\n{proc.stderr[:3000]}"
            )

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, builds))


def _inputs_in_order(emitted: EmittedModel, inputs: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    return [
        np.ascontiguousarray(inputs[spec["name"]], dtype=np.float32)
        for spec in emitted.metadata["inputs"]
    ]


def run_library(
    build: Build, inputs: Mapping[str, np.ndarray], threads: int = 0
) -> dict[str, np.ndarray]:
    """Call patcc_run of a built shared library (fresh, unaligned-safe buffers)."""
    lib = ctypes.CDLL(str(build.path))
    lib.patcc_workspace_bytes.restype = ctypes.c_size_t
    lib.patcc_weights_bytes.restype = ctypes.c_size_t
    meta = build.emitted.metadata
    assert lib.patcc_weights_bytes() == meta["weights_bytes"] == len(build.emitted["weights.bin"])
    assert lib.patcc_workspace_bytes() == meta["workspace_bytes"]
    weights = _aligned(np.frombuffer(build.emitted["weights.bin"], dtype=np.uint8))
    workspace = _aligned(np.full(meta["workspace_bytes"], 0xFF, dtype=np.uint8))
    ins = _inputs_in_order(build.emitted, inputs)
    outs = [np.zeros(spec["shape"], dtype=np.float32) for spec in meta["outputs"]]
    in_ptrs = (_F32P * max(1, len(ins)))(*[a.ctypes.data_as(_F32P) for a in ins])
    out_ptrs = (_F32P * len(outs))(*[a.ctypes.data_as(_F32P) for a in outs])
    lib.patcc_run(
        in_ptrs,
        out_ptrs,
        weights.ctypes.data_as(ctypes.c_void_p),
        workspace.ctypes.data_as(ctypes.c_void_p),
        threads,
    )
    return {spec["name"]: out for spec, out in zip(meta["outputs"], outs, strict=True)}


def run_qemu(build: Build, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run a static aarch64 harness build under qemu-aarch64 (files in its folder)."""
    folder = build.folder
    ins = _inputs_in_order(build.emitted, inputs)
    in_files = [f"in{i}.bin" for i in range(len(ins))]
    for name, array in zip(in_files, ins, strict=True):
        array.tofile(folder / name)
    outputs = build.emitted.metadata["outputs"]
    out_files = [f"out{i}.bin" for i in range(len(outputs))]
    qemu = shutil.which("qemu-aarch64") or "qemu-aarch64"
    proc = subprocess.run(
        [qemu, str(build.path), "weights.bin", "2", *in_files, *out_files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[:2000]
    return {
        spec["name"]: np.fromfile(folder / name, dtype=np.float32).reshape(spec["shape"])
        for spec, name in zip(outputs, out_files, strict=True)
    }


def _aligned(data: np.ndarray) -> np.ndarray:
    """A 64-byte aligned copy of a byte array (the ABI's promise for weights/workspace)."""
    raw = np.zeros(data.size + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    view = raw[start : start + data.size]
    view[...] = data
    return view
