"""Peers in another Python environment (`--peer-python`): the worker protocol, its errors,
and the bench driving it. ONNX Runtime stands in for DeepSparse, which CI does not install."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from bench_helpers import tiny_conv

from patcc.bench import peer_worker
from patcc.bench.remote_peer import PeerProcessError, RemotePeer
from patcc.bench.timing import interleave
from patcc.cli import main


def _model(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "tiny.onnx"
    onnx.save(tiny_conv(), str(path))
    x = np.random.default_rng(3).standard_normal((1, 8, 8, 8), dtype=np.float32)
    return path, {"x": x}


def test_worker_runs_the_peer_and_times_it_itself(tmp_path: Path) -> None:
    path, inputs = _model(tmp_path)
    peer = RemotePeer(sys.executable, "ort", path, inputs, threads=1)
    try:
        assert peer.version == ort.__version__
        local = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        np.testing.assert_array_equal(peer.run(), local.run(None, inputs)[0])
        start = time.perf_counter()
        seconds = peer.timed()
        wall = time.perf_counter() - start
        assert 0 < seconds < wall  # the inference alone, not the pipe's round trip
    finally:
        peer.close()
    assert peer.proc.poll() == 0  # end of input ended the worker


def test_worker_errors_are_one_line_messages(tmp_path: Path) -> None:
    path, inputs = _model(tmp_path)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(PeerProcessError, match=r"^\w+: .*broken\.onnx") as info:
        RemotePeer(sys.executable, "ort", broken, inputs, threads=1)
    assert "\n" not in str(info.value)
    with pytest.raises(PeerProcessError, match="this worker runs deepsparse, ort, not mnn"):
        RemotePeer(sys.executable, "mnn", path, inputs, threads=1)
    with pytest.raises(PeerProcessError, match=r"worker exited \(1\)"):
        RemotePeer("/bin/false", "ort", path, inputs, threads=1)


def test_worker_refuses_run_before_open_and_unknown_ops() -> None:
    with pytest.raises(RuntimeError, match="run before open"):
        peer_worker.handle({"op": "run"}, {})
    with pytest.raises(ValueError, match="unknown op 'stop'"):
        peer_worker.handle({"op": "stop"}, {})


def test_interleave_takes_a_self_timed_runners_own_seconds() -> None:
    calls: list[str] = []
    samples = interleave(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
        3,
        warmup=1,
        timers={"b": lambda: calls.append("tb") or 42.0},
    )
    assert samples["b"] == [42.0] * 3 and max(samples["a"]) < 1.0
    assert calls.count("b") == 1 and calls.count("tb") == 3  # warm-up runs, rounds time


def test_bench_runs_a_peer_in_another_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = _model(tmp_path)
    out = tmp_path / "b.json"
    args = ["bench", str(path), "--peers", "ort", "--repeat", "3", "--json", str(out)]
    assert main([*args, "--peer-python", f"ort={sys.executable}"]) == 0
    result = json.loads(out.read_text())["runs"][0]["results"]["ort"]
    assert result["note"] == f"own Python: {sys.executable}"
    assert result["max_rel_diff"] < 1e-5 and result["median_ms"] > 0
    assert f"own Python: {sys.executable}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("deepsparse", "peer-python 'deepsparse': expected PEER=PYTHON"),
        ("mnn=python3", "peer-python mnn=python3: only deepsparse, ort can run in another Python"),
        ("deepsparse=python3", "peer-python deepsparse=python3: deepsparse is not among the peers"),
        ("ort=/no/python", "peer-python ort=/no/python: no such executable"),
    ],
)
def test_bench_refuses_bad_peer_pythons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    path, _ = _model(tmp_path)
    assert main(["bench", str(path), "--peers", "ort", "--peer-python", option]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bench_layers_time_every_peer_per_conv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--layers`: each conv of the model alone, patcc against every peer asked for (here
    ORT, in another Python), one row per layer and thread count, speed-ups in the table."""
    from bench_helpers import two_convs

    path, out = tmp_path / "two.onnx", tmp_path / "b.json"
    onnx.save(two_convs(), str(path))
    args = ["bench", str(path), "--peers", "ort,mnn", "--repeat", "3", "--threads", "1,2"]
    args += ["--layers", "--peer-python", f"ort={sys.executable}", "--json", str(out)]
    assert main(args) == 0
    rows = json.loads(out.read_text())["layers"]
    assert [(r["name"], r["threads"]) for r in rows] == [
        (name, t) for name in ("conv_a", "conv_b") for t in (1, 2)
    ]
    assert all(r["patcc_ms"] > 0 and r["ort_ms"] > 0 for r in rows)
    printed = capsys.readouterr().out
    assert "| layer | threads | shape | patcc ms | ort ms | vs ort |" in printed
    for r in rows:
        ratio = f"{r['ort_ms'] / r['patcc_ms']:.2f}x"
        assert f"| {r['name']} | {r['threads']} | {r['shape']} | {r['patcc_ms']:.2f} |" in printed
        assert ratio in printed
