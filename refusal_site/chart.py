"""Public refusals over time as a plain SVG drawn on the server: no script, no library in the browser."""

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Point:
    day: date
    total: int


def cumulative(days: list[tuple[date, int]]) -> list[Point]:
    """Running totals from per-day counts (days in order)."""
    total, points = 0, []
    for day, count in days:
        total += count
        points.append(Point(day, total))
    return points


def svg(points: list[Point], *, title: str, description: str, width: int = 640, height: int = 240, labels: tuple[str, str] | None = None) -> Markup:
    """A step chart of the running total, with the first and last day and the total as labels.

    Every text in it is escaped here, so the result is safe to place in a page as it is. The
    numbers are also in the title and description, for screen readers and text extraction.
    """
    pad_x, pad_top, pad_bottom = 48, 16, 28
    inner_w, inner_h = width - 2 * pad_x, height - pad_top - pad_bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
        f'<line x1="{pad_x}" y1="{pad_top + inner_h}" x2="{pad_x + inner_w}" y2="{pad_top + inner_h}" stroke="#767676" stroke-width="1"/>',
    ]
    if points:
        first, last = points[0].day.toordinal(), points[-1].day.toordinal()
        span = max(1, last - first)
        top = max(1, points[-1].total)

        def x(day: date) -> float:
            return pad_x + (day.toordinal() - first) / span * inner_w

        def y(total: int) -> float:
            return pad_top + inner_h - total / top * inner_h

        # A step line: flat between days, rising on each day by that day's publications.
        path = [f"M{x(points[0].day):.1f},{y(0):.1f}"]
        for point in points:
            path.append(f"H{x(point.day):.1f} V{y(point.total):.1f}")
        path.append(f"H{pad_x + inner_w:.1f}")
        area = " ".join(path) + f" L{pad_x + inner_w:.1f},{y(0):.1f} Z"
        parts.append(f'<path d="{area}" fill="#8a1c1c" fill-opacity="0.15" stroke="none"/>')
        parts.append(f'<path d="{" ".join(path)}" fill="none" stroke="#8a1c1c" stroke-width="2"/>')
        start_label, end_label = labels or (points[0].day.isoformat(), points[-1].day.isoformat())
        baseline = pad_top + inner_h + 18
        parts.append(f'<text x="{pad_x}" y="{baseline}" font-size="12" fill="#545454" direction="ltr">{escape(start_label)}</text>')
        parts.append(f'<text x="{pad_x + inner_w}" y="{baseline}" font-size="12" fill="#545454" text-anchor="end" direction="ltr">{escape(end_label)}</text>')
        parts.append(f'<text x="{pad_x - 6}" y="{pad_top + 4}" font-size="12" fill="#545454" text-anchor="end" direction="ltr">{points[-1].total}</text>')
        parts.append(f'<text x="{pad_x - 6}" y="{pad_top + inner_h}" font-size="12" fill="#545454" text-anchor="end" direction="ltr">0</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
