"""Text table and PNG figure of a pruning report (`patcc prune --report`)."""

from __future__ import annotations

from pathlib import Path

from patcc.errors import PatccError

from .onnx_prune import LayerReport, PruneReport


def _ratio(before: int, after: int) -> str:
    return f"{before / after:.2f}x" if after else "inf"


def _share(before: float, after: float) -> str:
    """What pruning kept of the weights' energy (sum of squares), in %."""
    return f"{100 * after / before:.1f} %" if before else "-"


def _macs(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}M"


def format_prune_report(report: PruneReport) -> str:
    opts = report.options
    lines = [
        f"pattern pruning: K = {opts.patterns} ({opts.scope} scope), "
        f"connectivity rate {opts.connectivity}, first layer "
        f"{'pruned' if opts.first_layer else 'dense'}"
        + (f", blocks of {opts.block} filters" if opts.block > 1 else ""),
        "pattern set: " + " ".join("[" + ",".join(map(str, p)) + "]" for p in report.patterns),
        "",
    ]
    head = (
        "layer",
        "weight",
        "kernels kept",
        "patterns",
        "non-zero weights",
        "compression",
        "energy kept",
        "non-zero MACs",
        "note",
    )
    rows: list[tuple[str, ...]] = []
    for r in report.layers:
        used = sum(1 for _, n in r.pattern_counts if n)
        rows.append(
            (
                r.name,
                "x".join(map(str, r.weight_shape)),
                f"{r.kernels_kept}/{r.kernels}",
                "-" if r.skipped else str(used),
                f"{r.weights_before} -> {r.weights_after}",
                _ratio(r.weights_before, r.weights_after),
                _share(r.energy_before, r.energy_after),
                f"{_macs(r.macs_before)} -> {_macs(r.macs_after)}",
                r.skipped or ("already pruned: lossless" if r.lossless else ""),
            )
        )
    rows.append(_total("pruned layers", report.pruned()))
    rows.append(_total("all convs", report.layers))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines.append(fmt.format(*head).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for i, row in enumerate(rows):
        if i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
        lines.append(fmt.format(*row).rstrip())
    return "\n".join(lines)


def _total(label: str, layers: list[LayerReport]) -> tuple[str, ...]:
    before = sum(r.weights_before for r in layers)
    after = sum(r.weights_after for r in layers)
    macs_known = all(r.output_pixels is not None for r in layers)
    mb = sum(r.macs_before or 0 for r in layers) if macs_known else None
    ma = sum(r.macs_after or 0 for r in layers) if macs_known else None
    return (
        f"total ({label})",
        "",
        f"{sum(r.kernels_kept for r in layers)}/{sum(r.kernels for r in layers)}",
        "",
        f"{before} -> {after}",
        _ratio(before, after),
        _share(sum(r.energy_before for r in layers), sum(r.energy_after for r in layers)),
        f"{_macs(mb)} -> {_macs(ma)}",
        "",
    )


def plot_prune_report(report: PruneReport, path: str | Path) -> None:
    """PNG: the pattern set as 3x3 masks, and per pruned layer the share of each pattern."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PatccError("--plot needs matplotlib: pip install 'patcc[dev]'") from None
    import io

    import numpy as np

    from patcc.fileio import write_bytes

    patterns = report.patterns
    pruned = report.pruned()
    k = max(len(patterns), 1)
    fig = plt.figure(figsize=(max(8.0, 1.1 * k), 6.5))
    grid = fig.add_gridspec(2, k, height_ratios=[1, 3])
    for j, pattern in enumerate(patterns):
        ax = fig.add_subplot(grid[0, j])
        mask = np.zeros(9)
        mask[list(pattern)] = 1
        ax.imshow(mask.reshape(3, 3), cmap="Greys", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"p{j}", fontsize=9)
    ax = fig.add_subplot(grid[1, :])
    bottom = np.zeros(len(pruned))
    kept = np.array([max(r.kernels_kept, 1) for r in pruned], dtype=float)
    for j, pattern in enumerate(patterns):
        counts = np.array([dict(r.pattern_counts).get(pattern, 0) for r in pruned], dtype=float)
        counts = 100.0 * counts / kept
        ax.bar(range(len(pruned)), counts, bottom=bottom, label=f"p{j}")
        bottom += counts
    ax.set_xticks(range(len(pruned)), [r.name for r in pruned], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("share of kept kernels (%)")
    ax.set_ylim(0, 100)
    ax.set_title("pattern use per pruned layer")
    ax.legend(ncol=min(k, 8), fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    write_bytes(path, buf.getvalue())
