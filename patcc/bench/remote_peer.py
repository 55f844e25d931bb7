"""A peer in another Python environment (`peer_worker.py` run by that interpreter).

The worker is started isolated (`-I`: neither its folder, which holds modules named like
common ones, nor the user's site-packages nor PYTHON* variables reach its sys.path), and
inputs and outputs cross as .npy files in the bench's work folder (beside the model, removed
with it). Each call's time is the worker's own measurement around the inference.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

WORKER = Path(__file__).with_name("peer_worker.py")


class PeerProcessError(RuntimeError):
    """The worker failed to open or run the peer, or died."""


class RemotePeer:
    """One peer session in a worker process; `close()` (or garbage collection) ends it."""

    def __init__(
        self, python: str, peer: str, model: Path, inputs: Mapping[str, np.ndarray], threads: int
    ) -> None:
        self.work = model.parent
        # the worker's own prints go to a file: a pipe nobody reads would fill and block it
        self._log = self.work / f"{peer}-worker.log"
        with self._log.open("w") as log:
            self.proc = subprocess.Popen(
                [python, "-I", str(WORKER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                bufsize=1,
                env={**os.environ, "NM_DISABLE_ANALYTICS": "1"},  # DeepSparse's telemetry off
            )
        self._finalizer = weakref.finalize(self, _stop, self.proc)
        paths = []
        for i, array in enumerate(inputs.values()):
            paths.append(str(self.work / f"{peer}-input{i}.npy"))
            np.save(paths[-1], array)
        opened = self._ask(
            {"op": "open", "peer": peer, "model": str(model), "inputs": paths, "threads": threads}
        )
        self.version = str(opened["version"])
        self._output = self.work / f"{peer}-output.npy"

    def _ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(msg) + "\n")
            stdin.flush()
            line = stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            self.close()
            tail = self._log.read_text(errors="replace").strip().splitlines()[-1:] or ["no message"]
            raise PeerProcessError(f"worker exited ({self.proc.returncode}): {tail[0][:200]}")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise PeerProcessError(str(reply["error"]))
        return reply

    def timed(self) -> float:
        """One inference; the seconds it took inside the worker."""
        return float(self._ask({"op": "run", "output": None})["seconds"])

    def run(self) -> np.ndarray:
        """One inference; its first output."""
        self._ask({"op": "run", "output": str(self._output)})
        return np.load(self._output)

    def close(self) -> None:
        self._finalizer()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None:
        # end of input: the worker returns (if it died first, the buffered request fails)
        with contextlib.suppress(OSError):
            proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
