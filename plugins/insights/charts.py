"""Weekly series drawn as accessible SVG on the server: pure functions of plain data.

A chart works without JavaScript and prints: the SVG carries a title, a text alternative
(``<desc>``, a sentence a screen reader says), labelled axes, and the page shows the same data as
a table beside it (``Chart.rows``), which the CSV download repeats cell for cell. Numbers and
dates are written as people in France read them ("1 234,5", "5 janv. 2026").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
THIN_SPACE = "\u202f"  # the narrow no-break space French typography puts between thousands
# Two series are told apart by their stroke pattern as well as their colour (contrast ≥ 3:1 on white).
STYLES = (("#1f4e9c", ""), ("#a3360b", "6 4"), ("#2e6b2e", "2 3"), ("#6b2e8f", "10 3 2 3"))
# Drawn small, so that a phone's 390 pixels shrink its text little; the legend stacks below the plot.
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, LEGEND_ROW, FONT = 420, 210, 44, 10, 30, 30, 18, 13


def french_number(value: float | None, decimals: int = 0) -> str:
    """``value`` as French text: "1 234", "12,5"; "–" for a missing value."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}".replace(",", THIN_SPACE).replace(".", ",")
    return "0" if text in ("-0", "-0,0") else text


def french_date(day: date) -> str:
    """A day as French text: "5 janv. 2026"."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Series:
    """One line or row of bars: a label and one value per week (None: no figure that week)."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """A weekly chart: its title, what its figures count, its weeks (each week's Monday) and series.

    ``decimals`` is how numbers are written; ``line`` draws lines instead of bars (used when
    series are compared: bars side by side at 52 weeks would be unreadable).
    """

    key: str  # the chart's name in the page's ids and in its CSV's name
    title: str
    unit: str
    weeks: tuple[date, ...]
    series: tuple[Series, ...]
    decimals: int = 0
    line: bool = False

    def rows(self) -> list[list[str]]:
        """The chart's data as a table: a header, then one row per week (the table and the CSV)."""
        header = ["Semaine du", *(f"{series.label} ({self.unit})" for series in self.series)]
        return [header, *([french_date(week), *(french_number(series.values[index], self.decimals)
                                                for series in self.series)]
                          for index, week in enumerate(self.weeks))]

    def summary(self) -> str:
        """The text alternative: the period, and each series' total or mean and its highest week."""
        if not self.weeks:
            return f"{self.title} : aucune donnée."
        parts = []
        for series in self.series:
            known = [(value, week) for value, week in zip(series.values, self.weeks, strict=True) if value is not None]
            if not known:
                parts.append(f"{series.label} : aucune donnée")
                continue
            top, top_week = max(known, key=lambda item: item[0])
            if not top:
                parts.append(f"{series.label} : aucune sur la période")
                continue
            mean = sum(value for value, _ in known) / len(known)
            parts.append(f"{series.label} : en moyenne {french_number(mean, max(self.decimals, 1))} {self.unit} "
                         f"par semaine, au plus {french_number(top, self.decimals)} la semaine du "
                         f"{french_date(top_week)}")
        return (f"{self.title}, du {french_date(self.weeks[0])} au {french_date(self.weeks[-1])}. "
                + " ; ".join(parts) + ".")


def csv_rows(charts: tuple[Chart, ...]) -> list[list[str]]:
    """Every series of ``charts`` as CSV rows, one a week and series, for spreadsheets: ISO dates
    and numbers without thousands separator, with a decimal comma as French spreadsheets read."""
    header = ["graphique", "serie", "semaine", "valeur", "unite"]
    return [header, *([chart.title, series.label, week.isoformat(),
                       "" if value is None else f"{value:.{chart.decimals}f}".replace(".", ","), chart.unit]
                      for chart in charts for series in chart.series
                      for week, value in zip(chart.weeks, series.values, strict=True))]


def tick_step(highest: float) -> float:
    """The step between the value axis' five ticks: 1, 2, 2.5 or 5 times a power of ten, so that
    four steps reach ``highest``."""
    if highest <= 0:
        return 0.25
    quarter = highest / 4
    power = 10 ** math.floor(math.log10(quarter))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= quarter)


def svg(chart: Chart) -> Markup:
    """The chart as an SVG element, safe to place in a page (every text is escaped)."""
    ids = f"graphique-{escape(chart.key)}"
    values = [value for series in chart.series for value in series.values if value is not None]
    step_value = tick_step(max(values, default=0))
    top = 4 * step_value
    tick_decimals = 0 if step_value == int(step_value) else 2 if step_value * 10 % 1 else 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(chart.weeks), 1)
    step = plot_w / count

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    height = HEIGHT + (LEGEND_ROW * len(chart.series) + 4 if chart.line else 0)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'class="graphique" aria-labelledby="{ids}-titre {ids}-desc">'),
             f'<title id="{ids}-titre">{escape(chart.title)}</title>',
             f'<desc id="{ids}-desc">{escape(chart.summary())}</desc>']
    for tick in range(5):  # the value axis: 0, a quarter, half… of the top, with a light grid
        value = top * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#d0d0d0" stroke-width="1"/>'
                     f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="{FONT}" '
                     f'fill="#333">{escape(french_number(value, tick_decimals))}</text>')
    parts.append(f'<text x="4" y="{TOP - 4}" font-size="{FONT}" fill="#333">{escape(chart.unit)}</text>')
    parts.extend(_week_labels(chart.weeks, step))
    parts.extend(_lines(chart, step, y) if chart.line else _bars(chart, step, y))
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _week_labels(weeks: tuple[date, ...], step: float) -> list[str]:
    """About four dates along the time axis, the first week of the period included."""
    every = max(1, math.ceil(len(weeks) / 4))
    return [f'<text x="{LEFT + index * step + step / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="{FONT}" fill="#333">{escape(french_date(week))}</text>'
            for index, week in enumerate(weeks) if index % every == 0]


def _bars(chart: Chart, step: float, y) -> list[str]:  # noqa: ANN001 - the value-to-height function
    width = step / len(chart.series) if chart.series else step
    return [f'<rect x="{LEFT + index * step + number * width + width * 0.1:.1f}" y="{y(value):.1f}" '
            f'width="{width * 0.8:.1f}" height="{y(0) - y(value):.1f}" fill="{STYLES[number % len(STYLES)][0]}"/>'
            for number, series in enumerate(chart.series)
            for index, value in enumerate(series.values) if value]


def _lines(chart: Chart, step: float, y) -> list[str]:  # noqa: ANN001 - the value-to-height function
    drawn = []
    for number, series in enumerate(chart.series):
        colour, dashes = STYLES[number % len(STYLES)]
        points = " ".join(f"{LEFT + index * step + step / 2:.1f},{y(value):.1f}"
                          for index, value in enumerate(series.values) if value is not None)
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        drawn.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        values = (None, *series.values, None)
        # A week alone between missing ones draws no line: a dot shows it.
        drawn.extend(f'<circle cx="{LEFT + index * step + step / 2:.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"/>'
                     for index, value in enumerate(series.values)
                     if value is not None and values[index] is None and values[index + 2] is None)
        # The legend, one line a series below the plot, drawn with each line's own pattern.
        row = HEIGHT + LEGEND_ROW * number + 10
        drawn.append(f'<line x1="{LEFT}" x2="{LEFT + 28}" y1="{row}" y2="{row}" stroke="{colour}" '
                     f'stroke-width="2"{dash}/><text x="{LEFT + 34}" y="{row + 4}" font-size="{FONT}" '
                     f'fill="#333">{escape(series.label)}</text>')
    return drawn
