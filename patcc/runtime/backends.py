"""Ways to execute a build folder: the model's shared library in-process (ctypes), or the
standalone harness as a process (the aarch64 executable, under qemu-aarch64 unless this host
is aarch64). `BACKENDS` is the plug-in point: a target's runner registers a factory there.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from patcc.errors import PatccError
from patcc.runtime.builder import AARCH64_EXECUTABLE, SHARED_LIBRARY, on_aarch64
from patcc.runtime.metadata import ModelMeta
from patcc.runtime.tools import require_tool

ALIGNMENT = 64


class Backend(Protocol):
    def run(self, inputs: Sequence[np.ndarray], threads: int) -> list[np.ndarray]:
        """Contiguous float32 inputs in the model's order -> outputs in its order."""
        ...


@dataclass(frozen=True)
class RunOptions:
    simde: bool = False  # neon on x86: the SIMDe shared library instead of qemu
    device: str | None = None  # OpenCL device name


def aligned_empty(nbytes: int, alignment: int = ALIGNMENT) -> np.ndarray:
    """A uint8 buffer of `nbytes` whose data starts on an `alignment` boundary."""
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    start = (-raw.ctypes.data) % alignment
    return raw[start : start + nbytes]


def _outputs(meta: ModelMeta) -> list[np.ndarray]:
    return [np.empty(t.shape, dtype=np.float32) for t in meta.outputs]


class SharedLibrary:
    """The model's .so loaded with ctypes; weights read once into an aligned buffer, one
    workspace per instance (calls from several Python threads take turns on it)."""

    def __init__(self, build_dir: Path, meta: ModelMeta, library: str) -> None:
        path = build_dir / library
        if not path.is_file():
            raise PatccError(f"{build_dir}: {library} is missing (rebuild with patcc compile)")
        self.meta = meta
        self.lib = _load_private_copy(path)
        self._declare()
        self._check_abi(build_dir)
        self.weights = aligned_empty(meta.weights_bytes)
        with open(build_dir / meta.weights, "rb") as f:  # straight into the aligned buffer
            f.readinto(self.weights.data)
        self.workspace = aligned_empty(max(1, meta.workspace_bytes))
        import threading

        self.lock = threading.Lock()

    def _declare(self) -> None:
        lib = self.lib
        for name in ("patcc_num_inputs", "patcc_num_outputs"):
            getattr(lib, name).restype = ctypes.c_int
        for name in ("patcc_input_elems", "patcc_output_elems"):
            getattr(lib, name).restype = ctypes.c_size_t
            getattr(lib, name).argtypes = [ctypes.c_int]
        for name in ("patcc_weights_bytes", "patcc_workspace_bytes"):
            getattr(lib, name).restype = ctypes.c_size_t
        lib.patcc_run.restype = None
        lib.patcc_run.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_int]

    def _check_abi(self, build_dir: Path) -> None:
        """model.json and the library must describe the same model."""
        lib, meta = self.lib, self.meta
        got = (
            lib.patcc_num_inputs(),
            lib.patcc_num_outputs(),
            [lib.patcc_input_elems(i) for i in range(len(meta.inputs))],
            [lib.patcc_output_elems(i) for i in range(len(meta.outputs))],
            lib.patcc_weights_bytes(),
            lib.patcc_workspace_bytes(),
        )
        want = (
            len(meta.inputs),
            len(meta.outputs),
            [t.elems for t in meta.inputs],
            [t.elems for t in meta.outputs],
            meta.weights_bytes,
            meta.workspace_bytes,
        )
        if got != want:
            raise PatccError(f"{build_dir}: the library does not match model.json (rebuild it)")
        size = (build_dir / meta.weights).stat().st_size
        if size != meta.weights_bytes:
            raise PatccError(
                f"{build_dir / meta.weights}: {size} bytes, model.json says {meta.weights_bytes}"
            )

    def run(self, inputs: Sequence[np.ndarray], threads: int) -> list[np.ndarray]:
        outputs = _outputs(self.meta)
        in_ptrs = (ctypes.c_void_p * max(1, len(inputs)))(*[a.ctypes.data for a in inputs])
        out_ptrs = (ctypes.c_void_p * max(1, len(outputs)))(*[a.ctypes.data for a in outputs])
        with self.lock:
            self.lib.patcc_run(
                in_ptrs, out_ptrs, self.weights.ctypes.data, self.workspace.ctypes.data, threads
            )
        return outputs


def _load_private_copy(path: Path) -> ctypes.CDLL:
    """dlopen a private copy: glibc returns the already loaded library for a path it has
    seen, so a model rebuilt in the same folder would otherwise run the old code."""
    # OpenMP's wait policy is libgomp's default (spin ~300k iterations, a few ms, at a
    # barrier, then sleep). OMP_WAIT_POLICY=PASSIVE (sleep at once) was the default here
    # for a machine shared with other work, where spinning threads take a busy core; but
    # waking a sleeping thread costs ~0.1 ms per parallel region in this VM, and ResNet-50
    # has ~200 regions: 78 ms on 2 threads against 39 ms with the bounded spin (VGG-16:
    # 95 vs 73 ms). Set OMP_WAIT_POLICY=PASSIVE for a loaded machine; libgomp reads it once,
    # when the first model loads it.
    with tempfile.TemporaryDirectory(prefix="patcc-lib-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        try:
            return ctypes.CDLL(str(copy))
        except OSError as err:
            raise PatccError(f"{path}: cannot load ({err})") from None


class HarnessProcess:
    """The standalone harness (main.c) as a process on raw float32 files: the neon build as
    a static aarch64 executable, under qemu-aarch64 on other hosts."""

    def __init__(self, build_dir: Path, meta: ModelMeta, executable: str) -> None:
        path = build_dir / executable
        if not path.is_file():
            raise PatccError(f"{build_dir}: {executable} is missing (rebuild with patcc compile)")
        self.build_dir, self.meta = build_dir, meta
        self.prefix = [] if on_aarch64() else [require_tool("qemu-aarch64")]
        self.executable = path

    def run(self, inputs: Sequence[np.ndarray], threads: int) -> list[np.ndarray]:
        with tempfile.TemporaryDirectory(prefix="patcc-run-") as tmp:
            in_files = [Path(tmp) / f"in{i}.bin" for i in range(len(inputs))]
            out_files = [Path(tmp) / f"out{i}.bin" for i in range(len(self.meta.outputs))]
            for array, f in zip(inputs, in_files, strict=True):
                array.tofile(f)
            argv = [
                *self.prefix,
                str(self.executable),
                str(self.build_dir / self.meta.weights),
                str(threads),
                *map(str, in_files + out_files),
            ]
            proc = subprocess.run(argv, capture_output=True, text=True)
            if proc.returncode != 0:
                lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
                raise PatccError(
                    f"{self.executable.name} failed (exit {proc.returncode}): {lines[0]}"
                )
            return [
                np.fromfile(f, dtype=np.float32).reshape(t.shape)
                for f, t in zip(out_files, self.meta.outputs, strict=True)
            ]


BackendFactory = Callable[[Path, ModelMeta, RunOptions], Backend]


def check_host_isa(build_dir: Path, meta: ModelMeta) -> None:
    """An x86 build runs in this process: on a CPU without an instruction set its cflags
    ask for (a 16-lane AVX-512 build copied to an AVX2 machine), `patcc_run` would die of
    SIGILL and take Python with it. Not checked where /proc/cpuinfo is missing."""
    from patcc.targets.emit import host_cpu_flags, missing_isa  # at call time: tests stand in

    have = host_cpu_flags()
    cflags = meta.raw.get("cflags", [])
    if not have or not isinstance(cflags, list):
        return
    missing = missing_isa(cflags, have)
    if missing:
        lanes = meta.raw.get("vector_length", "?")
        raise PatccError(
            f"{build_dir}: built for {' '.join(missing)} (vector length {lanes}), which this "
            "CPU lacks: compile it here, or with a shorter --vector-length"
        )


def _x86(build_dir: Path, meta: ModelMeta, options: RunOptions) -> Backend:
    check_host_isa(build_dir, meta)
    return SharedLibrary(build_dir, meta, SHARED_LIBRARY["x86"])


def _neon(build_dir: Path, meta: ModelMeta, options: RunOptions) -> Backend:
    if options.simde and not on_aarch64():
        return SharedLibrary(build_dir, meta, SHARED_LIBRARY["neon"])
    return HarnessProcess(build_dir, meta, AARCH64_EXECUTABLE)


def _opencl(build_dir: Path, meta: ModelMeta, options: RunOptions) -> Backend:
    from patcc.runtime.opencl_runner import OpenCLRunner

    return OpenCLRunner(build_dir, meta, options.device)


BACKENDS: dict[str, BackendFactory] = {"x86": _x86, "neon": _neon, "opencl": _opencl}
