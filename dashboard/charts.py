"""Server-rendered SVG charts (no JavaScript, no CDN: they work offline and in print).

Colours come from CSS classes in static/css/app.css (the Content-Security-Policy forbids
inline styles); only geometry is written here. Every text is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from scoring import levels

SCALE = 10.0


def _safe(markup: str) -> SafeString:
    # Every piece of text in the markup went through escape(); the rest is numbers and
    # constant class names.
    return mark_safe(markup)  # noqa: S308


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _f(value) -> float | None:
    return None if value is None else float(value)


def sparkline(
    values: Sequence,
    *,
    width: int = 110,
    height: int = 26,
    label: str = "",
    level_for: Callable[[float], levels.Level] = levels.level_for,
) -> SafeString:
    """A small line of global scores (oldest first); None values are gaps. `level_for` grades
    the last value (a page drawing a thousand sparklines passes a memoised one)."""
    points = [(i, _f(v)) for i, v in enumerate(values)]
    measured = [(i, v) for i, v in points if v is not None]
    # html.escape, not django's escape(): the same text without the lazy-string wrapper, which
    # costs more than the escaping on a page of a thousand rows.
    title = html.escape(str(label or "Global score over the last audits"))
    if not measured:
        return _safe(
            f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="{title}"><title>{title}</title>'
            f'<line class="spark-empty" x1="2" y1="{height / 2}" x2="{width - 2}" '
            f'y2="{height / 2}"/></svg>'
        )
    pad = 3
    n = max(len(points) - 1, 1)
    # Scale to the values' own range (at least 2 points of score), so changes are visible.
    low = min(v for _, v in measured)
    high = max(v for _, v in measured)
    if high - low < 2:
        middle = (high + low) / 2
        low, high = middle - 1, middle + 1
    low, high = max(0.0, low), min(SCALE, high)
    if high - low < 2:
        low, high = (0.0, 2.0) if low == 0 else (SCALE - 2, SCALE)

    span_x, span_y, span_v = width - 2 * pad, height - 2 * pad, high - low
    several = len(points) > 1
    xy = [
        f"{pad + span_x * (i / n if several else 0.5):.1f},{pad + span_y * (1 - (v - low) / span_v):.1f}"
        for i, v in measured
    ]
    lx, ly = xy[-1].split(",")
    level = level_for(measured[-1][1]).slug
    values_text = ", ".join(_num(v) for _, v in measured)
    return _safe(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{title}"><title>{title}: {html.escape(values_text)}</title>'
        f'<polyline class="spark-line" points="{" ".join(xy)}"/>'
        f'<circle class="dot lvl-{level}" cx="{lx}" cy="{ly}" r="2.6"/></svg>'
    )


def radar(
    labels: Sequence[str],
    current: Sequence,
    previous: Sequence | None = None,
    *,
    size: int = 380,
    current_label: str = "Latest audit",
    previous_label: str = "Previous audit",
) -> SafeString:
    """Radar of domain scores (0-10) for the latest audit against the previous one."""
    n = len(labels)
    if n < 3:
        return _safe("")
    margin = 70  # room for the labels left and right
    width = size + 2 * margin
    cx, cy = width / 2, size / 2
    radius = size / 2 - 50
    parts = [
        f'<svg class="radar" viewBox="0 0 {width} {size}" width="{width}" height="{size}" '
        f'role="img" aria-label="Radar of domain scores">'
        f"<title>Domain scores: {escape(current_label)} against {escape(previous_label)}"
        f"</title>"
    ]

    def point(i, value):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * value / SCALE
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for ring in (2, 4, 6, 8, 10):
        ring_points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, ring) for i in range(n)))
        parts.append(f'<polygon class="radar-ring" points="{ring_points}"/>')
        x, y = point(0, ring)
        parts.append(f'<text class="radar-tick" x="{x + 4:.1f}" y="{y + 3:.1f}">{ring}</text>')
    for i, label in enumerate(labels):
        x, y = point(i, SCALE)
        parts.append(f'<line class="radar-axis" x1="{cx}" y1="{cy}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = point(i, SCALE * 1.13)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        value = _f(current[i])
        shown = _num(value) if value is not None else "n/m"
        parts.append(
            f'<text class="radar-label" x="{lx:.1f}" y="{ly:.1f}" '
            f'text-anchor="{anchor}">{escape(label)}'
            f'<tspan class="radar-value" x="{lx:.1f}" dy="14">{shown}</tspan></text>'
        )

    def polygon(values, css):
        pts = [(i, _f(v)) for i, v in enumerate(values)]
        pts = [point(i, v) for i, v in pts if v is not None]
        if len(pts) < 2:
            return
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polygon class="{css}" points="{coords}"/>')
        for x, y in pts:
            parts.append(f'<circle class="{css}-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>')

    if previous is not None:
        polygon(previous, "radar-previous")
    polygon(current, "radar-current")
    parts.append("</svg>")
    return _safe("".join(parts))


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence, str]],
    *,
    width: int = 560,
    height: int = 300,
    title: str = "Scores over audits",
) -> SafeString:
    """Scores (0-10) over audits: one line per series (name, values oldest first, css class),
    on top of the level bands."""
    left, right, top, bottom = 34, 40, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)

    def x_at(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y_at(v):
        return top + plot_h * (1 - v / SCALE)

    parts = [
        f'<svg class="linechart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}'
        f"</title>"
    ]
    bands = levels.levels()
    upper = SCALE
    for bound, name, slug in bands:
        low = float(bound)
        parts.append(
            f'<rect class="band band-{slug}" x="{left}" y="{y_at(upper):.1f}" '
            f'width="{plot_w}" height="{y_at(low) - y_at(upper):.1f}">'
            f"<title>{escape(name)}</title></rect>"
        )
        upper = low
    for tick in (0, 2, 4, 6, 8, 10):
        y = y_at(tick)
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" '
            f'y2="{y:.1f}"/><text class="tick" x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{tick}</text>'
        )
    # As many date labels as fit (about 80 px each); the last one always, the one before it
    # dropped when the two would overlap.
    step = max(1, math.ceil(n / max(1, plot_w // 80)))
    for i, label in enumerate(x_labels):
        last = i == n - 1
        if (i % step == 0 and (last or n - 1 - i >= step)) or last:
            parts.append(
                f'<text class="tick" x="{x_at(i):.1f}" y="{height - 12}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for name, values, css in series:
        pts = [(x_at(i), y_at(float(v)), float(v)) for i, v in enumerate(values) if v is not None]
        if not pts:
            continue
        if len(pts) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts)
            parts.append(f'<polyline class="series {css}" points="{coords}"/>')
        for x, y, v in pts:
            parts.append(
                f'<circle class="series-dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                f"<title>{escape(name)}: {_num(v)}</title></circle>"
            )
    parts.append("</svg>")
    return _safe("".join(parts))


def bars(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int], str]],
    *,
    width: int = 640,
    height: int = 240,
    title: str = "Findings discovered and fixed",
) -> SafeString:
    """Counts per period as grouped bars: one bar per series (name, values, css class) and period."""
    left, right, top, bottom = 40, 10, 12, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    n, k = max(len(x_labels), 1), max(len(series), 1)
    high = max([1, *(v for _name, values, _cls in series for v in values)])
    group = plot_w / n
    bar = group * 0.8 / k
    parts = [
        f'<svg class="chart bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>',
        f'<text class="axis-label" x="{left - 4}" y="{top + 4}" text-anchor="end">{high}</text>',
        f'<text class="axis-label" x="{left - 4}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(x_labels):
        x0 = left + i * group + group * 0.1
        for j, (name, values, css) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = plot_h * value / high
            parts.append(
                f'<rect class="bar {escape(css)}" x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)}: {value} '
                f"{escape(name)}</title></rect>"
            )
        parts.append(
            f'<text class="axis-label" x="{x0 + group * 0.4:.1f}" y="{top + plot_h + 14}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend_y = height - 8
    for j, (name, _values, css) in enumerate(series):
        x = left + j * 130
        parts.append(
            f'<rect class="bar {escape(css)}" x="{x}" y="{legend_y - 9}" width="10" height="10"/>'
            f'<text class="legend" x="{x + 14}" y="{legend_y}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return _safe("".join(parts))
