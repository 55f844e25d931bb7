"""The tuning log: one JSON object a line, appended as each measurement finishes.

Appending line by line makes the log resumable (a run stopped at any point loses at most the
measurement in flight; a torn last line is skipped on reading) and shareable (logs from
several runs or machines concatenate with `cat`). A record is keyed by the layer signature,
the target, the CPU model and the model-wide knobs (threads, vector length), so a log from
another machine never decides a schedule here; later compiles take the fastest schedule of
their key without measuring.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patcc.errors import PatccError
from patcc.tune.space import Schedule


@dataclass(frozen=True)
class Key:
    signature: str
    target: str
    cpu: str
    threads: int
    vector_length: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "signature": self.signature,
            "target": self.target,
            "cpu": self.cpu,
            "threads": self.threads,
            "vector_length": self.vector_length,
        }


@dataclass(frozen=True)
class Record:
    key: Key
    schedule: Schedule
    ms: float | None  # None: the schedule failed to compile or run (`error` says why)
    layer: str = ""
    error: str = ""


class TuningLog:
    """A JSON-lines file of `Record`s, read whole at open and appended to after."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.records: list[Record] = _read(self.path) if self.path.exists() else []

    def append(self, record: Record) -> None:
        line = {
            "key": record.key.as_dict(),
            "schedule": record.schedule.as_dict(),
            "ms": record.ms,
            "layer": record.layer,
            "error": record.error,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(json.dumps(line) + "\n")
        self.records.append(record)

    def measured(self, key: Key) -> dict[Schedule, float | None]:
        """Every schedule tried for `key` (its ms, None if it failed): what not to re-measure."""
        return {r.schedule: r.ms for r in self.records if r.key == key}

    def best(self, key: Key) -> Schedule | None:
        """The fastest schedule measured for `key`, or None."""
        ok = [(r.ms, r.schedule) for r in self.records if r.key == key and r.ms is not None]
        return min(ok, key=lambda t: t[0])[1] if ok else None


def existing_log(path: Path) -> TuningLog:
    """The log a build or a bench reads without tuning: a missing file is a typo there
    (it would build untuned without a word), not an empty log to start."""
    if not path.is_file():
        raise PatccError(f"{path}: no such tuning log (patcc tune or --tune writes one)")
    return TuningLog(path)


def _read(path: Path) -> list[Record]:
    """The records of a log. Lines that do not parse are skipped (a torn line of a run
    stopped mid-write, or a record of another version), but a file that is not text, or
    has no record and a line that is not even a JSON object, is not a tuning log: an
    error rather than a silently untuned build (a model file passed by mistake)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PatccError(f"{path}: not a tuning log (not text; JSON lines expected)") from None
    except OSError as err:
        raise PatccError(f"{path}: cannot read the tuning log ({err.strerror})") from None
    lines = text.splitlines()
    records = [r for line in lines if (r := _record(line)) is not None]
    foreign = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("{")]
    if not records and foreign:
        raise PatccError(f"{path}: not a tuning log (no record; JSON lines expected)")
    return records


def _record(line: str) -> Record | None:
    try:
        d: Mapping[str, Any] = json.loads(line)
        return Record(
            Key(**d["key"]),
            Schedule.from_dict(d["schedule"]),
            None if d.get("ms") is None else float(d["ms"]),
            d.get("layer", ""),
            d.get("error", ""),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a torn line (a run stopped mid-write) or a foreign one
