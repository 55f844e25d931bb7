"""model.json: what a build folder holds (target, inputs, outputs, buffer sizes), read back
with every field checked, so a damaged folder is a one-line error rather than a crash."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patcc.errors import PatccError

FORMAT = 1


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"

    @property
    def elems(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class ModelMeta:
    target: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    weights: str
    weights_bytes: int
    workspace_bytes: int
    threads: int | None
    raw: dict[str, Any]  # the whole file, for target-specific fields


def _specs(path: Path, data: dict[str, Any], key: str) -> tuple[TensorSpec, ...]:
    try:
        return tuple(
            TensorSpec(str(t["name"]), tuple(int(d) for d in t["shape"]), str(t["dtype"]))
            for t in data[key]
        )
    except (KeyError, TypeError, ValueError) as err:
        raise PatccError(f"{path}: malformed '{key}' entry ({err!r})") from None


def read_meta(build_dir: str | Path) -> ModelMeta:
    path = Path(build_dir) / "model.json"
    if not Path(build_dir).is_dir():
        raise PatccError(f"{build_dir}: no such folder")
    if not path.is_file():
        raise PatccError(f"{build_dir}: not a patcc build folder (no model.json)")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise PatccError(f"{path}: unreadable ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PatccError(f"{path}: not a model.json of format {FORMAT}")
    try:
        threads = data.get("threads")
        return ModelMeta(
            target=str(data["target"]),
            inputs=_specs(path, data, "inputs"),
            outputs=_specs(path, data, "outputs"),
            weights=str(data.get("weights", "weights.bin")),
            weights_bytes=int(data["weights_bytes"]),
            workspace_bytes=int(data["workspace_bytes"]),
            threads=None if threads is None else int(threads),
            raw=data,
        )
    except (KeyError, TypeError, ValueError) as err:
        raise PatccError(f"{path}: missing or malformed field ({err!r})") from None
