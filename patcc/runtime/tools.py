"""External tools the runtime needs (C compilers, qemu), found on PATH or named in an error.

A missing tool is a user-facing problem with a known fix, so it is a one-line PatccError that
names the Debian package to install; a failed C compile quotes the compiler's first error
line, which names the generated file and the line in it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from patcc.errors import PatccError

# tool -> (what it is for, the Debian package that provides it)
DEBIAN_PACKAGES: dict[str, tuple[str, str]] = {
    "gcc": ("a C compiler", "build-essential"),
    "aarch64-linux-gnu-gcc": ("the aarch64 cross compiler", "gcc-aarch64-linux-gnu"),
    "qemu-aarch64": ("the aarch64 user-mode emulator", "qemu-user"),
}
SIMDE_HEADER = Path("/usr/include/simde/arm/neon.h")


def require_tool(name: str) -> str:
    """The full path of `name` on PATH, or a PatccError saying what to install."""
    path = shutil.which(name)
    if path is None:
        what, package = DEBIAN_PACKAGES.get(name, ("a required tool", name))
        raise PatccError(f"{name} ({what}) is not on PATH: install the Debian package '{package}'")
    return path


def require_simde(compiler: str) -> None:
    """SIMDe is header-only; ask the compiler whether it finds the NEON header."""
    probe = subprocess.run(
        [compiler, "-x", "c", "-E", "-", "-o", "/dev/null"],
        input="#include <simde/arm/neon.h>\n",
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        raise PatccError(
            "SIMDe (simde/arm/neon.h) is not installed: install the Debian package 'libsimde-dev'"
        )


def first_error_line(output: str) -> str:
    """The compiler's first `error:` line (the whole first line if none says so)."""
    lines = [line for line in output.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line.strip()
    return lines[0].strip() if lines else "no output"


def run_compiler(argv: Sequence[str], cwd: Path) -> str | None:
    """Run one compile command in `cwd`: None on success, else the compiler's first error."""
    proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return first_error_line(proc.stderr or proc.stdout)
