"""Charts drawn on the server as SVG markup: no JavaScript, no image files, readable without the picture.

A chart is a pure function of its figures: the same bars give the same bytes, so a page that
holds one is cached like any other (web/cache.py), and a test can read the numbers back out of
it. Every text is escaped; the bar lengths come from the exact percentages (``Decimal`` from
their text, never a float), to the hundredth of a unit of the drawing.

Accessible: the ``<svg>`` is a group named by its ``<title>`` and described by its ``<desc>``
(which lists every figure); each bar is an image with an ``aria-label`` that says whose bar it
is and its share; the visible texts, the same words, are hidden from screen readers so they
are not read twice. The page's table carries the same figures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from markupsafe import Markup, escape

BAR_SPACE = 440  # 100% is this long
# The drawing is no wider than the whole bar: the share's words stand above the bar's end, on the
# label's line, so that on a phone (the SVG scales to its container) the texts stay readable.
WIDTH = BAR_SPACE
ROW = 46
BAR_HEIGHT = 18
TOP = 4
COLOURS = {"candidate": "#2c5d8f", "highlight": "#1d6b3a", "against_all": "#6b6b6b"}
TRACK = "#e8ecf0"  # the whole 100%, behind each bar, so a short bar still reads as a share
_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Bar:
    """One bar: whose it is, the exact share ("51.23"), and the words shown beside it ("51.23% · 70,000")."""

    label: str
    percent: str
    text: str
    kind: str = "candidate"  # candidate | highlight (the elected, the leaders) | against_all


def length(percent: str) -> Decimal:
    """The bar's length in the drawing's units for a percentage given as text (0 to 100)."""
    try:
        share = Decimal(percent)
    except InvalidOperation:
        raise ValueError(f"not a percentage: {percent!r}") from None
    if not share.is_finite() or share < 0 or share > 100:
        raise ValueError(f"not a percentage between 0 and 100: {percent!r}")
    return (share * BAR_SPACE / 100).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, id_prefix: str) -> Markup:
    """A horizontal bar chart: one row per bar, the label above its bar and the text above the bar's end.

    ``id_prefix`` makes the title's and description's ids unique on the page (two rounds, two charts).
    """
    if not _ID.match(id_prefix):
        raise ValueError(f"id_prefix must be lower-case letters, digits and dashes: {id_prefix!r}")
    height = TOP + ROW * len(bars)
    summary = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="group" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="sans-serif">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)} {escape(summary)}</desc>',
    ]
    for index, bar in enumerate(bars):
        top = TOP + ROW * index
        size = length(bar.percent)
        colour = COLOURS.get(bar.kind, COLOURS["candidate"])
        label = escape(f"{bar.label}: {bar.text}")
        parts.append(
            f'<g class="bar bar-{escape(bar.kind)}" role="img" aria-label="{label}">'
            f"<title>{label}</title>"
            f'<text x="0" y="{top + 14}" font-size="14" fill="#1a1a1a" aria-hidden="true">{escape(bar.label)}</text>'
            f'<rect x="0" y="{top + 20}" width="{BAR_SPACE}" height="{BAR_HEIGHT}" fill="{TRACK}"/>'
            f'<rect x="0" y="{top + 20}" width="{size}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            f'<text x="{BAR_SPACE}" y="{top + 14}" font-size="13" fill="#1a1a1a" text-anchor="end" aria-hidden="true">'
            f"{escape(bar.text)}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
