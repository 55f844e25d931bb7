"""C targets: `x86-c` and `neon-c` printers of loop-level modules, and what a build needs
(`emit` -> model.c, weights.bin, model.json; `prepare_pipeline`; `CFLAGS`)."""

from patcc.targets.c_targets import C_TARGETS, NeonCTarget, X86CTarget
from patcc.targets.emit import (
    CFLAGS,
    EmittedModel,
    Emitter,
    cflags_for,
    emit,
    emit_for,
    prepare_pipeline,
)
from patcc.targets.weights import weights_blob

__all__ = [
    "CFLAGS",
    "C_TARGETS",
    "EmittedModel",
    "Emitter",
    "NeonCTarget",
    "X86CTarget",
    "cflags_for",
    "emit",
    "emit_for",
    "prepare_pipeline",
    "weights_blob",
]
