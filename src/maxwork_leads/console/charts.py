"""Charts drawn on the server as inline SVG.

The console's Content-Security-Policy allows no script and no inline style, so a chart is
plain markup: colours come from the `s0`..`s7` classes of console.css, hover values from
`<title>` elements. Every function here is pure (values in, markup out) and escapes all text.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE_SIZE = 8  # s0..s7 in console.css
NAMED_SERIES = PALETTE_SIZE - 1  # the last colour is kept for "others"
OTHERS = "others"

WIDTH = 720
_STACK_HEIGHT = 260
_STACK_PAD = {"left": 44, "right": 8, "top": 12, "bottom": 26}
_MAX_BAR_WIDTH = 48
_MAX_X_LABELS = 8

_ROW_HEIGHT = 24
_LABEL_WIDTH = 150
_VALUE_WIDTH = 64
LABEL_CHARS = 20

# Characters XML 1.0 cannot carry at all, even escaped (control characters, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One coloured layer of a stacked chart: its name and one value per category."""

    name: str
    values: Sequence[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart; `hint` is what hovering the bar tells."""

    label: str
    value: float
    hint: str
    css: str = "bad"


def series_class(index: int) -> str:
    """The CSS colour class of the index-th series (the last one repeats past the palette)."""
    return f"s{min(max(index, 0), PALETTE_SIZE - 1)}"


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """A label that fits its slot; the full text stays in the element's `<title>`."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def escape(text: object) -> str:
    """Text safe inside XML content and attribute values."""
    return html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True)


def _num(value: float) -> str:
    """Coordinates rounded for compact markup."""
    return f"{round(value, 2):g}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def fold_series(totals_by_name: Mapping[str, Sequence[int]]) -> list[Series]:
    """The busiest series by name, the rest summed into "others", so the palette suffices.

    Busiest first (ties by name, so colours are stable between reloads).
    """
    ranked = sorted(totals_by_name.items(), key=lambda item: (-sum(item[1]), item[0]))
    if len(ranked) <= NAMED_SERIES:
        return [Series(name, list(values)) for name, values in ranked]
    named = [Series(name, list(values)) for name, values in ranked[:NAMED_SERIES]]
    rest = [values for _, values in ranked[NAMED_SERIES:]]
    length = max(len(values) for values in rest)
    summed = [sum(values[i] for values in rest if i < len(values)) for i in range(length)]
    return [*named, Series(OTHERS, summed)]


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above `value`: a readable axis top."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return int(10 * magnitude)


def _ticks(top: int) -> list[int]:
    return [0, top // 2, top] if top % 2 == 0 else [0, top]


def _open_svg(height: int, label: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    )


def stacked_bars(
    days: Sequence[date], series: Sequence[Series], *, unit: str = "leads", label: str = ""
) -> Markup:
    """One bar per day, one coloured layer per series, with a value axis and day labels.

    Series beyond the palette share its last colour; use `fold_series` first to name them.
    """
    pad = _STACK_PAD
    plot_w = WIDTH - pad["left"] - pad["right"]
    plot_h = _STACK_HEIGHT - pad["top"] - pad["bottom"]
    bottom = pad["top"] + plot_h
    totals = [sum(s.values[i] for s in series if i < len(s.values)) for i in range(len(days))]
    top = nice_ceiling(max(totals, default=0))
    parts = [_open_svg(_STACK_HEIGHT, label or f"{unit} per day")]
    for tick in _ticks(top):
        y = bottom - tick / top * plot_h
        parts.append(
            f'<line class="axis" x1="{pad["left"]}" x2="{WIDTH - pad["right"]}" '
            f'y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text x="{pad["left"] - 6}" y="{_num(y + 4)}" text-anchor="end">'
            f"{_count(tick)}</text>"
        )
    slot = plot_w / max(len(days), 1)
    bar_w = min(slot * 0.72, _MAX_BAR_WIDTH)
    label_every = math.ceil(len(days) / _MAX_X_LABELS) or 1
    for i, day in enumerate(days):
        x = pad["left"] + i * slot + (slot - bar_w) / 2
        parts.append(f"<g><title>{escape(f'{day.isoformat()}: {totals[i]:,} {unit}')}</title>")
        y = float(bottom)
        for index, layer in enumerate(series):
            value = layer.values[i] if i < len(layer.values) else 0
            if value <= 0:
                continue
            height = value / top * plot_h
            y -= height
            hint = f"{day.isoformat()} · {layer.name}: {value:,} {unit}"
            parts.append(
                f'<rect class="{series_class(index)}" x="{_num(x)}" y="{_num(y)}" '
                f'width="{_num(bar_w)}" height="{_num(height)}"><title>{escape(hint)}</title>'
                "</rect>"
            )
        parts.append("</g>")
        if (len(days) - 1 - i) % label_every == 0:  # counted back, so today has a label
            parts.append(
                f'<text x="{_num(x + bar_w / 2)}" y="{bottom + 16}" text-anchor="middle">'
                f"{escape(day.strftime('%m-%d'))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: Sequence[str]) -> Markup:
    """The key of a chart's colours, as an HTML list (names wrap there, never truncated)."""
    items = "".join(
        f'<li><span class="swatch {series_class(index)}"></span>{escape(name)}</li>'
        for index, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def horizontal_bars(
    bars: Sequence[Bar], *, maximum: float | None = None, unit: str = "", label: str = ""
) -> Markup:
    """One labelled row per bar, lengths relative to `maximum` (the largest value by default)."""
    height = len(bars) * _ROW_HEIGHT + 8
    track = WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    scale = maximum if maximum is not None else max((bar.value for bar in bars), default=0)
    parts = [_open_svg(height, label or "bar chart")]
    for row, bar in enumerate(bars):
        top = 4 + row * _ROW_HEIGHT
        length = bar.value / scale * track if scale > 0 else 0
        length = min(max(length, 0), track)
        parts.append(
            f"<g><title>{escape(bar.hint)}</title>"
            f'<text x="{_LABEL_WIDTH - 8}" y="{top + 16}" text-anchor="end">'
            f"{escape(shorten(bar.label))}</text>"
            f'<rect class="{escape(bar.css)}" x="{_LABEL_WIDTH}" y="{top + 3}" '
            f'width="{_num(length)}" height="{_ROW_HEIGHT - 6}"/>'
            f'<text x="{_num(_LABEL_WIDTH + length + 6)}" y="{top + 16}">'
            f"{escape(_count(bar.value) + unit)}</text></g>"
        )
    parts.append(
        f'<line class="axis" x1="{_LABEL_WIDTH}" x2="{_LABEL_WIDTH}" y1="0" y2="{height}"/></svg>'
    )
    return Markup("".join(parts))
