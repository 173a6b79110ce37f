"""The activity chart as data for a server-rendered SVG: bars per hour (stacked by dialect
when more than one is in use), errors over them, a y axis with round ticks, hour labels,
hover text and a legend. No JavaScript, so it prints and reads in any browser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from doorpost.service.activity import ChartBar

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 180, 44, 24, 8
PALETTE = ["#3b6fd8", "#8a5cd1", "#1f9e89", "#d08b1b", "#6b7280"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


@dataclass(frozen=True)
class Chart:
    rects: list[Rect]
    yticks: list[tuple[float, int]]  # (y, value)
    xlabels: list[tuple[float, str, str]]  # (x, label, text-anchor)
    legend: list[tuple[str, str]]  # (colour or css class, label)
    empty: bool
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM


def _ceiling(peak: int) -> int:
    """A round top for the axis: 1, 2, 5 × 10^n."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= peak:
                return m * step
        step *= 10


def chart(bars: Sequence[ChartBar]) -> Chart:
    top = _ceiling(max([b.requests for b in bars] + [1]))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(bars), 1)
    dialects = sorted({d for b in bars for d, _ in b.by_dialect})
    stacked = len(dialects) > 1
    colour = {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(dialects)}
    rects: list[Rect] = []
    base = HEIGHT - BOTTOM

    def height(n: int) -> float:
        return round(n / top * plot_h, 1)
    for i, b in enumerate(bars):
        x = round(LEFT + i * slot + 1, 1)
        hour = dt.datetime.fromtimestamp(b.hour_us / 1e6, dt.timezone.utc).strftime("%H:00")
        parts = b.by_dialect if stacked else (("", b.requests),)
        y = float(base)
        for name, n in parts:
            if not n:
                continue
            h = height(n)
            y -= h
            label = f" via {name}" if stacked else ""
            rects.append(Rect(x, round(y, 1), round(slot - 2, 1), h,
                              colour[name] if stacked else "req",
                              f"{hour} UTC: {n} requests{label}, {b.errors} errors"))
        if b.errors:
            h = height(b.errors)
            rects.append(Rect(x, round(base - h, 1), round(slot - 2, 1), h, "err",
                              f"{hour} UTC: {b.errors} errors of {b.requests} requests"))
    yticks = [(round(base - height(v), 1), v) for v in (0, top // 2, top)] if top > 1 \
        else [(float(base), 0), (float(TOP), 1)]
    xlabels = []
    for i, b in enumerate(bars):
        if i % 6 == 0 or i == len(bars) - 1:
            when = dt.datetime.fromtimestamp(b.hour_us / 1e6, dt.timezone.utc)
            anchor = "end" if i == len(bars) - 1 else "start" if i == 0 else "middle"
            x = LEFT + (i + 1) * slot if anchor == "end" else LEFT + i * slot if \
                anchor == "start" else LEFT + i * slot + slot / 2
            xlabels.append((round(x, 1), when.strftime("%H:00"), anchor))
    legend = [(colour[d], d) for d in dialects] if stacked else [("req", "requests")]
    legend.append(("err", "errors (4xx/5xx)"))
    return Chart(rects, yticks, xlabels, legend, empty=not any(b.requests for b in bars))
