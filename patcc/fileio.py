"""Atomic output files and the .npz / .mlir readers shared by the commands.

Outputs are written to a temporary file in the target folder and renamed into place, so an
error or an interrupt never leaves a half-written file behind. The temporary file is made
private (mkstemp's 0600), so before the rename it gets the mode a plain `open` would have
given: a replaced file's own, else 0666 less the umask (`default_mode`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError, VerifyException

from patcc.errors import PatccError


def check_folder(path: str | Path) -> Path:
    """The folder an output `path` goes into; an error naming both if it does not exist
    (checked before long work, not after it)."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise PatccError(f"{path}: folder '{folder}' does not exist")
    return folder


def default_mode(base: int = 0o666) -> int:
    """`base` less the process's umask: the mode `open` (0666) or `mkdir` (0777) gives a new
    file or folder. Python 3.11 has no getter for the umask: Linux shows it in
    /proc/self/status; elsewhere it is set and restored (a moment in which another thread's
    new file would get 022)."""
    try:
        status = Path("/proc/self/status").read_text()
        umask = next(
            int(line.split()[1], 8) for line in status.splitlines() if line.startswith("Umask:")
        )
    except (OSError, StopIteration, IndexError, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
    return base & ~umask


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    path = Path(path)
    folder = check_folder(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        mode = path.stat().st_mode & 0o7777 if path.is_file() else default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    def write(f: IO[bytes]) -> None:
        f.write(data)

    atomic_write(path, write)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode())


def module_text(module: ModuleOp) -> str:
    import io

    buf = io.StringIO()
    Printer(stream=buf).print_op(module)
    return buf.getvalue().rstrip("\n") + "\n"


def write_module(path: str | Path, module: ModuleOp) -> None:
    write_text(path, module_text(module))


def read_module(path: str | Path) -> ModuleOp:
    from xdsl.parser import Parser

    from patcc.frontend import make_context

    path = Path(path)
    if not path.is_file():
        raise PatccError(f"{path}: no such file")
    text = path.read_text()
    try:
        module = Parser(make_context(), text, str(path)).parse_module()
        module.verify()
    except ParseError as err:
        first = str(err).strip().splitlines()
        raise PatccError(f"{path}: invalid IR: {first[0] if first else err}") from None
    except VerifyException as err:
        raise PatccError(f"{path}: IR does not verify: {str(err).splitlines()[0]}") from None
    return module


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        raise PatccError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except Exception as err:
        raise PatccError(f"{path}: not a readable .npz file ({err})") from None


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    def write(f: IO[bytes]) -> None:
        np.savez(f, allow_pickle=False, **arrays)

    atomic_write(path, write)
