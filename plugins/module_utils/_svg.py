# -*- coding: utf-8 -*-
# Copyright (c) karmada.runbooks contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inline SVG line charts for report.html: no JavaScript, no external assets, deterministic output.

A chart is one ``<svg>`` element with axes, tick labels (UTC), dashed threshold lines and optional
vertical markers (the alert's start). Series are ``[[epoch seconds, value], ...]`` as Prometheus
range queries return them (values may be strings, ``NaN`` or missing); gaps in the data break the
line instead of drawing a misleading straight segment across them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import math
from html import escape

WIDTH = 640
HEIGHT = 220
# Plot margins: room for y labels on the left, the title on top, x labels below.
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 30, 34
# A report must stay small whatever the query step: keep the peak of each bucket (peaks are what
# an SRE looks for in a burn-rate chart) rather than every sample.
MAX_POINTS = 400
# Candidate x tick spacings in seconds, smallest first.
_X_STEPS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
SERIES_COLOUR = "#1f6feb"
MARKER_COLOUR = "#6e7781"


def clean_series(points):
    """[(t, v)] sorted by time, keeping only samples whose time and value are finite numbers."""
    cleaned = []
    for point in points or ():
        if not isinstance(point, (list, tuple)) or len(point) < 2:
            continue
        try:
            moment, value = float(point[0]), float(point[1])
        except (TypeError, ValueError):
            continue
        if math.isfinite(moment) and math.isfinite(value):
            cleaned.append((moment, value))
    cleaned.sort()
    return cleaned


def downsample(points, limit=MAX_POINTS):
    """At most ``limit`` points: consecutive buckets, each represented by its largest value."""
    if len(points) <= limit:
        return list(points)
    size = int(math.ceil(len(points) / float(limit)))
    return [max(points[i:i + size], key=lambda p: p[1]) for i in range(0, len(points), size)]


def segments(points):
    """Split the series where samples are missing (a gap over 2.5 typical steps) so no line spans it."""
    if len(points) < 3:
        return [points] if points else []
    steps = sorted(b[0] - a[0] for a, b in zip(points, points[1:]))
    gap = steps[len(steps) // 2] * 2.5
    parts, current = [], [points[0]]
    for previous, point in zip(points, points[1:]):
        if gap > 0 and point[0] - previous[0] > gap:
            parts.append(current)
            current = []
        current.append(point)
    parts.append(current)
    return parts


def nice_step(span, count=5):
    """A 1/2/5 x 10^n step that cuts ``span`` into about ``count`` intervals."""
    if span <= 0:
        return 1.0
    raw = span / float(count)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def y_ticks(top):
    """Tick values from 0 to the first tick at or above ``top``."""
    step = nice_step(top)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def x_ticks(start, end, count=6):
    """Tick times on round UTC boundaries, at most about ``count`` of them."""
    span = end - start
    step = next((s for s in _X_STEPS if span / s <= count), _X_STEPS[-1])
    first = math.ceil(start / step) * step
    ticks = []
    moment = first
    while moment <= end:
        ticks.append(moment)
        moment += step
    return ticks


def time_label(moment, span):
    stamp = datetime.datetime.fromtimestamp(moment, tz=datetime.timezone.utc)
    return stamp.strftime("%m-%d %H:%M" if span > 86400 else "%H:%M")


def _num(value):
    """Coordinates with one decimal: enough for a 640 px chart, and byte-for-byte reproducible."""
    return f"{value:.1f}"


def spread(positions, gap, low, high):
    """Move label positions (sorted top to bottom) apart by at least ``gap``, keeping them in [low, high]."""
    placed = []
    for position in positions:
        placed.append(max(position, placed[-1] + gap) if placed else max(position, low))
    # Labels pushed past the bottom move back up, pushing the ones above them.
    for index in range(len(placed) - 1, -1, -1):
        limit = high if index == len(placed) - 1 else placed[index + 1] - gap
        placed[index] = min(placed[index], limit)
    return placed


def _frame(title, chart_id, width, height):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" stroke="#d0d7de"/>',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold" fill="#24292f">{escape(title)}</text>',
    ]


def placeholder(title, reason, chart_id="chart", width=WIDTH, height=HEIGHT):
    """The chart's frame with a 'No data' notice and why, so the reader knows the gap is not 'all fine'."""
    parts = _frame(title, chart_id, width, height)
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{width - LEFT - RIGHT}" height="{height - TOP - BOTTOM}" '
                 'fill="#f6f8fa" stroke="#d0d7de" stroke-dasharray="4 3"/>')
    centre, middle = _num(width / 2.0), TOP + (height - TOP - BOTTOM) / 2.0
    parts.append(f'<text class="no-data" x="{centre}" y="{_num(middle - 4)}" font-size="14" font-weight="bold" '
                 'fill="#57606a" text-anchor="middle">No data</text>')
    parts.append(f'<text x="{centre}" y="{_num(middle + 14)}" font-size="11" fill="#57606a" '
                 f'text-anchor="middle">{escape(reason)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _text(x_pos, y_pos, content, anchor="start", colour="#57606a", halo=False):
    # A white outline under the glyphs keeps a label readable where it crosses the series.
    outline = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if halo else ""
    return (f'<text x="{x_pos}" y="{y_pos}" font-size="10" fill="{colour}" text-anchor="{anchor}"{outline}>'
            f'{escape(content)}</text>')


def _line(x1, y1, x2, y2, colour, extra=""):
    return f'<line{extra} x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}"/>'


def line_chart(points, title, chart_id="chart", thresholds=(), markers=(), x_range=None, value_format=None,
               no_data_reason="no samples in the window", width=WIDTH, height=HEIGHT):
    """One series as an SVG line chart.

    thresholds: [(value, label, colour)] drawn as dashed horizontal lines (the y axis always reaches
    them, so "far below the page line" is visible). markers: [(epoch, label)] drawn as vertical
    lines when inside the time range. x_range: (start, end) epochs, widened to the data if needed.
    value_format: callable for y tick labels. Falls back to :func:`placeholder` without samples.
    """
    data = downsample(clean_series(points))
    if not data:
        return placeholder(title, no_data_reason, chart_id, width, height)
    fmt = value_format or "{:g}".format
    start, end = data[0][0], data[-1][0]
    if x_range:
        start, end = min(start, x_range[0]), max(end, x_range[1])
    if end <= start:
        # A single sample: give it a minute either side so it sits in the middle.
        start, end = start - 60, end + 60
    limits = [value for value, _label, _colour in thresholds]
    top = max([p[1] for p in data] + limits + [0.0])
    ticks = y_ticks(top * 1.08 if top > 0 else 1.0)
    top = ticks[-1]
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    right, bottom = LEFT + plot_w, TOP + plot_h

    def x_of(moment):
        return _num(LEFT + (moment - start) / (end - start) * plot_w)

    def y_of(value, shift=0.0):
        return _num(TOP + plot_h - (max(value, 0.0) / top) * plot_h + shift)

    parts = _frame(title, chart_id, width, height)
    for tick in ticks:
        parts.append(_line(LEFT, y_of(tick), right, y_of(tick), "#eaeef2"))
        parts.append(_text(LEFT - 6, y_of(tick, 3), fmt(tick), "end"))
    for tick in x_ticks(start, end):
        parts.append(_line(x_of(tick), bottom, x_of(tick), bottom + 4, "#8c959f"))
        parts.append(_text(x_of(tick), bottom + 16, time_label(tick, end - start), "middle"))
    parts.append(_text(right, height - 4, "UTC", "end"))
    # Axes drawn after the grid so they stay on top of it.
    parts.append(_line(LEFT, TOP, LEFT, bottom, "#57606a"))
    parts.append(_line(LEFT, bottom, right, bottom, "#57606a"))
    # Close thresholds (6x and 1x on a chart that reaches 80x) must not print their labels on top of each other.
    ordered = sorted(thresholds, key=lambda threshold: -threshold[0])
    label_ys = spread([float(y_of(value, -3)) for value, _label, _colour in ordered], 11, TOP + 10, bottom - 2)
    for (value, label, colour), label_y in zip(ordered, label_ys):
        parts.append(_line(LEFT, y_of(value), right, y_of(value), escape(colour),
                           ' class="threshold" stroke-dasharray="6 4"'))
        parts.append(_text(right - 4, _num(label_y), label, "end", escape(colour), halo=True))
    for moment, label in markers:
        if start <= moment <= end:
            parts.append(_line(x_of(moment), TOP, x_of(moment), bottom, MARKER_COLOUR,
                               ' class="marker" stroke-dasharray="2 3"'))
            parts.append(_text(_num(float(x_of(moment)) + 3), TOP + 10, label, "start", MARKER_COLOUR, halo=True))
    for part in segments(data):
        if len(part) == 1:
            parts.append(f'<circle class="series" cx="{x_of(part[0][0])}" cy="{y_of(part[0][1])}" r="2.5" '
                         f'fill="{SERIES_COLOUR}"/>')
        else:
            coords = " ".join(f"{x_of(moment)},{y_of(value)}" for moment, value in part)
            parts.append(f'<polyline class="series" fill="none" stroke="{SERIES_COLOUR}" stroke-width="1.8" '
                         f'points="{coords}"/>')
    parts.append("</svg>")
    return "\n".join(parts)
