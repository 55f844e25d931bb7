"""`CompiledModel`: a build folder loaded for running, with the inputs checked against the
model's names, shapes and dtype before any C code sees them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from patcc.errors import PatccError
from patcc.runtime.backends import BACKENDS, Backend, RunOptions
from patcc.runtime.metadata import ModelMeta, TensorSpec, read_meta


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def target_name(meta: ModelMeta) -> str:
    """model.json may name the xDSL printer (`x86-c`); the runtime knows the family (`x86`)."""
    return meta.target.removesuffix("-c")


class CompiledModel:
    """A compiled model, ready to run: `model.run({"input": x})` -> {output name: array};
    `model(x)` -> the output (a tuple when the model has several).

    `simde=True` runs a neon build on x86 through SIMDe instead of qemu-aarch64; `threads`
    (None: the build's default) can be overridden per call; `device` names an OpenCL device.
    """

    def __init__(
        self,
        build_dir: str | Path,
        *,
        simde: bool = False,
        threads: int | None = None,
        device: str | None = None,
    ) -> None:
        check_threads(threads)
        self.build_dir = Path(build_dir)
        self.meta = read_meta(self.build_dir)
        self.target = target_name(self.meta)
        self.threads = threads
        if simde and self.target != "neon":
            raise PatccError(
                f"{self.build_dir}: SIMDe runs neon builds; this is a {self.target} build"
            )
        factory = BACKENDS.get(self.target)
        if factory is None:
            raise PatccError(
                f"{self.build_dir}: target '{self.meta.target}' has no runtime yet "
                f"(runnable: {', '.join(sorted(BACKENDS))})"
            )
        self.backend: Backend = factory(self.build_dir, self.meta, RunOptions(simde, device))

    @property
    def inputs(self) -> tuple[TensorSpec, ...]:
        return self.meta.inputs

    @property
    def outputs(self) -> tuple[TensorSpec, ...]:
        return self.meta.outputs

    def run(
        self, inputs: Mapping[str, np.ndarray], *, threads: int | None = None
    ) -> dict[str, np.ndarray]:
        names = [t.name for t in self.inputs]
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            raise PatccError(f"unknown input '{unknown[0]}' (inputs: {', '.join(names)})")
        missing = [n for n in names if n not in inputs]
        if missing:
            raise PatccError(f"missing input '{missing[0]}' (inputs: {', '.join(names)})")
        arrays = [_checked(spec, inputs[spec.name]) for spec in self.inputs]
        check_threads(threads)
        n = threads if threads is not None else self.threads
        outputs = self.backend.run(arrays, 0 if n is None else n)
        return {t.name: a for t, a in zip(self.outputs, outputs, strict=True)}

    def __call__(self, *arrays: np.ndarray) -> np.ndarray | tuple[np.ndarray, ...]:
        if len(arrays) != len(self.inputs):
            raise PatccError(f"the model takes {len(self.inputs)} inputs, got {len(arrays)}")
        outputs = self.run({t.name: a for t, a in zip(self.inputs, arrays, strict=True)})
        values = tuple(outputs.values())
        return values[0] if len(values) == 1 else values

    def __repr__(self) -> str:
        sig = ", ".join(f"{t.name}: {_shape_text(t.shape)}" for t in self.inputs)
        return f"CompiledModel({str(self.build_dir)!r}, target={self.target!r}, inputs=({sig}))"


def check_threads(threads: int | None) -> None:
    """A thread count the user gave must be >= 1 (the C entry point would read 0 or less as
    its default, silently); `compile` checks its own with this too."""
    if threads is not None and threads < 1:
        raise PatccError(f"threads must be >= 1, got {threads}")


def _checked(spec: TensorSpec, value: object) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != np.float32:
        raise PatccError(f"input '{spec.name}': dtype {array.dtype}, expected float32")
    if array.shape != spec.shape:
        raise PatccError(
            f"input '{spec.name}': shape {_shape_text(array.shape)}, "
            f"expected {_shape_text(spec.shape)}"
        )
    return np.ascontiguousarray(array)
