"""Trend charts as PNG bytes, for `/content stats` and the daily digest (uploaded with files_upload_v2).

matplotlib's object API with the Agg canvas: no display, no pyplot global state, so charts
can be drawn from several threads of one worker.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateFormatter, AutoDateLocator, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from core.trends import Series

Measure = Literal["views", "saves", "save_rate"]
LABELS = {"views": "views gained per day", "saves": "saves gained per day", "save_rate": "save rate"}


def trend_chart(
    series: Sequence[Series],
    measure: Measure = "views",
    *,
    title: str = "",
    width_px: int = 1000,
    height_px: int = 500,
) -> bytes:
    """One line per series over its days; a day without a save rate leaves a gap, not a zero."""
    dpi = 100
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for line in series:
        days = date2num([p.day for p in line.points])
        if measure == "save_rate":
            values: list[float] = [
                p.gain.save_rate if p.gain.save_rate is not None else float("nan") for p in line.points
            ]
        else:
            values = [float(getattr(p.gain, measure)) for p in line.points]
        axes.plot(days, values, marker="o", markersize=3, linewidth=1.8, label=line.key)
    # The x values are day numbers (date2num), so the axis is told to read them as dates.
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(AutoDateFormatter(locator))
    axes.set_title(title or LABELS[measure].capitalize())
    axes.set_ylabel(LABELS[measure])
    if measure == "save_rate":
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
    else:
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    if not series or all(not line.points for line in series):
        axes.text(0.5, 0.5, "no data for this period", ha="center", va="center", transform=axes.transAxes)
    elif len(series) > 1:
        axes.legend(loc="upper left", frameon=False)
    figure.autofmt_xdate()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    return out.getvalue()
