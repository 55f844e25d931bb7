"""scripts/opencl_gpu_bench.py with one key of the opencl target's schedule overridden:
A/B runs of a lowering option on the GPU in one process.

    python scripts/ab_opencl_schedule.py KEY=VALUE [opencl_gpu_bench.py's arguments]

VALUE is a Python literal (True, 0, 65536); the rest goes to the bench unchanged.
"""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path
from typing import Any

from patcc.targets.opencl_target import OpenCLEmitter

BENCH = Path(__file__).with_name("opencl_gpu_bench.py")
if len(sys.argv) < 2 or "=" not in sys.argv[1]:
    print(f"usage: {Path(__file__).name} KEY=VALUE [the bench's arguments]; the bench's:")
    sys.argv[1:] = ["--help"]
    runpy.run_path(str(BENCH), run_name="__main__")
key, _, text = sys.argv.pop(1).partition("=")
value = ast.literal_eval(text)
default = OpenCLEmitter.schedule


def overridden(self: OpenCLEmitter) -> dict[str, Any]:
    assert isinstance(default, property) and default.fget is not None
    return {**default.fget(self), key: value}


OpenCLEmitter.schedule = property(overridden)  # type: ignore[assignment]
print(f"schedule override: {key} = {value!r}", file=sys.stderr)
runpy.run_path(str(BENCH), run_name="__main__")
