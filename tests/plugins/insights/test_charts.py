"""Charts and weekly figures, as pure functions: no app, no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from plugins.insights.charts import Chart, Series, french_date, french_number, svg, tick_step
from plugins.insights.weeks import gini, monday, ratio, weekly, weeks_ending

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = weeks_ending(date(2026, 3, 4), 3)


def test_numbers_and_dates_are_written_the_french_way():
    assert french_number(1234567) == "1\u202f234\u202f567"
    assert french_number(12.5, 1) == "12,5"
    assert french_number(-0.01, 1) == "0"
    assert french_number(None) == "–"
    assert french_date(date(2026, 1, 5)) == "5 janv. 2026"
    assert french_date(date(2026, 8, 31)) == "31 août 2026"


def test_weeks_start_on_monday_and_end_with_the_given_day():
    assert WEEKS == (date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2))
    assert monday(date(2026, 3, 8)) == date(2026, 3, 2)
    days = {date(2026, 2, 16): 2, date(2026, 2, 22): 3, date(2026, 3, 3): 1, date(2025, 1, 1): 99}
    assert weekly(days, WEEKS) == (5, 0, 1)
    assert ratio((1, 2, 0), (2, 0, 4), 100) == (50.0, None, 0.0)


@pytest.mark.parametrize("values, expected", [([], 0.0), ([0, 0], 0.0), ([3, 3, 3], 0.0), ([0, 0, 0, 4], 0.75)])
def test_gini_is_zero_when_even_and_grows_as_offers_concentrate(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_the_value_axis_steps_by_round_numbers():
    assert [tick_step(value) for value in (0, 0.3, 7, 12, 180, 2600)] == [0.25, 0.1, 2, 5, 50, 1000]
    root = ET.fromstring(str(svg(_chart(series=(Series("Demandes", (1.0, 4.2, 0.0)),)))))
    assert [text.text for text in root.iter(f"{SVG}text")][:5] == ["0", "2", "4", "6", "8"]


def _chart(**overrides) -> Chart:
    fields = {"key": "visites", "title": "Visites de la fiche", "unit": "visites", "weeks": WEEKS,
              "series": (Series("Votre fiche", (3.0, 0.0, 1234.0)), Series("Comparables <moyenne>", (1.0, None, 2.0)))}
    return Chart(**{**fields, **overrides})


def test_a_chart_has_a_title_a_text_alternative_and_axes_a_screen_reader_can_use():
    root = ET.fromstring(str(svg(_chart())))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert title.text == "Visites de la fiche"
    assert "du 16 févr. 2026 au 2 mars 2026" in desc.text
    assert "au plus 1\u202f234 la semaine du 2 mars 2026" in desc.text
    labels = [text.text for text in root.iter(f"{SVG}text")]
    assert "2\u202f000" in labels and "1\u202f500" in labels and "16 févr. 2026" in labels  # both axes


def test_bars_skip_empty_weeks_and_lines_skip_missing_ones():
    bars = ET.fromstring(str(svg(_chart())))
    assert len(bars.findall(f"{SVG}rect")) == 4  # 3 + 0 + 1234, then 1 + 2
    lines = ET.fromstring(str(svg(_chart(line=True))))
    first, second = lines.findall(f"{SVG}polyline")
    assert len(first.get("points").split()) == 3 and len(second.get("points").split()) == 2
    assert second.get("stroke-dasharray")  # told apart without colour
    alone = ET.fromstring(str(svg(_chart(line=True, series=(Series("Délai", (None, 5.0, None)),)))))
    assert len(alone.findall(f"{SVG}circle")) == 1  # a week between missing ones still shows


def test_the_table_holds_the_same_figures_as_the_chart_and_text_is_escaped():
    chart = _chart()
    assert chart.rows() == [["Semaine du", "Votre fiche (visites)", "Comparables <moyenne> (visites)"],
                            ["16 févr. 2026", "3", "1"], ["23 févr. 2026", "0", "–"],
                            ["2 mars 2026", "1\u202f234", "2"]]
    assert "<moyenne>" not in str(svg(chart)) and "&lt;moyenne&gt;" in str(svg(chart))


def test_a_series_at_zero_is_said_to_hold_nothing():
    assert "Votre fiche : aucune sur la période" in _chart(series=(Series("Votre fiche", (0.0, 0.0, 0.0)),)).summary()


def test_a_chart_without_weeks_says_so():
    empty = _chart(weeks=(), series=())
    assert empty.summary() == "Visites de la fiche : aucune donnée."
    ET.fromstring(str(svg(empty)))
