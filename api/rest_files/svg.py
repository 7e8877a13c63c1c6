"""Charts as plain SVG, drawn from answers the API gives: the cooperation index by period with
counts by stance, and a metric's series with a line per entity. Every text is XML-escaped."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 960, 460
LEFT, RIGHT, TOP, BOTTOM = 70, 70, 60, 110
STANCE_COLOURS = (
    ("cooperative", "COOPERATIVE", "#2b8cbe"),
    ("mixed", "MIXED", "#a6bddb"),
    ("neutral", "NEUTRAL", "#bdbdbd"),
    ("competitive", "COMPETITIVE", "#e34a33"),
)
PALETTE = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
    "#1f78b4",
    "#b2df8a",
)
INDEX_COLOUR = "#111111"


def _t(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * step:
            step *= m
            break
    start = math.floor(low / step) * step
    ticks: list[float] = [round(start, 10)]
    while ticks[-1] < high - step * 1e-9 and len(ticks) < 50:  # the last tick is at or above `high`
        ticks.append(round(start + len(ticks) * step, 10))
    return ticks


def _number(value: float) -> str:
    if abs(value) >= 1e9:
        return f"{value / 1e9:g}B"
    if abs(value) >= 1e6:
        return f"{value / 1e6:g}M"
    if abs(value) >= 1e4:
        return f"{value / 1e3:g}k"
    return f"{value:g}"


def _frame(title: str, subtitle: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="title desc" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="title">{_t(title)}</title>',
        f'<desc id="desc">{_t(desc)}</desc>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="17" font-weight="bold">{_t(title)}</text>',
        f'<text x="{LEFT}" y="44" fill="#555555">{_t(subtitle)}</text>',
    ]


def _empty(parts: list[str], message: str) -> str:
    parts.append(
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#555555">{_t(message)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class Bucket:
    period_start: str
    events: int
    cooperative: int
    competitive: int
    mixed: int
    neutral: int
    score_mean: float


def _period_label(start: str, interval: str) -> str:
    day = dt.date.fromisoformat(start)
    if interval == "QUARTER":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if interval == "MONTH":
        return f"{day.year}-{day.month:02d}"
    return str(day.year)


def timeline_svg(buckets: Sequence[Bucket], interval: str, subtitle: str) -> str:
    """Stacked bars (events by stance, left axis) and the cooperation index (mean score, −10 …
    +10, right axis) per period."""
    title = f"Cooperation index and events by stance, by {interval.lower()}"
    parts = _frame(
        title,
        subtitle,
        "Bars: events per period by stance. Line: the cooperation index, "
        "the mean cooperationScore of the period's events, from −10 (competition) to +10 (cooperation). "
        "Each act is counted once: an event that implements another is left out.",
    )
    if not buckets:
        return _empty(parts, "No events match these filters.")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_count = max(b.events for b in buckets)
    ticks = _nice_ticks(0, top_count)
    y_max = ticks[-1] or 1
    slot = plot_w / len(buckets)
    bar_w = max(1.0, slot * 0.7)

    def y_count(v: float) -> float:
        return TOP + plot_h - v / y_max * plot_h

    def y_index(v: float) -> float:
        return TOP + plot_h / 2 - v / 10 * plot_h / 2

    for tick in ticks:
        y = y_count(tick)
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eeeeee"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_t(_number(tick))}</text>')
    for tick in (-10, -5, 0, 5, 10):
        y = y_index(tick)
        parts.append(f'<text x="{LEFT + plot_w + 6}" y="{y + 4:.1f}">{tick:+d}</text>'.replace("+0<", "0<"))
    zero = y_index(0)
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{zero:.1f}" y2="{zero:.1f}" '
        'stroke="#999999" stroke-dasharray="4 3"/>'
    )
    label_every = max(1, math.ceil(len(buckets) / 16))
    points = []
    for i, b in enumerate(buckets):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = 0
        label = _period_label(b.period_start, interval)
        for attr, name, colour in STANCE_COLOURS:
            count = getattr(b, attr)
            if count:
                y_top, y_bottom = y_count(base + count), y_count(base)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" height="{y_bottom - y_top:.1f}" '
                    f'fill="{colour}"><title>{_t(label)}: {count} {_t(name)}</title></rect>'
                )
                base += count
        cx = LEFT + i * slot + slot / 2
        points.append(f"{cx:.1f},{y_index(b.score_mean):.1f}")
        if i % label_every == 0:
            ly = TOP + plot_h + 14
            parts.append(
                f'<text x="{cx:.1f}" y="{ly}" text-anchor="end" '
                f'transform="rotate(-45 {cx:.1f} {ly})">{_t(label)}</text>'
            )
    parts.append(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{INDEX_COLOUR}" stroke-width="2"/>'
    )
    for i, b in enumerate(buckets):
        cx = LEFT + i * slot + slot / 2
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{y_index(b.score_mean):.1f}" r="3" fill="{INDEX_COLOUR}">'
            f"<title>{_t(_period_label(b.period_start, interval))}: index {b.score_mean:+.2f} "
            f"over {b.events} events</title></circle>"
        )
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333333"/>'
    )
    parts.append(
        f'<text x="{LEFT - 50}" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 {LEFT - 50} {TOP + plot_h / 2})">Events</text>'
    )
    parts.append(
        f'<text x="{WIDTH - 20}" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(90 {WIDTH - 20} {TOP + plot_h / 2})">Cooperation index (mean score)</text>'
    )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 30}" text-anchor="middle">'
        f"{_t(interval.title())} (date of the event)</text>"
    )
    legend = [(name, colour) for _, name, colour in STANCE_COLOURS] + [("cooperation index", INDEX_COLOUR)]
    for i, (name, colour) in enumerate(legend):
        x = LEFT + i * 150
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{HEIGHT - 8}">{_t(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class Point:
    entity: str
    date: str
    value: float


def metric_svg(name: str, unit: str, points: Sequence[Point], subtitle: str) -> str:
    """A line per entity over time; values on the left axis in `unit`."""
    parts = _frame(name, subtitle, f"A line per entity: {name}, in {unit}, over time.")
    if not points:
        return _empty(parts, "No observations match these filters.")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = [dt.date.fromisoformat(p.date).toordinal() for p in points]
    d0, d1 = min(days), max(days)
    if d1 == d0:
        d0, d1 = d0 - 180, d1 + 180
    values = [p.value for p in points]
    ticks = _nice_ticks(min(0.0, min(values)), max(values))
    v0, v1 = ticks[0], ticks[-1]
    if v1 == v0:
        v1 = v0 + 1

    def x_of(day: int) -> float:
        return LEFT + (day - d0) / (d1 - d0) * plot_w

    def y_of(v: float) -> float:
        return TOP + plot_h - (v - v0) / (v1 - v0) * plot_h

    for tick in ticks:
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eeeeee"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_t(_number(tick))}</text>')
    first_year, last_year = dt.date.fromordinal(d0).year, dt.date.fromordinal(d1).year
    step = max(1, math.ceil((last_year - first_year + 1) / 12))
    for year in range(first_year, last_year + 2, step):
        day = dt.date(year, 1, 1).toordinal()
        if d0 <= day <= d1:
            x = x_of(day)
            parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#f3f3f3"/>')
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{year}</text>')
    entities = sorted({p.entity for p in points})
    for i, entity in enumerate(entities):
        colour = PALETTE[i % len(PALETTE)]
        series = sorted((d, p.value) for d, p in zip(days, points, strict=True) if p.entity == entity)
        coords = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in series)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{_t(entity)}</title></polyline>"
        )
        for d, v in series:
            parts.append(
                f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                f"<title>{_t(entity)}, {dt.date.fromordinal(d).isoformat()}: {v:g} {_t(unit)}"
                "</title></circle>"
            )
        lx, ly = LEFT + (i % 5) * 170, HEIGHT - 40 + (i // 5) * 16
        if i < 10:
            parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour}"/>')
            parts.append(f'<text x="{lx + 16}" y="{ly}">{_t(entity)}</text>')
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#333333"/>'
    )
    parts.append(
        f'<text x="{LEFT - 55}" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 {LEFT - 55} {TOP + plot_h / 2})">{_t(unit)}</text>'
    )
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h + 36}" text-anchor="middle">Date</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
