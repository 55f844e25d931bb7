"""Running an opencl build folder through pyopencl: model.cl built once for one device, the
weights uploaded once, then per run: inputs in, the launch plan of model.json, outputs out.

The launch plan is data (patcc/targets/opencl_module.py): kernel steps (name, global size,
optional local size, one buffer per parameter) and host copies; nothing here knows layers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from patcc.errors import PatccError
from patcc.runtime.metadata import ModelMeta

# extra OpenCL build options, e.g. -cl-opt-disable where compile time matters more than speed
# (small models only: PoCL can run out of stack on large unoptimised LRE kernels)
OPTIONS_ENV = "PATCC_OPENCL_OPTIONS"
DEVICE_ENV = "PATCC_OPENCL_DEVICE"  # the default device (a name substring)
INSTALL_HINT = (
    "install pyopencl (pip install pyopencl) and an OpenCL driver "
    "(CPU: the Debian package 'pocl-opencl-icd'; GPU: the vendor's driver)"
)


def _opencl() -> Any:
    try:
        import pyopencl
    except ImportError:
        raise PatccError(f"OpenCL: pyopencl is not installed: {INSTALL_HINT}") from None
    return pyopencl


def opencl_devices() -> list[Any]:
    """Every device of every platform, in platform order ([] when there are none)."""
    cl = _opencl()
    try:
        platforms = cl.get_platforms()
    except cl.Error:  # no ICD registered: "platform not found"
        return []
    devices: list[Any] = []
    for platform in platforms:
        try:
            devices += platform.get_devices()
        except cl.Error:  # a platform without devices
            continue
    return devices


def choose_device(name: str | None = None) -> Any:
    """The first OpenCL device whose name contains `name` (any case; default: $PATCC_OPENCL_DEVICE),
    else the first device."""
    name = name or os.environ.get(DEVICE_ENV) or None
    devices = opencl_devices()
    if not devices:
        raise PatccError(f"OpenCL: no OpenCL device found: {INSTALL_HINT}")
    if name is None:
        return devices[0]
    for device in devices:
        if name.lower() in device.name.lower():
            return device
    known = "; ".join(d.name.strip() for d in devices)
    raise PatccError(f"OpenCL: no device named '{name}' (devices: {known})")


def _first_error(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return next((line for line in lines if "error" in line.lower()), lines[0] if lines else "")


class OpenCLRunner:
    """A build folder ready to run on one OpenCL device (calls from several Python threads
    take turns: the buffers are the instance's)."""

    def __init__(self, build_dir: Path, meta: ModelMeta, device: str | None = None) -> None:
        cl = self.cl = _opencl()
        raw = meta.raw
        self.meta = meta
        self.device = choose_device(device)
        self.context = cl.Context([self.device])
        # `run` enqueues on a plain queue (profiling costs time per launch on some
        # drivers); `profile` on its own queue with events timed
        self.queue = cl.CommandQueue(self.context)
        profiling = cl.command_queue_properties.PROFILING_ENABLE
        self.profile_queue = cl.CommandQueue(self.context, properties=profiling)
        source_path = build_dir / str(raw.get("source", "model.cl"))
        if not source_path.is_file():
            raise PatccError(f"{build_dir}: {source_path.name} is missing (rebuild it)")
        options = [str(o) for o in raw.get("build_options", [])]
        options += os.environ.get(OPTIONS_ENV, "").split()
        try:
            self.program = cl.Program(self.context, source_path.read_text()).build(options)
        except cl.RuntimeError as err:
            raise PatccError(
                f"OpenCL build of {source_path} failed on {self.device.name.strip()}: "
                f"{_first_error(str(err))}"
            ) from None
        weights = np.fromfile(build_dir / meta.weights, dtype=np.uint8)
        if weights.size != meta.weights_bytes:
            raise PatccError(
                f"{build_dir / meta.weights}: {weights.size} bytes, "
                f"model.json says {meta.weights_bytes}"
            )
        self.weights = self._buffer(meta.weights_bytes, weights)
        self.workspace = self._buffer(meta.workspace_bytes)
        self.inputs = [self._buffer(t.elems * 4) for t in meta.inputs]
        self.outputs = [self._buffer(t.elems * 4) for t in meta.outputs]
        self.plan = list(raw.get("launch", []))
        self.steps = [self._prepare(step) for step in self.plan]
        self.lock = threading.Lock()

    def _buffer(self, nbytes: int, data: np.ndarray | None = None) -> Any:
        mf = self.cl.mem_flags
        size = max(4, nbytes)  # OpenCL buffers cannot be empty
        if data is not None and data.size:
            return self.cl.Buffer(self.context, mf.READ_WRITE | mf.COPY_HOST_PTR, hostbuf=data)
        return self.cl.Buffer(self.context, mf.READ_WRITE, size)

    def _bound(self, binding: dict[str, Any]) -> Any:
        kind = binding["buffer"]
        if kind == "input":
            return self.inputs[int(binding["index"])]
        if kind == "output":
            return self.outputs[int(binding["index"])]
        if kind == "workspace":
            return self.workspace
        if kind == "weights":
            return self.weights
        raise PatccError(f"model.json: unknown buffer '{kind}' in the launch plan")

    def _prepare(self, step: dict[str, Any]) -> tuple[Any, ...]:
        """A step as (kernel, global, local) with its arguments set, or ('copy', ...)."""
        if step["kind"] == "copy":
            src, dst = step["src"], step["dst"]
            return (
                "copy",
                self._bound(src),
                self._bound(dst),
                int(src["offset"]),
                int(dst["offset"]),
                int(step["bytes"]),
            )
        kernel = self.cl.Kernel(self.program, str(step["name"]))
        for i, binding in enumerate(step["args"]):
            kernel.set_arg(i, self._bound(binding))
        sizes = [int(n) for n in step["global"]]
        local = step.get("local")
        if local is None:
            return (kernel, tuple(sizes), None)
        local = [int(n) for n in local]  # the kernels return past their trip counts
        sizes = [-(-n // m) * m for n, m in zip(sizes, local, strict=True)]
        return (kernel, tuple(sizes), tuple(local))

    def _enqueue(self, queue: Any, step: tuple[Any, ...]) -> Any:
        """Enqueue one step; its event (None for an empty NDRange)."""
        if step[0] == "copy":
            _, src, dst, src_offset, dst_offset, size = step
            return self.cl.enqueue_copy(
                queue, dst, src, byte_count=size, src_offset=src_offset, dst_offset=dst_offset
            )
        if 0 in step[1]:
            return None
        return self.cl.enqueue_nd_range_kernel(queue, step[0], step[1], step[2])

    def _execute(
        self, inputs: Sequence[np.ndarray], profiling: bool = False
    ) -> tuple[list[np.ndarray], list[Any]]:
        cl = self.cl
        queue = self.profile_queue if profiling else self.queue
        outputs = [np.empty(t.shape, dtype=np.float32) for t in self.meta.outputs]
        with self.lock:
            for buf, array in zip(self.inputs, inputs, strict=True):
                # not blocking: the kernels queue up behind the upload at once (the arrays
                # outlive it: the blocking download and `finish` below come first)
                cl.enqueue_copy(queue, buf, array, is_blocking=False)
            events = [self._enqueue(queue, step) for step in self.steps]
            for buf, array in zip(self.outputs, outputs, strict=True):
                cl.enqueue_copy(queue, array, buf)
            queue.finish()
        return outputs, events

    def run(self, inputs: Sequence[np.ndarray], threads: int = 0) -> list[np.ndarray]:
        """`threads` is for the CPU targets; an OpenCL device schedules its own."""
        return self._execute(inputs)[0]

    def profile(self, inputs: Sequence[np.ndarray]) -> list[dict[str, Any]]:
        """One run; per launch step its name, layer and device time (ms, profiling events)."""
        _, events = self._execute(inputs, profiling=True)
        rows = []
        for step, event in zip(self.plan, events, strict=True):
            ns = 0 if event is None else event.profile.end - event.profile.start
            name = step.get("name", "copy")
            rows.append({"name": name, "layer": step.get("layer"), "ms": ns * 1e-6})
        return rows
