"""The dense frameworks patcc is compared with, each running the same pruned ONNX file.

A peer is prepared once per thread count into a zero-argument callable that runs one
inference on fixed inputs, so the bench can interleave it with patcc. Each is optional (the
`bench` extra); one that is not installed, or fails on the model, becomes a `Skipped` with the
reason, printed in the table instead of a time. A peer that cannot share patcc's environment
(DeepSparse) runs in its own Python, given by `--peer-python NAME=PY` (`remote_peer.py`).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import onnx

PEERS = ("ort", "mnn", "deepsparse", "tvm")


@dataclass(frozen=True)
class Session:
    """One peer ready to run: `run()` does one inference and returns the first output
    (anything `np.asarray` takes)."""

    name: str
    version: str
    run: Callable[[], object]
    note: str = ""
    timer: Callable[[], float] | None = None
    """One inference, returning the seconds measured where it ran (a peer in another
    process: the pipe's round trip is not its time); None: the bench times `run`."""


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def _untyped(module: str) -> Any:
    """An optional peer's module; none of them ships type information."""
    return importlib.import_module(module)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def ort_session(path: Path, inputs: Mapping[str, np.ndarray], threads: int) -> Session:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    # ORT's idle workers spin for a while after each run; interleaved with other runners
    # they would burn the cores the next contender needs, so spinning is off.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = dict(inputs)
    return Session("ort", ort.__version__, lambda: sess.run(None, feed)[0])


def _mnn_convert(src: Path, dst: Path) -> None:
    """ONNX -> .mnn with MNN's bundled converter, called through its extension module
    `_tools`: the `MNN.tools` wrappers import a telemetry logger that pip-installs a package
    and posts to a server, which a benchmark must not do. It runs in dst's folder: it
    leaves a scratch file of the weights' size (`.__convert_external_data.bin`) in its
    working directory, which would otherwise be the user's."""
    code = "import sys, _tools; _tools.mnnconvert(sys.argv)"
    src, dst = src.resolve(), dst.resolve()
    argv = ["mnnconvert", "-f", "ONNX", "--modelFile", str(src), "--MNNModel", str(dst)]
    argv += ["--bizCode", "patcc"]
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv[1:]],
        capture_output=True,
        text=True,
        check=False,
        cwd=dst.parent,
    )
    if proc.returncode != 0 or not dst.is_file():
        raise RuntimeError(f"mnnconvert failed: {(proc.stdout + proc.stderr)[-300:]}")


def mnn_session(path: Path, inputs: Mapping[str, np.ndarray], threads: int) -> Session:
    mnn = _untyped("MNN")
    if len(inputs) != 1:
        raise RuntimeError("the MNN peer runs single-input models")
    dst = path.with_suffix(".mnn")  # beside the bench's model: its work folder is removed
    _mnn_convert(path, dst)
    interp = mnn.Interpreter(str(dst))
    session = interp.createSession({"numThread": threads, "precision": "high"})
    x = next(iter(inputs.values()))
    host = mnn.Tensor(
        x.shape, mnn.Halide_Type_Float, x, mnn.Tensor_DimensionType_Caffe
    )  # NCHW, like ONNX
    tensor_in = interp.getSessionInput(session)
    out = interp.getSessionOutput(session)
    result = mnn.Tensor(
        out.getShape(),
        mnn.Halide_Type_Float,
        np.zeros(out.getShape(), np.float32),
        mnn.Tensor_DimensionType_Caffe,
    )

    def run() -> object:
        tensor_in.copyFrom(host)
        interp.runSession(session)
        out.copyToHostTensor(result)
        return np.asarray(result.getNumpyData())

    return Session("mnn", _version("MNN"), run, "Winograd on for 3x3 convs")


def _ir9(path: Path) -> Path:
    """The model with ONNX IR version <= 9, the newest DeepSparse 1.8 loads, beside the
    bench's model (removed with it)."""
    model = onnx.load(str(path))
    model.ir_version = min(model.ir_version, 9)
    dst = path.with_name(f"{path.stem}-ir9.onnx")
    onnx.save(model, str(dst))
    return dst


def deepsparse_session(path: Path, inputs: Mapping[str, np.ndarray], threads: int) -> Session:
    compile_model = _untyped("deepsparse").compile_model
    engine = compile_model(str(_ir9(path)), batch_size=1, num_cores=threads)
    arrays = list(inputs.values())
    return Session("deepsparse", _version("deepsparse"), lambda: engine(arrays)[0])


def _llvm_cpu() -> str:
    """An LLVM CPU with the host's vector ISA: TVM's wheel (a conda LLVM triple) refuses
    `-mcpu=native` and falls back to generic x86-64, without AVX2 or FMA."""
    from patcc.targets.emit import host_cpu_flags

    flags = host_cpu_flags()
    if "avx512f" in flags:
        return "skylake-avx512"
    return "core-avx2" if {"avx2", "fma"} <= flags else "x86-64"


def tvm_session(path: Path, inputs: Mapping[str, np.ndarray], threads: int) -> Session:
    """Relax from ONNX, built for the host without any tuning (marked 'untuned'). The
    thread count is set on TVM's pool before each run (`runtime.config_threadpool`, with
    mode 0: cores bound big-first, as TVM does by default)."""
    tvm = _untyped("tvm")
    relax = _untyped("tvm.relax")
    from_onnx = _untyped("tvm.relax.frontend.onnx").from_onnx

    shapes = {k: list(v.shape) for k, v in inputs.items()}
    mod = from_onnx(onnx.load(str(path)), shape_dict=shapes, keep_params_in_input=False)
    mod = relax.get_pipeline("zero")(mod)
    exe = tvm.compile(mod, target=tvm.target.Target({"kind": "llvm", "mcpu": _llvm_cpu()}))
    vm = relax.VirtualMachine(exe, tvm.cpu())
    args = [tvm.runtime.tensor(v) for v in inputs.values()]

    config = tvm.get_global_func("runtime.config_threadpool")

    def run() -> object:
        config(0, threads)
        out = vm["main"](*args)
        first = out[0] if isinstance(out, tvm.ir.Array | list | tuple) else out
        return first.numpy()

    note = f"untuned relax, llvm {_llvm_cpu()}"
    return Session("tvm", _version("apache-tvm"), run, note)


FACTORIES: dict[str, Callable[[Path, Mapping[str, np.ndarray], int], Session]] = {
    "ort": ort_session,
    "mnn": mnn_session,
    "deepsparse": deepsparse_session,
    "tvm": tvm_session,
}
MODULES = {"ort": "onnxruntime", "mnn": "MNN", "deepsparse": "deepsparse", "tvm": "tvm"}
INSTALL: dict[str, str] = {
    **dict.fromkeys(("ort", "mnn", "tvm"), "pip install 'patcc[bench]'"),
    "deepsparse": "make deepsparse, then --peer-python deepsparse=.venv-deepsparse/bin/python",
}
"""How to get a missing peer. Not `pip install deepsparse` beside patcc: its releases (1.8,
1.9) pin numpy 1.x and onnx 1.14 and would downgrade patcc's own; `make deepsparse` puts it
in an environment of its own (scripts/setup_deepsparse.sh)."""

REMOTE_PEERS = ("deepsparse", "ort")
"""Peers that `--peer-python` can run in another environment (`peer_worker.OPENERS`)."""


def remote_session(
    name: str, python: str, path: Path, inputs: Mapping[str, np.ndarray], threads: int
) -> Session:
    from patcc.bench.remote_peer import RemotePeer

    model = _ir9(path) if name == "deepsparse" else path
    peer = RemotePeer(python, name, model, inputs, threads)
    return Session(name, peer.version, peer.run, f"own Python: {python}", timer=peer.timed)


def open_peer(
    name: str,
    path: Path,
    inputs: Mapping[str, np.ndarray],
    threads: int,
    python: str | None = None,
) -> Session | Skipped:
    """The peer ready to run, or why not (not installed, or it failed on this model); run
    by the interpreter `python` in a process of its own when given."""
    import importlib.util

    if name not in FACTORIES:
        return Skipped(name, f"unknown peer (peers: {', '.join(PEERS)})")
    if python is None and importlib.util.find_spec(MODULES[name]) is None:
        return Skipped(name, f"not installed ({INSTALL[name]})")
    try:
        if python is None:
            session = FACTORIES[name](path, inputs, threads)
        else:
            session = remote_session(name, python, path, inputs, threads)
        session.run()  # fails here rather than in the middle of the timing loop
    except Exception as exc:
        return Skipped(name, f"failed: {type(exc).__name__}: {str(exc)[:200]}")
    return session
