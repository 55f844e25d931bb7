"""A benchmark peer run in its own Python environment, driven by `patcc bench` over a pipe.

Some peers cannot share patcc's environment: DeepSparse 1.8 pins numpy 1.x and onnx 1.14.
`patcc bench --peer-python deepsparse=PY` starts this file with that interpreter
(`remote_peer.py`); it imports only the standard library, numpy and the peer, never patcc,
and runs on Python 3.9 or later (patcc itself needs newer).
The parent still interleaves it with the other contenders, one call at a time, and the
time of each call is measured here, around the inference alone, so the pipe's round trip
is not counted against the peer.

Protocol: one JSON object per line on stdin, one reply per line on the process's original
stdout; fd 1 then points at stderr, so that a runtime's banner cannot corrupt the replies.

    {"op": "open", "peer": "deepsparse", "model": PATH, "inputs": [NPY, ...], "threads": N}
        -> {"version": "1.8.0"}
    {"op": "run", "output": NPY or null}  -> {"seconds": 0.1}  (the first output saved)
    any failure                           -> {"error": "Type: message"}
End of input ends the process.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Infer = Callable[[list[np.ndarray]], Any]


def open_deepsparse(model: str, threads: int) -> tuple[str, Infer]:
    import deepsparse  # type: ignore[import-not-found]

    engine = deepsparse.compile_model(model, batch_size=1, num_cores=threads)
    return str(deepsparse.__version__), lambda arrays: engine(arrays)[0]


def open_ort(model: str, threads: int) -> tuple[str, Infer]:
    """ONNX Runtime, as the in-process peer sets it up; here mainly so that the protocol
    can be tested where DeepSparse is not installed."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]

    def infer(arrays: list[np.ndarray]) -> Any:
        return sess.run(None, dict(zip(names, arrays, strict=True)))[0]

    return str(ort.__version__), infer


OPENERS: dict[str, Callable[[str, int], tuple[str, Infer]]] = {
    "deepsparse": open_deepsparse,
    "ort": open_ort,
}


def handle(msg: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    if msg["op"] == "open":
        if msg["peer"] not in OPENERS:
            raise ValueError(f"this worker runs {', '.join(OPENERS)}, not {msg['peer']}")
        state["inputs"] = [np.load(p) for p in msg["inputs"]]
        version, state["infer"] = OPENERS[msg["peer"]](msg["model"], int(msg["threads"]))
        return {"version": version}
    if msg["op"] == "run":
        if "infer" not in state:
            raise RuntimeError("run before open")
        start = time.perf_counter()
        out = state["infer"](state["inputs"])
        seconds = time.perf_counter() - start
        if msg.get("output"):
            np.save(msg["output"], np.asarray(out))
        return {"seconds": seconds}
    raise ValueError(f"unknown op {msg['op']!r}")


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # the peer's own prints (C or Python) go to stderr
    sys.stdout = sys.stderr
    state: dict[str, Any] = {}
    for line in sys.stdin:
        try:
            reply = handle(json.loads(line), state)
        except Exception as exc:  # reported to the parent, which names the peer
            reply = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        replies.write(json.dumps(reply) + "\n")


if __name__ == "__main__":
    main()
