"""scripts/opencl_gpu_bench.py with keys of the opencl target's schedule overridden: A/B
runs of lowering options on the GPU in one process.

    python scripts/ab_opencl_schedule.py KEY=VALUE [KEY=VALUE ...] [the bench's arguments]

Each VALUE is a Python literal (True, 0, None); the rest goes to the bench unchanged.
"""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path
from typing import Any

from patcc.targets.opencl_target import OpenCLEmitter

BENCH = Path(__file__).with_name("opencl_gpu_bench.py")
overrides: dict[str, Any] = {}
while len(sys.argv) > 1 and "=" in sys.argv[1] and not sys.argv[1].startswith("-"):
    key, _, text = sys.argv.pop(1).partition("=")
    overrides[key] = ast.literal_eval(text)
if not overrides:
    print(f"usage: {Path(__file__).name} KEY=VALUE [...] [the bench's arguments]; the bench's:")
    sys.argv[1:] = ["--help"]
    runpy.run_path(str(BENCH), run_name="__main__")
default = OpenCLEmitter.schedule


def overridden(self: OpenCLEmitter) -> dict[str, Any]:
    assert isinstance(default, property) and default.fget is not None
    return {**default.fget(self), **overrides}


OpenCLEmitter.schedule = property(overridden)  # type: ignore[assignment]
print(f"schedule overrides: {overrides}", file=sys.stderr)
runpy.run_path(str(BENCH), run_name="__main__")
