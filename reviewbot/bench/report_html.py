"""The self-contained HTML report: the table, detection against latency, per-operator bars.

One file, no scripts, no external assets: inline CSS and SVG. Every text that comes from data
(profile names, operator names) goes through Jinja2's autoescape, in the page and in the SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from reviewbot.bench.casefile import Case
from reviewbot.bench.report import format_rate, table_rows
from reviewbot.bench.score import ProfileScore

WIDTH, HEIGHT, PAD = 640, 360, 56
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")


@dataclass(frozen=True)
class _Point:
    name: str
    colour: str
    x: float
    y: float
    y_low: float
    y_high: float
    label: str


@dataclass(frozen=True)
class _Bar:
    x: float
    y: float
    height: float
    colour: str
    title: str


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>reviewbot bench</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;
text-align:left;white-space:nowrap}th{background:#f4f4f4}svg{background:#fff}
.axis{stroke:#444}.grid{stroke:#eee}text{font:12px sans-serif}
</style></head><body>
<h1>reviewbot bench</h1>
<p>{{ summary }}. Detection counts a finding within ±{{ k }} lines of an answer-key line.
Rates show Wilson 95% intervals. Pick the model highest and furthest left in the plot that
your hardware runs; check its false positives on clean diffs.</p>
<h2>Side by side</h2>
<table><tr><th></th>{% for name in names %}<th>{{ name }}</th>{% endfor %}</tr>
{% for row in rows %}<tr><td>{{ row[0] }}</td>{% for cell in row[1] %}<td>{{ cell }}</td>
{% endfor %}</tr>{% endfor %}</table>
<h2>Line detection against median latency per case</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ W }}" height="{{ H }}" role="img">
<title>line detection against latency</title>
{% for tick in yticks %}<line class="grid" x1="{{ P }}" x2="{{ W - 20 }}" y1="{{ tick[1] }}"
 y2="{{ tick[1] }}"/><text x="{{ P - 8 }}" y="{{ tick[1] + 4 }}" text-anchor="end">{{ tick[0] }}
</text>{% endfor %}
{% for tick in xticks %}<text x="{{ tick[1] }}" y="{{ H - P + 18 }}" text-anchor="middle">
{{ tick[0] }}</text>{% endfor %}
<line class="axis" x1="{{ P }}" x2="{{ P }}" y1="20" y2="{{ H - P }}"/>
<line class="axis" x1="{{ P }}" x2="{{ W - 20 }}" y1="{{ H - P }}" y2="{{ H - P }}"/>
<text x="{{ W / 2 }}" y="{{ H - 12 }}" text-anchor="middle">median seconds per case</text>
{% for p in points %}<g><title>{{ p.name }}: {{ p.label }}</title>
<line x1="{{ p.x }}" x2="{{ p.x }}" y1="{{ p.y_low }}" y2="{{ p.y_high }}" stroke="{{ p.colour }}"/>
<circle cx="{{ p.x }}" cy="{{ p.y }}" r="6" fill="{{ p.colour }}"/>
<text x="{{ p.x + 9 }}" y="{{ p.y - 6 }}">{{ p.name }}</text></g>{% endfor %}
</svg>
<h2>Line detection per mutation class (seeded bugs)</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ bars_width }}" height="{{ H }}" role="img">
<title>line detection per mutation class</title>
<line class="axis" x1="{{ P }}" x2="{{ bars_width - 10 }}" y1="{{ H - P }}" y2="{{ H - P }}"/>
{% for b in bars %}<rect x="{{ b.x }}" y="{{ b.y }}" width="12" height="{{ b.height }}"
 fill="{{ b.colour }}"><title>{{ b.title }}</title></rect>{% endfor %}
{% for label in class_labels %}<text x="{{ label[1] }}" y="{{ H - P + 16 }}"
 text-anchor="end" transform="rotate(-35 {{ label[1] }} {{ H - P + 16 }})">{{ label[0] }}</text>
{% endfor %}</svg>
<p>{% for name in names %}<span style="color:{{ colours[loop.index0] }}">&#9632;</span>
{{ name }} {% endfor %}</p>
</body></html>
"""


def report_html(scores: Sequence[ProfileScore], cases: Sequence[Case], k: int) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(scores))]
    bars, class_labels, bars_width = _bars(scores, colours)
    kinds = {kind: sum(c.kind.value == kind for c in cases) for kind in ("seeded", "fix", "clean")}
    slowest = max((s.latency_median or 0.0 for s in scores), default=0.0) or 1.0
    return env.from_string(_TEMPLATE).render(
        summary=", ".join(f"{n} {kind} cases" for kind, n in kinds.items()),
        k=k,
        names=[s.profile for s in scores],
        colours=colours,
        rows=[(label, [cell(s) for s in scores]) for label, cell in table_rows(scores, k)],
        points=_points(scores, colours, slowest),
        xticks=[(f"{slowest * i / 4:.2g}", _x(slowest * i / 4, slowest)) for i in range(5)],
        yticks=[(f"{i * 25}%", _y(i / 4)) for i in range(5)],
        bars=bars,
        class_labels=class_labels,
        bars_width=bars_width,
        W=WIDTH,
        H=HEIGHT,
        P=PAD,
    )


def _x(seconds: float, slowest: float) -> float:
    return round(PAD + (WIDTH - PAD - 40) * seconds / slowest, 1)


def _y(share: float) -> float:
    return round(HEIGHT - PAD - (HEIGHT - PAD - 20) * share, 1)


def _points(scores: Sequence[ProfileScore], colours: list[str], slowest: float) -> list[_Point]:
    points = []
    for score, colour in zip(scores, colours, strict=True):
        rate = score.detection_line
        if rate.value is None or score.latency_median is None:
            continue
        low, high = rate.interval
        x = _x(score.latency_median, slowest)
        label = f"{format_rate(rate)}, {score.latency_median:.2f} s"
        points.append(_Point(score.profile, colour, x, _y(rate.value), _y(low), _y(high), label))
    return points


def _bars(
    scores: Sequence[ProfileScore], colours: list[str]
) -> tuple[list[_Bar], list[tuple[str, float]], int]:
    classes = sorted({c for s in scores for c in s.per_class})
    group = 14 * max(len(scores), 1) + 18
    bars, labels = [], []
    for i, cls in enumerate(classes):
        left = PAD + i * group
        labels.append((cls, left + group / 2))
        for j, (score, colour) in enumerate(zip(scores, colours, strict=True)):
            rate = score.per_class.get(cls)
            if rate is None or rate.value is None:
                continue
            top = _y(rate.value)
            title = f"{score.profile}, {cls}: {format_rate(rate)}"
            bars.append(_Bar(left + j * 14, top, round(HEIGHT - PAD - top, 1), colour, title))
    return bars, labels, PAD + len(classes) * group + 20
