"""The report's charts, drawn from its tables with matplotlib as inline SVG.

Needs the ``reports`` extra (``pip install 'plaint[reports]'``, matplotlib). Figures are
made with :class:`matplotlib.figure.Figure` directly — never ``pyplot``, whose global
state and GUI backends a worker or a web process must not touch — and saved through the
SVG backend. Library defaults overridden, and why:

- ``svg.fonttype = "none"``: labels stay text in the SVG (not glyph outlines), so Chinese
  labels are searchable, copyable, a tenth of the size, and the browser prints them with
  its own fonts at any resolution;
- ``font.sans-serif`` starts with a CJK font found on the machine (Debian's
  ``fonts-noto-cjk``: Noto Sans CJK SC, else Source Han Sans, WenQuanYi, Microsoft YaHei,
  PingFang, SimHei); matplotlib uses it to measure the labels and the SVG names it for the
  browser. Without one, the layout falls back to DejaVu Sans metrics (the text still shows
  in the browser's CJK font) and matplotlib's "Glyph … missing" warnings are silenced;
- ``metadata={"Date": None}``: the same figures give the same SVG.

Silencing those warnings changes the process's warning filters for the time of a chart
(``warnings.catch_warnings`` is not thread-safe): render a report in one thread at a time.
"""

from __future__ import annotations

import functools
import io
import math
import re
import warnings
from collections.abc import Sequence
from typing import Any

from plaint.errors import ConfigError
from plaint.service.monthly.tables import Chart, ChartKind, Table

__all__ = ["CJK_FONTS", "chart_svg", "cjk_font"]

CJK_FONTS = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "Noto Sans CJK JP",
)  # fmt: skip
_CJK_FILE = re.compile(r"cjk|han ?sans|wqy|wenquanyi|yahei|pingfang|simhei", re.IGNORECASE)
_COLOURS = ("#1f4e79", "#e69f00", "#009e73", "#cc79a7")  # distinguishable, also in grey
_WIDTH_IN = 7.5
_ROW_IN = 0.32  # height per bar group of a horizontal bar chart, inches
_TARGET_STYLE: dict[str, Any] = {"color": "#c00000", "linestyle": "--", "linewidth": 1}


@functools.cache
def cjk_font() -> str | None:
    """The first font of :data:`CJK_FONTS` matplotlib can use, registering the system's
    CJK font files if its font cache predates them; ``None`` if there is none."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    if (found := known()) is None:
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(path):
                font_manager.fontManager.addfont(path)
        found = known()
    return found


def _rc() -> Any:  # matplotlib types the keys as a Literal of every rcParam name
    """The rcParams of every chart (see the module docstring)."""
    families = [cjk_font()] if cjk_font() else []
    return {
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": [*families, *CJK_FONTS, "DejaVu Sans"],
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def chart_svg(table: Table, chart: Chart) -> str:
    """Draw ``chart`` of ``table``; return the ``<svg>`` element (no XML prologue), ready
    to inline in HTML. Raises ConfigError when matplotlib is not installed."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigError(
            "the monthly report's charts need matplotlib: pip install 'plaint[reports]'"
        ) from exc
    rows = table.rows[:-1] if chart.without_total else table.rows
    with matplotlib.rc_context(_rc()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        if chart.kind is ChartKind.TREND:
            figure = Figure(figsize=(_WIDTH_IN, 3.6))
            _trend(figure, rows, chart)
        else:
            height = 1.4 + _ROW_IN * max(len(rows), 1) * _bars(chart)
            figure = Figure(figsize=(_WIDTH_IN, height))
            _bars_chart(figure, rows, chart)
        figure.suptitle(chart.title, fontsize=11)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _bars(chart: Chart) -> float:
    return 1 + 0.5 * (len(chart.values) - 1)


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _bars_chart(figure: Any, rows: Sequence[tuple[Any, ...]], chart: Chart) -> None:
    """Horizontal bars, the first row on top, one bar per value column."""
    axes = figure.add_subplot()
    labels = [str(row[chart.label]) for row in rows]
    count = len(chart.values)
    height = 0.8 / count
    for i, (column, name) in enumerate(zip(chart.values, chart.series, strict=True)):
        positions = [n + (i - (count - 1) / 2) * height for n in range(len(rows))]
        values = [_number(row[column]) for row in rows]
        bars = axes.barh(positions, values, height=height, label=name,
                         color=_COLOURS[i % len(_COLOURS)])  # fmt: skip
        axes.bar_label(bars, fmt="%g", padding=2, fontsize=7)
    for target in chart.targets:
        axes.axvline(target, **_TARGET_STYLE)
        axes.annotate(f"目标 {target:g}", (target, 1), xycoords=("data", "axes fraction"),
                      fontsize=7, color=_TARGET_STYLE["color"], ha="right")  # fmt: skip
    axes.set_yticks(range(len(rows)), labels)
    axes.invert_yaxis()
    axes.set_xlabel(chart.axis)
    axes.margins(x=0.12)
    if count > 1:  # below the plot, where it hides no bar
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=count, fontsize=8,
                    frameon=False)  # fmt: skip


def _trend(figure: Any, rows: Sequence[tuple[Any, ...]], chart: Chart) -> None:
    """Columns of the first value column, lines of the others on a 0-100 % axis."""
    axes = figure.add_subplot()
    labels = [str(row[chart.label]) for row in rows]
    volume, *shares = chart.values
    bars = axes.bar(labels, [_number(r[volume]) for r in rows], color="#c9d6e3",
                    label=chart.series[0])  # fmt: skip
    axes.bar_label(bars, fmt="%g", fontsize=7)
    axes.set_ylabel(chart.axis)
    percent_axes = axes.twinx()
    for i, (column, name) in enumerate(zip(shares, chart.series[1:], strict=True)):
        percent_axes.plot(labels, [_number(r[column]) for r in rows], marker="o",
                          color=_COLOURS[i % len(_COLOURS)], label=name)  # fmt: skip
    for target in chart.targets:
        percent_axes.axhline(target, **_TARGET_STYLE)
    percent_axes.set_ylim(0, 105)
    percent_axes.set_ylabel("% 达标 met")
    handles = [*axes.get_legend_handles_labels()[0], *percent_axes.get_legend_handles_labels()[0]]
    percent_axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1),
                        ncol=len(handles), fontsize=8, frameon=False)  # fmt: skip
