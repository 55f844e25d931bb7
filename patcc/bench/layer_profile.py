"""Per-layer times of x86 builds inside the whole model (`patcc profile`).

`patcc bench --layers` times each conv compiled alone; here each layer runs where it runs
in the model, with the caches the layer before it left, and every layer counts: the pools,
copies and classifier layers too. That is how the Xeon's max pools showed up at 11 % of
VGG-16 (docs/performance.md, "Max pools in rows").

A copy of the build's model.c gets a clock around each layer call of `patcc_run` (the C
targets print one function per layer, `layerN_...`, and call them in order) and is built
with the build's own compiler line (its Makefile's). Several builds load into one process
and run in turns (`patcc.bench.timing.interleave`, a warm-up run each): whole runs on a
shared 2-core VM drift by 15-20 % within seconds, so an A/B is only fair when both take
the same minutes. Printed per layer: the median of each build's runs; for one build a
conv's GFLOP/s on its non-zero MACs (report.json) and its share of the sgemm peak; for
several, each one's speed-up over the first.
"""

from __future__ import annotations

import ctypes
import json
import re
import shlex
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patcc.bench.timing import interleave
from patcc.errors import PatccError
from patcc.runtime.backends import SharedLibrary
from patcc.runtime.builder import SHARED_LIBRARY
from patcc.runtime.loader import CompiledModel, check_threads

MAX_RUNS = 64
"""Runs a build's clocks hold (a static table in the instrumented C)."""
TIMER = f"""#include <time.h>
static double prof_t[1024][{MAX_RUNS}];
int prof_it = 0;
static double prof_now(void) {{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}}
double prof_get(int l, int i) {{ return prof_t[l][i]; }}
"""
_LAYER_CALL = re.compile(r"^(\s*)(layer\d+_\w+)\((.*)\);", re.M)
_BUILD_FILES = ("model.c", "model.json", "weights.bin", "Makefile")


def instrument(model_c: str) -> tuple[str, list[str]]:
    """model.c with a clock around each layer call in patcc_run; the layer names."""
    at = model_c.find("void patcc_run(")
    if at < 0:
        raise PatccError("model.c has no patcc_run (not a patcc C build?)")
    names: list[str] = []

    def wrap(m: re.Match[str]) -> str:
        names.append(m.group(2))
        i = len(names) - 1
        return (
            f"{m.group(1)}{{ double t0 = prof_now(); {m.group(2)}({m.group(3)}); "
            f"if (prof_it < {MAX_RUNS}) prof_t[{i}][prof_it] = prof_now() - t0; }}"
        )

    run = _LAYER_CALL.sub(wrap, model_c[at:])
    if not names:
        raise PatccError("model.c's patcc_run calls no layer functions")
    return TIMER + model_c[:at] + run, names


def library_command(build: Path) -> list[str]:
    """The compiler line of the build's Makefile for its shared library (the vector
    extension follows the build's vector length: -mavx512f for 16 floats)."""
    library = SHARED_LIBRARY["x86"]
    for line in (build / "Makefile").read_text().splitlines():
        words = shlex.split(line)
        if words[-2:] == ["-o", library] and "model.c" in words:
            return words
    raise PatccError(f"{build}: not an x86 build (its Makefile builds no {library})")


def check_build(build: Path) -> None:
    """A folder `patcc compile --target x86` wrote, or a one-line error naming what lacks."""
    if not build.exists():
        raise PatccError(f"{build}: no such build folder")
    if not build.is_dir():
        raise PatccError(f"{build}: a file, not a build folder (`patcc compile -o DIR` writes one)")
    missing = [f for f in _BUILD_FILES if not (build / f).is_file()]
    if missing:
        raise PatccError(f"{build}: not an x86 build folder (no {', '.join(missing)})")
    library_command(build)


class Instrumented:
    """A build's copy in `folder` with the instrumented library; its model and clocks."""

    def __init__(self, build: Path, folder: Path, threads: int) -> None:
        source, self.names = instrument((build / "model.c").read_text())
        folder.mkdir()
        (folder / "model.c").write_text(source)
        (folder / "model.json").write_bytes((build / "model.json").read_bytes())
        (folder / "weights.bin").symlink_to((build / "weights.bin").resolve())
        done = subprocess.run(
            library_command(build), cwd=folder, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
            raise PatccError(f"{build}: the instrumented model.c did not compile: {first}")
        self.model = CompiledModel(folder, threads=threads)
        if not isinstance(self.model.backend, SharedLibrary):  # pragma: no cover - x86 only
            raise PatccError(f"{build}: not a shared-library build (x86)")
        lib = self.model.backend.lib
        self.it = ctypes.c_int.in_dll(lib, "prof_it")
        self.get = lib.prof_get
        self.get.restype, self.get.argtypes = ctypes.c_double, [ctypes.c_int, ctypes.c_int]
        rng = np.random.default_rng(0)
        self.feed = {t.name: rng.standard_normal(t.shape, np.float32) for t in self.model.inputs}
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        """One run; its layer times go to the next slot, the first (warm-up) run's to none."""
        self.it.value = self.calls - 1 if self.calls else MAX_RUNS
        self.calls += 1
        return self.model.run(self.feed)

    def medians(self, runs: int) -> dict[str, float]:
        return {
            n: statistics.median(self.get(i, r) for r in range(runs))
            for i, n in enumerate(self.names)
        }


@dataclass(frozen=True)
class Profile:
    """Per build, {layer function: median ms} in call order."""

    builds: list[Path]
    threads: int
    runs: int
    times: list[dict[str, float]]


def profile(builds: Sequence[Path], runs: int = 7, threads: int = 1) -> Profile:
    """Time every layer of each x86 build, the builds in turns (`runs` each, 1..MAX_RUNS)."""
    if not builds:
        raise PatccError("no build folder to profile")
    if not 1 <= runs <= MAX_RUNS:
        raise PatccError(f"runs must be 1..{MAX_RUNS}, got {runs}")
    check_threads(threads)
    for build in builds:
        check_build(build)
    with tempfile.TemporaryDirectory(prefix="patcc-profile-") as tmp:
        models = [Instrumented(b, Path(tmp) / str(i), threads) for i, b in enumerate(builds)]
        interleave({str(i): m for i, m in enumerate(models)}, runs, warmup=1)
        times = [m.medians(runs) for m in models]
    return Profile(list(builds), threads, runs, times)


def conv_gflops(build: Path, times: dict[str, float]) -> dict[str, float]:
    """A conv layer's GFLOP/s on its non-zero MACs (report.json's, in layer order)."""
    report_path = build / "report.json"
    if not report_path.is_file():
        return {}
    rows = json.loads(report_path.read_text()).get("layers", [])
    convs = iter([r for r in rows if "conv" in r.get("op", "")])
    out: dict[str, float] = {}
    for name, ms in times.items():
        if "conv" in name and (row := next(convs, None)) is not None and ms > 0:
            out[name] = 2 * row["nonzero_macs"] / ms / 1e6
    return out


def table(result: Profile, peak: float | None = None) -> str:
    """The per-layer table: one build with GFLOP/s (and % of `peak`, GFLOP/s of all its
    threads), or several side by side with each one's speed-up over the first."""
    times = result.times
    names = list(dict.fromkeys(n for t in times for n in t))  # layers of any build
    lines: list[str] = []
    if len(times) > 1:
        lines.append(f"{'layer':32s}" + "".join(f"{i:>10d}" for i in range(len(times))))
    gflops = conv_gflops(result.builds[0], times[0]) if len(times) == 1 else {}
    for name in [*names, "sum"]:
        row = [sum(t.values()) if name == "sum" else t.get(name, float("nan")) for t in times]
        line = f"{name:32s}" + "".join(f"{ms:10.2f}" for ms in row)
        if len(times) == 1:
            line += " ms"
            if name in gflops:
                line += f"  {gflops[name]:6.1f} GFLOP/s"
                if peak:
                    line += f"  {100 * gflops[name] / peak:4.0f}% of peak"
        else:
            line += "  " + " ".join(f"{row[0] / ms:5.3f}x" for ms in row[1:])
        lines.append(line)
    if len(times) > 1:
        lines += [f"{i}: {b}" for i, b in enumerate(result.builds)]
    return "\n".join(lines)


def as_json(result: Profile, peak: float | None = None) -> dict[str, object]:
    return {
        "threads": result.threads,
        "runs": result.runs,
        "peak_gflops": peak,
        "builds": [
            {
                "build": str(b),
                "layers_ms": t,
                "sum_ms": sum(t.values()),
                "conv_gflops": conv_gflops(b, t),
            }
            for b, t in zip(result.builds, result.times, strict=True)
        ],
    }
