"""The server-drawn SVG charts: well-formed, proportional, escaped, and sane at the edges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from maxwork_leads.console import charts
from maxwork_leads.console.charts import Bar, Series

NS = {"svg": charts.SVG_NS}
DAY = date(2026, 11, 27)


def days(count: int) -> list[date]:
    return [DAY - timedelta(days=back) for back in range(count - 1, -1, -1)]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def rects(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(".//svg:rect", NS)


def texts(svg: ET.Element) -> list[str]:
    return [element.text or "" for element in svg.iter(f"{{{charts.SVG_NS}}}text")]


def titles(svg: ET.Element) -> list[str]:
    return [element.text or "" for element in svg.iter(f"{{{charts.SVG_NS}}}title")]


def test_a_stacked_chart_is_one_well_formed_svg_with_the_chart_class() -> None:
    svg = parse(charts.stacked_bars(days(3), [Series("a", [1, 2, 3])]))
    assert svg.tag == f"{{{charts.SVG_NS}}}svg"
    assert svg.get("class") == "chart"
    assert svg.get("role") == "img"


def test_bar_heights_are_proportional_to_the_values() -> None:
    svg = parse(charts.stacked_bars(days(3), [Series("a", [2, 4, 8])]))
    heights = [float(rect.get("height", "0")) for rect in rects(svg)]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert heights[2] == pytest.approx(4 * heights[0])


def test_layers_of_a_day_stack_on_each_other_in_their_series_colours() -> None:
    svg = parse(charts.stacked_bars(days(1), [Series("a", [3]), Series("b", [1])]))
    lower, upper = rects(svg)
    assert (lower.get("class"), upper.get("class")) == ("s0", "s1")
    assert float(upper.get("y", "0")) + float(upper.get("height", "0")) == pytest.approx(
        float(lower.get("y", "0"))
    )
    assert float(lower.get("height", "0")) == pytest.approx(3 * float(upper.get("height", "0")))


def test_each_bar_tells_its_day_series_and_value_on_hover() -> None:
    svg = parse(charts.stacked_bars(days(2), [Series("portal", [0, 5])], unit="leads"))
    assert "2026-11-27 · portal: 5 leads" in titles(svg)
    assert "2026-11-27: 5 leads" in titles(svg)


def test_an_all_zero_chart_draws_no_bars_and_a_unit_axis() -> None:
    svg = parse(charts.stacked_bars(days(30), [Series("a", [0] * 30)]))
    assert rects(svg) == []
    assert "1" in texts(svg)


def test_a_chart_without_series_is_still_well_formed() -> None:
    svg = parse(charts.stacked_bars(days(5), []))
    assert rects(svg) == []


def test_a_single_day_gets_one_bar_of_bounded_width() -> None:
    svg = parse(charts.stacked_bars(days(1), [Series("a", [7])]))
    (bar,) = rects(svg)
    assert float(bar.get("width", "0")) <= 48
    assert "11-27" in texts(svg)


def test_thirty_days_get_a_few_day_labels_ending_with_the_last_day() -> None:
    labels = [t for t in texts(parse(charts.stacked_bars(days(30), []))) if "-" in t]
    assert len(labels) <= 8
    assert labels[-1] == "11-27"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (10, 10), (11, 20), (480, 500), (501, 1000)],
)
def test_the_value_axis_ends_on_a_round_number(value: int, expected: int) -> None:
    assert charts.nice_ceiling(value) == expected


def test_the_tallest_bar_fits_under_the_axis_top() -> None:
    svg = parse(charts.stacked_bars(days(2), [Series("a", [3, 7])]))
    tallest = max(float(rect.get("height", "0")) for rect in rects(svg))
    assert tallest == pytest.approx(0.7 * (260 - 12 - 26))  # 7 of an axis topping at 10


def test_names_with_markup_characters_are_escaped() -> None:
    name = "<b>A&B \"quoted\" 'single'</b>"
    markup = charts.stacked_bars(days(1), [Series(name, [1])])
    assert "<b>" not in markup
    assert f"2026-11-27 · {name}: 1 leads" in titles(parse(markup))


def test_control_characters_in_names_do_not_break_the_svg() -> None:
    markup = charts.horizontal_bars([Bar("bad\x00name\x1b", 10, "hint\x07")])
    parse(markup)


def test_more_series_than_colours_fold_into_others() -> None:
    counts = {f"portal{n}": [n, n] for n in range(1, 11)}
    folded = charts.fold_series(counts)
    assert [s.name for s in folded] == [f"portal{n}" for n in range(10, 3, -1)] + ["others"]
    assert folded[-1].values == [1 + 2 + 3, 1 + 2 + 3]


def test_few_series_keep_their_names_busiest_first() -> None:
    folded = charts.fold_series({"b": [1], "a": [5], "c": [1]})
    assert [s.name for s in folded] == ["a", "b", "c"]


def test_series_past_the_palette_share_its_last_colour() -> None:
    assert [charts.series_class(i) for i in (0, 6, 7, 12)] == ["s0", "s6", "s7", "s7"]


def test_the_legend_is_a_list_of_swatches_with_escaped_names() -> None:
    markup = charts.legend(["portal", "<others>"])
    root = parse(markup)
    assert root.tag == "ul"
    assert root.get("class") == "legend"
    swatches = [li.find("span") for li in root.findall("li")]
    assert [s.get("class") for s in swatches if s is not None] == ["swatch s0", "swatch s1"]
    assert "&lt;others&gt;" in markup


def test_horizontal_bar_lengths_are_proportional_to_the_maximum() -> None:
    svg = parse(
        charts.horizontal_bars(
            [Bar("a", 50, "a"), Bar("b", 25, "b"), Bar("c", 0, "c")], maximum=100, unit="%"
        )
    )
    widths = [float(rect.get("width", "0")) for rect in rects(svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert widths[2] == 0
    assert "50%" in texts(svg)


def test_horizontal_bars_scale_to_their_largest_value_without_a_maximum() -> None:
    svg = parse(charts.horizontal_bars([Bar("a", 3, "a"), Bar("b", 6, "b")]))
    widths = [float(rect.get("width", "0")) for rect in rects(svg)]
    assert widths[1] == pytest.approx(2 * widths[0])


def test_horizontal_bars_with_only_zeros_or_none_are_well_formed() -> None:
    assert rects(parse(charts.horizontal_bars([Bar("a", 0, "a")])))[0].get("width") == "0"
    assert rects(parse(charts.horizontal_bars([]))) == []


def test_long_labels_are_shortened_but_hover_shows_them_whole() -> None:
    name = "a-very-long-integrator-username-for-portals"
    svg = parse(charts.horizontal_bars([Bar(name, 1, f"{name}: 1 of 100")]))
    label = next(t for t in texts(svg) if t.startswith("a-very"))
    assert len(label) == charts.LABEL_CHARS
    assert label.endswith("…")
    assert f"{name}: 1 of 100" in titles(svg)
