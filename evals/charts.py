"""PNG bar charts of evaluation figures, drawn on matplotlib's Agg canvas (no display, no global pyplot state)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

MAX_WIDTH_IN = 16.0


def heatmap(path: Path, title: str, rows: Sequence[str], columns: Sequence[str],
            cells: dict[tuple[str, str], tuple[float, int]], row_label: str, column_label: str) -> Path:
    """A grid of rates (0-1) with each cell's value and n written in it; an empty cell (no questions) stays blank."""
    grid = [[cells[(r, c)][0] if (r, c) in cells else float("nan") for c in columns] for r in rows]
    figure = Figure(figsize=(min(MAX_WIDTH_IN, 2.0 + 0.9 * len(columns)), 1.6 + 0.5 * len(rows)), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(grid, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    for (row, column), (value, n) in cells.items():
        y, x = rows.index(row), columns.index(column)
        # Dark text on the light end of the scale, light text on the dark end.
        axes.text(x, y, f"{value:.2f}\n({n})", ha="center", va="center", fontsize="small",
                  color="black" if value > 0.6 else "white")
    axes.set_xticks(range(len(columns)), columns)
    axes.set_yticks(range(len(rows)), rows)
    axes.set_xlabel(column_label)
    axes.set_ylabel(row_label)
    axes.set_title(title)
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path)
    return path


def grouped_bars(path: Path, title: str, categories: Sequence[str], series: dict[str, Sequence[float | None]],
                 ylabel: str = "score", ylim: tuple[float, float] | None = (0.0, 1.0)) -> Path:
    """One group of bars per category, one bar per series; a missing value (None) leaves a gap."""
    width = 0.8 / max(len(series), 1)
    inches = min(MAX_WIDTH_IN, max(6.0, 0.6 + len(categories) * (0.15 + 0.12 * len(series))))
    figure = Figure(figsize=(inches, 4.2), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for index, (label, values) in enumerate(series.items()):
        offsets = [position + (index - (len(series) - 1) / 2) * width for position in range(len(categories))]
        present = [(x, v) for x, v in zip(offsets, values) if v is not None]
        axes.bar([x for x, _ in present], [v for _, v in present], width, label=label)
        for x, value in zip(offsets, values):
            if value is None:  # so that "not measured" does not read as a zero
                axes.text(x, 0, "–", ha="center", va="bottom", color="grey", fontsize="small")
    axes.set_xticks(range(len(categories)), categories, rotation=30 if len(categories) > 6 else 0, ha="right"
                    if len(categories) > 6 else "center")
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    if ylim:
        # Headroom above the bars for the legend.
        axes.set_ylim(ylim[0], ylim[1] * (1.15 if len(series) > 1 else 1.0))
    axes.grid(axis="y", alpha=0.3)
    if len(series) > 1:
        axes.legend(fontsize="small", ncols=min(len(series), 6), loc="upper center")
    figure.tight_layout()
    figure.savefig(path)
    return path
