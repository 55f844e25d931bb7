"""The runtime on a hand-written model that obeys the generated C ABI
(tests/fixtures/abi_model.c): build folders, loading, the harness under qemu, and errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from patcc.errors import PatccError
from patcc.runtime import CompiledModel, build
from patcc.runtime.builder import artifact_commands, compile_artifact
from patcc.targets.emit import EmittedModel
from patcc.targets.weights import Blob

FIXTURE = Path(__file__).with_name("fixtures") / "abi_model.c"
SHAPE = (2, 3, 4)


def abi_files(target: str, w: tuple[float, float] = (0.5, -2.0), source: bytes | None = None):
    meta = {
        "format": 1,
        "target": target,
        "inputs": [{"name": n, "shape": list(SHAPE), "dtype": "float32"} for n in "ab"],
        "outputs": [
            {"name": "y", "shape": list(SHAPE), "dtype": "float32"},
            {"name": "s", "shape": [1], "dtype": "float32"},
        ],
        "weights": "weights.bin",
        "weights_bytes": 8,
        "workspace_bytes": 24,
        "unplanned_activation_bytes": 0,
        "vector_length": 1,
        "threads": None,
    }
    return {
        "model.c": FIXTURE.read_bytes() if source is None else source,
        "weights.bin": np.asarray(w, dtype=np.float32).tobytes(),
        "model.json": json.dumps(meta).encode(),
    }


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(SHAPE, dtype=np.float32) for n in "ab"}


def expected(x: dict[str, np.ndarray], w: tuple[float, float] = (0.5, -2.0)) -> np.ndarray:
    return np.maximum(np.float32(w[0]) * x["a"] + np.float32(w[1]) * x["b"], 0)


@pytest.fixture(scope="module")
def x86_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("x86") / "build"
    return build(abi_files("x86"), "x86", out, cflags=["-O2"], report={"layers": []})


@pytest.fixture(scope="module")
def neon_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("neon") / "build"
    return build(abi_files("neon"), "neon", out, cflags=["-O2"])


def test_x86_build_folder_and_run(x86_build: Path) -> None:
    names = {p.name for p in x86_build.iterdir()}
    assert names == {
        "model.c", "weights.bin", "model.json", "main.c", "Makefile", "report.json", "libmodel.so"
    }  # fmt: skip
    model = CompiledModel(x86_build)
    x = inputs()
    out = model.run(x)
    assert list(out) == ["y", "s"]
    np.testing.assert_array_equal(out["y"], expected(x))
    np.testing.assert_allclose(out["s"], [x["a"].sum()], rtol=1e-5)
    y, _ = model(x["a"], x["b"])
    np.testing.assert_array_equal(y, out["y"])


@pytest.mark.parametrize("simde", [True, False], ids=["simde", "qemu"])
def test_neon_build_runs_through_simde_and_qemu(neon_build: Path, simde: bool) -> None:
    x = inputs(1)
    out = CompiledModel(neon_build, simde=simde).run(x)
    np.testing.assert_array_equal(out["y"], expected(x))


def test_thread_counts_give_identical_outputs(x86_build: Path) -> None:
    model, x = CompiledModel(x86_build), inputs(2)
    one, two = model.run(x, threads=1), model.run(x, threads=2)
    for name in one:
        np.testing.assert_array_equal(one[name], two[name])


def test_rebuild_in_the_same_folder_loads_the_new_code(tmp_path: Path) -> None:
    out = tmp_path / "build"
    x = inputs(3)
    first = CompiledModel(build(abi_files("x86"), "x86", out, cflags=["-O1"]))
    second = CompiledModel(build(abi_files("x86", (1.0, 1.0)), "x86", out, cflags=["-O1"]))
    np.testing.assert_array_equal(first.run(x)["y"], expected(x))
    np.testing.assert_array_equal(second.run(x)["y"], expected(x, (1.0, 1.0)))
    assert [p.name for p in tmp_path.iterdir()] == ["build"]  # no temporary left behind


def test_harness_with_sanitizers_runs_clean(x86_build: Path, tmp_path: Path) -> None:
    harness = next(a for a in artifact_commands("x86", ["-O1", "-g"]) if a.name == "model")
    exe = compile_artifact(x86_build, harness, ["-fsanitize=address,undefined"])
    x = inputs(4)
    files = [tmp_path / f for f in ("a.bin", "b.bin", "y.bin", "s.bin")]
    x["a"].tofile(files[0])
    x["b"].tofile(files[1])
    proc = subprocess.run(
        [str(exe), str(x86_build / "weights.bin"), "2", *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, "UBSAN_OPTIONS": "halt_on_error=1"},
    )
    exe.unlink()
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    np.testing.assert_array_equal(np.fromfile(files[2], np.float32).reshape(SHAPE), expected(x))


@pytest.mark.parametrize(
    ("feed", "words"),
    [
        ({"a": np.zeros((2, 3, 5), np.float32)}, ["'a'", "2x3x5", "2x3x4"]),
        ({"a": np.zeros(SHAPE, np.float64)}, ["'a'", "float64", "float32"]),
        ({"c": np.zeros(SHAPE, np.float32)}, ["unknown input 'c'"]),
        ({}, ["missing input 'b'"]),
    ],
)
def test_bad_inputs_are_one_line_errors(x86_build: Path, feed: dict, words: list[str]) -> None:
    feed = {"b": np.zeros(SHAPE, np.float32), **feed} if feed else {"a": inputs()["a"]}
    with pytest.raises(PatccError) as err:
        CompiledModel(x86_build).run(feed)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_missing_compiler_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PatccError, match=r"aarch64-linux-gnu-gcc.*gcc-aarch64-linux-gnu"):
        build(abi_files("neon"), "neon", tmp_path / "out", cflags=[])
    with pytest.raises(PatccError, match=r"gcc.*build-essential"):
        build(abi_files("x86"), "x86", tmp_path / "out", cflags=[])
    assert list(tmp_path.iterdir()) == []


def test_a_build_for_an_isa_this_cpu_lacks_is_refused(
    x86_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 16-lane build on a CPU without AVX-512 would die of SIGILL in patcc_run (and take
    Python with it): the loader names the flags instead, and loads it where they are."""
    import importlib

    # the module: `patcc.targets.emit` as an attribute is the package's function of that name
    emit = importlib.import_module("patcc.targets.emit")
    folder = tmp_path / "build"
    shutil.copytree(x86_build, folder)
    meta = json.loads((folder / "model.json").read_text())
    meta.update(cflags=["-O3", "-mavx2", "-mfma", "-mavx512f", "-mavx512vl"], vector_length=16)
    (folder / "model.json").write_text(json.dumps(meta))
    monkeypatch.setattr(emit, "host_cpu_flags", lambda: frozenset({"sse2", "avx2", "fma"}))
    with pytest.raises(PatccError, match=r"-mavx512f -mavx512vl \(vector length 16\).*lacks"):
        CompiledModel(folder)
    both = frozenset({"avx2", "fma", "avx512f", "avx512vl"})
    monkeypatch.setattr(emit, "host_cpu_flags", lambda: both)
    np.testing.assert_allclose(CompiledModel(folder).run(inputs())["y"], expected(inputs()))


def test_missing_qemu_names_the_package(neon_build: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(PatccError, match=r"qemu-aarch64.*qemu-user"):
        CompiledModel(neon_build)


def test_compile_error_shows_first_error_and_kept_source(tmp_path: Path) -> None:
    broken = FIXTURE.read_bytes().replace(b"return 2; }", b"return two; }", 1)
    with pytest.raises(PatccError) as err:
        build(abi_files("x86", source=broken), "x86", tmp_path / "out", cflags=[])
    message = str(err.value)
    assert "\n" not in message and "two" in message and "error" in message
    source = Path(message.split("C compile failed: ", 1)[1].split(":", 1)[0])
    assert source.name == "model.c" and b"return two" in source.read_bytes()
    shutil.rmtree(source.parent)
    assert list(tmp_path.iterdir()) == []


def test_a_foreign_folder_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("mine")
    with pytest.raises(PatccError, match="not a patcc build folder"):
        build(abi_files("x86"), "x86", tmp_path, cflags=[])
    assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]


def test_not_a_build_folder(tmp_path: Path) -> None:
    with pytest.raises(PatccError, match=r"no model\.json"):
        CompiledModel(tmp_path)
    with pytest.raises(PatccError, match="no such folder"):
        CompiledModel(tmp_path / "nope")


def test_weights_held_as_pieces_are_written_whole(tmp_path: Path) -> None:
    """An EmittedModel may hold weights.bin as its pieces (`Blob`, what the emitters
    return): the build writes them piece by piece, indexing joins them, and the model runs
    as with the joined bytes."""
    files = abi_files("x86")
    data = files["weights.bin"]
    blob = Blob((data[:3], b"", data[3:]))
    emitted = EmittedModel({**files, "weights.bin": blob}, {}, ())
    assert emitted.raw("weights.bin") is blob
    out = build(emitted, "x86", tmp_path / "b", cflags=["-O2"])
    assert (out / "weights.bin").read_bytes() == data
    x = inputs(3)
    np.testing.assert_array_equal(CompiledModel(out).run(x)["y"], expected(x))
    assert emitted["weights.bin"] == data and emitted.raw("weights.bin") == data
