"""Per-layer schedules into the IR: `pat.schedule` on each tuned layer's loop nest.

The driver calls `set_schedules` right after lower-to-loops, with the layer report it took
just before (the tensor-level rows, whose signatures key the tuning log); tile-conv then
tiles each marked layer by its own sizes. `LogSchedules` is the usual source: the fastest
schedule of each layer's key in a tuning log, looked up without measuring.
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
    values = {"oc": s.oc, "oh": s.oh, "ow": s.ow, "lre": int(s.lre)}
    return DictionaryAttr({k: IntegerAttr(v, 64) for k, v in values.items()})


def set_schedules(
    rows: list[dict[str, Any]], module: ModuleOp, source: ScheduleSource
) -> list[dict[str, Any]]:
    """Mark each layer `source` has a schedule for; returns those rows, each with the
    schedule added under "tuned" (so report.json says which layers were tuned)."""
    from patcc.passes.tile_conv import SCHEDULE_ATTR
    from patcc.runtime.layer_report import paired_loop_layers

    marked = []
    for row, _, tops in paired_loop_layers(rows, module):
        schedule = source(row)
        if schedule is None:
            continue
        for top in tops:
            top.attributes[SCHEDULE_ATTR] = schedule_attr(schedule)
        row["tuned"] = schedule.as_dict()
        marked.append(row)
    return marked


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


def fixed(schedule: Schedule) -> ScheduleSource:
    """One schedule for every pattern conv (what the tuner measures a layer with)."""
    return lambda row: schedule if tunable(row) else None
