"""Inline SVG charts for the drift report: pure functions from numbers to markup.

Drawn server-side so the page needs no script, no CDN and no network: a bar
chart of reference and window shares per bucket, and a line chart of figures
over the exporter's recent cycles. Every mark carries its value in a ``<title>``
(a tooltip) and in ``data-`` attributes the browser test reads.
"""

from __future__ import annotations

import functools
import html
import time
from collections.abc import Mapping, Sequence

from exporter.results import Distribution

REFERENCE_COLOUR = "#9aa5b1"
WINDOW_COLOUR = "#1f77b4"
# Line colours for the history charts, in legend order.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _n(value: float) -> str:
    return f"{value:.1f}"


def bar_chart(dist: Distribution, *, width: int = 380, height: int = 180) -> str:
    """Reference beside window shares per bucket; bucket labels slanted under the axis."""
    top, bottom, left, right = 18, 62, 34, 6
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(max(dist.reference, default=0.0), max(dist.window, default=0.0), 0.01)
    slot = plot_w / max(len(dist.buckets), 1)
    bar = max(slot * 0.38, 1.0)
    parts = [
        f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<text x="{left}" y="11" class="axis">share (max {peak:.0%})</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#555"/>',
    ]
    for i, label in enumerate(dist.buckets):
        x0 = left + i * slot + slot * 0.1
        for j, (which, share, colour) in enumerate(
            (
                ("reference", dist.reference[i], REFERENCE_COLOUR),
                ("window", dist.window[i], WINDOW_COLOUR),
            )
        ):
            h = plot_h * share / peak
            x = x0 + j * bar
            parts.append(
                f'<rect class="bar {which}" data-share="{share:.6f}" x="{_n(x)}" '
                f'y="{_n(top + plot_h - h)}" width="{_n(bar)}" height="{_n(h)}" fill="{colour}">'
                f"<title>{html.escape(label)}: {which} {share:.1%}</title></rect>"
            )
        cx, cy = x0 + bar, top + plot_h + 10
        parts.append(
            f'<text class="bucket" x="{_n(cx)}" y="{_n(cy)}" text-anchor="end" '
            f'transform="rotate(-35 {_n(cx)} {_n(cy)})">{html.escape(label[:14])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _segments(xs: Sequence[float], ys: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points with a value: a missing figure breaks the line."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [r for r in runs if r]


@functools.lru_cache(maxsize=64)
def _thinned(n: int, most: int) -> tuple[int, ...]:
    """Indices of at most ``most`` evenly spread points out of ``n``, the last one included."""
    if n <= most:
        return tuple(range(n))
    step = n / (most - 1)
    return tuple(sorted({min(round(i * step), n - 1) for i in range(most - 1)} | {n - 1}))


def line_chart(
    times: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    *,
    levels: Mapping[str, float] | None = None,
    width: int = 380,
    height: int = 150,
) -> str:
    """``series`` (legend -> one value or None per time) as lines; ``levels`` as dashed rules."""
    top, bottom, left, right = 20, 22, 34, 6
    plot_w, plot_h = width - left - right, height - top - bottom
    # More points than about one per 3 pixels only add bytes: keep every k-th and the last.
    keep = _thinned(len(times), max(plot_w // 3, 2))
    times = [times[i] for i in keep]
    series = {k: [v[i] for i in keep] for k, v in series.items()}
    drawn = {k: v for k, v in series.items() if any(y is not None for y in v)}
    values = [y for v in drawn.values() for y in v if y is not None]
    values += list((levels or {}).values())
    y_max = max(values, default=1.0) * 1.1 or 1.0
    t0, t1 = (times[0], times[-1]) if times else (0.0, 1.0)
    span = (t1 - t0) or 1.0

    def sx(t: float) -> float:
        return left + plot_w * ((t - t0) / span if len(times) > 1 else 0.5)

    def sy(y: float) -> float:
        return top + plot_h * (1 - y / y_max)

    parts = [
        f'<svg class="history" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#555"/>',
        f'<text x="2" y="{top + 4}" class="axis">{y_max:.2g}</text>',
        f'<text x="2" y="{top + plot_h}" class="axis">0</text>',
    ]
    if times:
        first = time.strftime("%H:%M:%S", time.gmtime(t0))
        last = time.strftime("%H:%M:%S", time.gmtime(t1))
        parts.append(
            f'<text x="{left}" y="{height - 6}" class="axis">{first}</text>'
            f'<text x="{width - right}" y="{height - 6}" class="axis" text-anchor="end">'
            f"{last} UTC ({len(times)} cycles)</text>"
        )
    # A level takes the colour of the series in the same position (PSI and its level first).
    for i, (name, level) in enumerate((levels or {}).items()):
        ly = _n(sy(level))
        parts.append(
            f'<line class="level" x1="{left}" y1="{ly}" x2="{width - right}" y2="{ly}" '
            f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-dasharray="4 3">'
            f"<title>{html.escape(name)} {level:g}</title>"
            "</line>"
        )
    legend_x = left
    for i, (name, ys) in enumerate(drawn.items()):
        colour = PALETTE[i % len(PALETTE)]
        xs = [sx(t) for t in times]
        for run in _segments(xs, ys):
            if len(run) == 1:
                ((x, y),) = run
                parts.append(f'<circle cx="{_n(x)}" cy="{_n(sy(y))}" r="2.5" fill="{colour}"/>')
            else:
                scale = plot_h / y_max  # inlined sy(): this loop is most of the page's cost
                pts = " ".join([f"{x:.1f},{top + plot_h - y * scale:.1f}" for x, y in run])
                parts.append(
                    f'<polyline class="series" data-series="{html.escape(name)}" '
                    f'points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
        latest = next((y for y in reversed(ys) if y is not None), None)
        label = f"{name} {latest:.3g}" if latest is not None else name
        parts.append(
            f'<text x="{legend_x}" y="12" class="legend" fill="{colour}">'
            f"{html.escape(label)}</text>"
        )
        legend_x += 8 + 6 * len(label)
    if not drawn:
        parts.append(
            f'<text x="{left + 8}" y="{top + plot_h / 2}" class="axis">no figures yet</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
