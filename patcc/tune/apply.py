"""Per-layer schedules into the IR: `pat.schedule` on each tuned layer's op.

The driver calls `set_schedules` right before lower-to-loops, with the layer report it took
there (the tensor-level rows, whose signatures key the tuning log): lower-to-loops builds
each marked layer's nest with its own vector length and row blocks and passes the schedule
on to its loops, which tile-conv then tiles by the layer's own sizes. `LogSchedules` is the
usual source: the fastest schedule of each layer's key in a tuning log, looked up without
measuring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp

from patcc.tune.log import Key, TuningLog
from patcc.tune.space import Schedule, signature, tunable

ScheduleSource = Callable[[Mapping[str, Any]], Schedule | None]
"""A layer's report row -> its schedule, or None for the pipeline's default."""


def schedule_attr(s: Schedule) -> DictionaryAttr:
    values = {**s.as_dict(), "lre": int(s.lre)}
    return DictionaryAttr({k: IntegerAttr(v, 64) for k, v in values.items()})


def set_schedules(
    rows: list[dict[str, Any]], module: ModuleOp, source: ScheduleSource
) -> list[dict[str, Any]]:
    """Mark each layer `source` has a schedule for (a tensor-level module); returns those
    rows, each with the schedule added under "tuned" (report.json says which were tuned)."""
    from patcc.lowering.layers import SCHEDULE_ATTR
    from patcc.runtime.layer_report import paired_tensor_layers

    marked = []
    for row, op in paired_tensor_layers(rows, module):
        schedule = source(row)
        if schedule is None:
            continue
        op.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)
        row["tuned"] = schedule.as_dict()
        marked.append(row)
    return marked


def tuned_layers(report: Mapping[str, Any]) -> int:
    """How many layers of a build's report.json took a schedule (`set_schedules` marks them)."""
    return sum("tuned" in row for row in report.get("layers", []))


@dataclass(frozen=True)
class LogSchedules:
    """The fastest logged schedule of each pattern conv's key (`ScheduleSource`)."""

    log: TuningLog
    target: str
    cpu: str
    threads: int
    vector_length: int

    def key(self, row: Mapping[str, Any]) -> Key:
        return Key(signature(row), self.target, self.cpu, self.threads, self.vector_length)

    def __call__(self, row: Mapping[str, Any]) -> Schedule | None:
        return self.log.best(self.key(row)) if tunable(row) else None

    def miss(self) -> str:
        """Why the log can give this build no schedule at all, "" when some record shares
        its target, CPU, threads and vector length (the layers are then other shapes): a log
        tuned on 2 threads keys nothing of a 1-thread build, which would build untuned."""
        ours = (self.target, self.cpu, self.threads, self.vector_length)
        theirs = {
            (r.key.target, r.key.cpu, r.key.threads, r.key.vector_length) for r in self.log.records
        }
        if not theirs:
            return "the log has no records"
        if ours in theirs:
            return ""
        names = ("target", "CPU", "threads", "vector length")

        def shown(i: int, value: object) -> str:  # threads 0: `patcc compile`'s default
            return "the default (all cores)" if i == 2 and value == 0 else str(value)

        parts = [
            f"{name} {', '.join(sorted({shown(i, t[i]) for t in theirs}))}"
            f" (here {shown(i, ours[i])})"
            for i, name in enumerate(names)
            if ours[i] not in {t[i] for t in theirs}
        ]
        return "its records are for " + (
            "; ".join(parts) or "other combinations of " + ", ".join(names)
        )


def fixed(schedule: Schedule) -> ScheduleSource:
    """One schedule for every pattern conv (what the tuner measures a layer with)."""
    return lambda row: schedule if tunable(row) else None
