"""Public refusals over time, drawn on the server: no script, no library in the browser.

One drawing, three forms: an SVG without words for pages and PDFs, whose labels are HTML around it
(partials/_chart.html: text in the page's language, its direction isolated, readable at any width,
and WeasyPrint lays out right-to-left text in HTML, not in SVG); and, for journalists to download,
a standalone SVG and a PNG that carry their labels inside. Time runs left to right in every language.
"""

import csv
import functools
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from fontTools.merge import Merger
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont, features

LINE = "#8a1c1c"
AXIS = "#767676"
LABEL = "#545454"


@dataclass(frozen=True)
class Point:
    day: date
    total: int


@dataclass(frozen=True)
class Labels:
    """What a standalone chart writes on itself: its first and last day and its top, as the reader's
    language says them, and which way that language runs."""

    first: str
    last: str
    top: str
    direction: str = "ltr"
    language: str = "en"


def cumulative(days: list[tuple[date, int]]) -> list[Point]:
    """Running totals from per-day counts (days in order)."""
    total, points = 0, []
    for day, count in days:
        total += count
        points.append(Point(day, total))
    return points


def by_month(days: list[tuple[date, int]]) -> list[tuple[date, int, int]]:
    """Each month's first day, how many it added and the total at its end (days in order): the
    chart's numbers as a small table."""
    months: list[tuple[date, int, int]] = []
    total = 0
    for day, count in days:
        total += count
        month = day.replace(day=1)
        if months and months[-1][0] == month:
            months[-1] = (month, months[-1][1] + count, total)
        else:
            months.append((month, count, total))
    return months


def history_csv(history: list[tuple[date, int, int]]) -> str:
    """The count's history as CSV, a row a day: (day, letters, co-signatures) in, running total added."""
    out, total = io.StringIO(), 0
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "letters", "co_signatures", "public_refusers_that_day", "public_refusers_total"])
    for day, letters, signatures in history:
        total += letters + signatures
        writer.writerow([day.isoformat(), letters, signatures, letters + signatures, total])
    return out.getvalue()


def _outline(points: list[Point], left: float, top: float, width: float, height: float) -> list[tuple[float, float]]:
    """The step line of the running total in a box, as (x, y) corners: flat between days, rising on
    each day by that day's publications, on to the box's end."""
    first, last = points[0].day.toordinal(), points[-1].day.toordinal()
    span = max(1, last - first)
    peak = max(1, points[-1].total)
    x = lambda day: left + (day.toordinal() - first) / span * width  # noqa: E731
    y = lambda total: top + height - total / peak * height  # noqa: E731
    corners = [(x(points[0].day), y(0))]
    for point in points:
        corners += [(x(point.day), corners[-1][1]), (x(point.day), y(point.total))]
    corners.append((left + width, corners[-1][1]))
    return corners


def svg(points: list[Point], *, title: str, description: str, width: int = 640, height: int = 200, labels: Labels | None = None) -> Markup:
    """The chart as SVG: without `labels`, the drawing alone (its labels are the page's); with them, a
    standalone file that writes its days and top on itself.

    Every text in it is escaped here, so the result is safe to place in a page as it is. The
    numbers are also in the title and description, for screen readers and text extraction.
    """
    pad_x, pad_top, pad_bottom = (80, 24, 44) if labels else (1, 2, 1)
    inner_w, inner_h = width - 2 * pad_x, height - pad_top - pad_bottom
    standalone = ' xmlns:xlink="http://www.w3.org/1999/xlink"' if labels else ""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg"{standalone} viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
    ]
    if labels:
        parts.append(f'<rect width="{width}" height="{height}" fill="#ffffff"/>')
    parts.append(f'<line x1="{pad_x}" y1="{pad_top + inner_h}" x2="{pad_x + inner_w}" y2="{pad_top + inner_h}" stroke="{AXIS}" stroke-width="1"/>')
    if points:
        corners = _outline(points, pad_x, pad_top, inner_w, inner_h)
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
        base = pad_top + inner_h
        parts.append(f'<polygon points="{line} {pad_x + inner_w:.1f},{base:.1f} {pad_x:.1f},{base:.1f}" fill="{LINE}" fill-opacity="0.15"/>')
        parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    if points and labels:
        parts += [_text(labels.top, pad_x - 10, pad_top + 6, "right", "ltr"), _text("0", pad_x - 10, base, "right", "ltr"),
                  _text(labels.first, pad_x, base + 30, "left", labels.direction, labels.language),
                  _text(labels.last, pad_x + inner_w, base + 30, "right", labels.direction, labels.language)]
    parts.append("</svg>")
    return Markup("".join(parts))


def _text(text: str, x: float, y: float, side: str, direction: str, language: str = "en") -> str:
    """A label whose `side` (left or right) stands at x, in its own direction (SVG anchors a
    right-to-left text's start at its right)."""
    anchor = {("left", "ltr"): "start", ("right", "ltr"): "end", ("left", "rtl"): "end", ("right", "rtl"): "start"}[side, direction]
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="18" font-family="Noto Sans, Noto Sans Hebrew, Noto Sans Arabic, DejaVu Sans, sans-serif" '
            f'fill="{LABEL}" text-anchor="{anchor}" direction="{direction}" xml:lang="{escape(language)}">{escape(text)}</text>')


# The fonts PDFs are made with, one a script: a PNG's labels are in its reader's language, with its
# digits (Pillow falls back to no other font: Hebrew's is merged with the Latin one, which has them).
_FONTS = {"he": ("noto-sans-hebrew-400.ttf", "noto-sans-latin-400.ttf"), "ar": ("dejavu-sans-arabic.ttf",), "en": ("noto-sans-latin-400.ttf",)}


@functools.cache
def _font_file(folder: Path, language: str) -> bytes:
    names = _FONTS.get(language, _FONTS["en"])
    if len(names) == 1:
        return (folder / names[0]).read_bytes()
    merged = io.BytesIO()
    Merger().merge([str(folder / name) for name in names]).save(merged)
    return merged.getvalue()


def _font(folder: Path, language: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(_font_file(folder, language)), size)


def png(points: list[Point], labels: Labels, fonts: Path, *, width: int = 1280, height: int = 400) -> bytes:
    """The standalone chart as a PNG: the same drawing as svg(), drawn by Pillow (its text shaped and
    ordered by libraqm, so Hebrew and Arabic read right), twice as large then scaled down to smooth it.
    `fonts`: the folder of the PDF fonts."""
    scale = 2
    image = Image.new("RGB", (width * scale, height * scale), "white")
    draw = ImageDraw.Draw(image, "RGBA")
    pad_x, pad_top, pad_bottom = 160, 48, 88
    inner_w, inner_h = width - 2 * pad_x, height - pad_top - pad_bottom
    base = pad_top + inner_h
    draw.line([(pad_x * scale, base * scale), ((pad_x + inner_w) * scale, base * scale)], fill=AXIS, width=scale)
    if points:
        corners = [(x * scale, y * scale) for x, y in _outline(points, pad_x, pad_top, inner_w, inner_h)]
        draw.polygon([*corners, ((pad_x + inner_w) * scale, base * scale), (pad_x * scale, base * scale)], fill=(0x8A, 0x1C, 0x1C, 38))
        draw.line(corners, fill=LINE, width=2 * scale, joint="curve")
        latin, words = _font(fonts, "en", 28 * scale), _font(fonts, labels.language, 28 * scale)
        shaped = {"direction": labels.direction, "language": labels.language} if features.check("raqm") else {}
        draw.text(((pad_x - 16) * scale, (pad_top + 10) * scale), labels.top, font=latin, fill=LABEL, anchor="rs")
        draw.text(((pad_x - 16) * scale, base * scale), "0", font=latin, fill=LABEL, anchor="rs")
        draw.text((pad_x * scale, (base + 48) * scale), labels.first, font=words, fill=LABEL, anchor="ls", **shaped)
        draw.text(((pad_x + inner_w) * scale, (base + 48) * scale), labels.last, font=words, fill=LABEL, anchor="rs", **shaped)
    out = io.BytesIO()
    image.resize((width, height), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()
