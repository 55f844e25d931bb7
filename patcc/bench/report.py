"""The bench's outputs: a Markdown table (also what the terminal shows), JSON, a bar chart.

Every contender runs the same pruned model, so the effective GFLOP/s of each is counted on
the same work: 2 x the non-zero MACs per inference. Against sgemm's GFLOP/s, measured as one
more contender of the same round-robin (so under the same foreign load), that says how much
of the machine a contender's time turns into useful arithmetic.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from patcc.fileio import write_bytes, write_text


def _gflops(result: dict[str, Any], ms: float) -> float | None:
    nz = result.get("nonzero_macs")
    return None if not nz else 2.0 * nz / (ms * 1e-3) / 1e9


TUNED = "patcc-tuned"  # the build with the tuning log's schedules, beside the untuned one


def _speedup(ms: float, runs: dict[str, Any], who: str, name: str) -> str:
    """How much faster `who` ran than the row `name` ("" on its own row or when absent)."""
    if name == who or who not in runs:
        return ""
    return f"{ms / runs[who]['median_ms']:.2f}x"


def table(result: dict[str, Any]) -> str:
    """One Markdown table over all thread counts, then the compile times. With a tuned
    build in the runs, a second speed-up column compares every row with it."""
    tuned = any(TUNED in run["results"] for run in result["runs"])
    extra = (" tuned speed-up |", " ---: |") if tuned else ("", "")
    lines = [
        f"| threads | runtime | median ms | IQR ms | patcc speed-up |{extra[0]} "
        "GFLOP/s (non-zero) | % of sgemm | note |",
        f"| ---: | --- | ---: | ---: | ---: |{extra[1]} ---: | ---: | --- |",
    ]
    for run in result["runs"]:
        threads = run["threads"]
        peak = run.get("sgemm_gflops") or result["peak_gflops"][str(threads)]
        for name, s in run["results"].items():
            ms = s["median_ms"]
            gf = _gflops(result, ms)
            speedup = _speedup(ms, run["results"], "patcc", name)
            if tuned:
                speedup += f" | {_speedup(ms, run['results'], TUNED, name)}"
            note = s.get("note", "")
            if "max_rel_diff" in s:
                note = (note + "; " if note else "") + f"diff {s['max_rel_diff']:.1e}"
            label = f"{name} {s.get('version', '')}".strip()
            gf_text = "" if gf is None else f"{gf:.1f}"
            frac = "" if gf is None else f"{100 * gf / peak:.0f} %"
            lines.append(
                f"| {threads} | {label} | {ms:.1f} | {s['iqr_ms']:.1f} | {speedup} | "
                f"{gf_text} | {frac} | {note} |"
            )
        for name, reason in run["skipped"].items():
            lines.append(
                f"| {threads} | {name} | | | |{' |' if tuned else ''} | | | skipped: {reason} |"
            )
    peaks = ", ".join(f"{t} thread(s) {g:.1f}" for t, g in result["peak_gflops"].items())
    during = ", ".join(
        f"{r['threads']}: {r['sgemm_gflops']:.1f}" for r in result["runs"] if "sgemm_gflops" in r
    )  # (absent from JSON written before sgemm joined the round-robin)
    c = result["compile"]
    emit = "n/a" if c.get("emit_s") is None else f"{c['emit_s']:.2f} s"
    lines += [
        "",
        f"sgemm GFLOP/s, best alone: {peaks}; median in the round-robin (the % of peak "
        f"column's base): {during}.",
        f"Pruning: {_pruning(result)}; non-zero MACs: {result.get('nonzero_macs')} of "
        f"{result.get('macs')} dense.",
        f"patcc compile: import -> emitted source {emit}, with the C compiler "
        f"{c['total_s']:.2f} s in all.",
    ]
    if "tuned_layers" in result:
        miss = result.get("tuned_miss")
        why = f" ({miss}; the bench looks up its first thread count)" if miss else ""
        lines.append(f"{TUNED}: layers with tuned schedules: {result['tuned_layers']}{why}.")
    if result.get("layers"):
        lines += ["", layer_table(result)]
    return "\n".join(lines)


def _pruning(result: dict[str, Any]) -> str:
    """The pruning options of a result (block absent from JSON written before it existed)."""
    block = result.get("block", 1)
    blocks = f", blocks of {block} filters" if block > 1 else ""
    return f"{result['patterns']} patterns, connectivity {result['connectivity']}{blocks}"


def layer_table(result: dict[str, Any]) -> str:
    """Per conv layer: patcc's time, each peer's (those that ran on some layer, in the
    order of the rows' keys) and patcc's speed-up over it, and patcc's share of the peak."""
    peaks = result["peak_gflops"]
    peers = list(
        dict.fromkeys(
            key[: -len("_ms")]
            for row in result["layers"]
            for key in row
            if key.endswith("_ms") and key != "patcc_ms"
        )
    )
    head = "".join(f" {p} ms | vs {p} |" for p in peers)
    lines = [
        f"| layer | threads | shape | patcc ms |{head} patcc % peak |",
        "| --- | ---: | --- | ---: |" + " ---: | ---: |" * len(peers) + " ---: |",
    ]
    for row in result["layers"]:
        mine = row["patcc_ms"]
        gf = 2.0 * row["nonzero_macs"] / (mine * 1e-3) / 1e9
        frac = 100 * gf / peaks[str(row["threads"])]
        cells = ""
        for p in peers:
            theirs = row.get(f"{p}_ms")
            cells += " | |" if theirs is None else f" {theirs:.2f} | {theirs / mine:.2f}x |"
        lines.append(
            f"| {row['name']} | {row['threads']} | {row['shape']} | {mine:.2f} |{cells} "
            f"{frac:.0f} % |"
        )
    return "\n".join(lines)


def write_json(result: dict[str, Any], path: Path) -> None:
    write_text(path, json.dumps(result, indent=2) + "\n")


def write_png(result: dict[str, Any], path: Path) -> None:
    """Grouped bars: median ms per runtime, one group per thread count (small, for a README)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["runs"]
    names = list(dict.fromkeys(n for r in runs for n in r["results"]))
    fig, ax = plt.subplots(figsize=(6, 3), dpi=80)
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        xs, ys = [], []
        for j, run in enumerate(runs):
            if name in run["results"]:
                xs.append(j + i * width)
                ys.append(run["results"][name]["median_ms"])
        bars = ax.bar(xs, ys, width, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(runs))])
    ax.set_xticklabels([f"{r['threads']} thread(s)" for r in runs])
    ax.set_ylabel("median ms (lower is better)")
    ax.set_title(f"{result['model']} ({_pruning(result)})", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes(path, buf.getvalue())
