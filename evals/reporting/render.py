"""Write results.jsonl, summary.json, report.md and a self-contained report.html."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from evals import names as n
from evals.rows import Row, Summary, TradeoffPoint

HEADLINE = (
    n.FILE_HIT_1,
    n.FILE_HIT_5,
    n.FILE_MRR_10,
    n.FILE_NDCG_10,
    n.SPAN_HIT_5,
    n.VALIDITY,
    n.SOURCE_PRECISION,
    n.ALCE_RECALL,
    n.ALCE_PRECISION,
    n.FACT_RECALL,
    n.TOKEN_F1,
    n.WORDS_MEDIAN,
    n.CORRECT_REFUSAL,
    n.FALSE_REFUSAL,
    n.latency("total", 50),
    n.latency("total", 95),
    n.latency("wall", 50),
)
# The multi-turn set (`run-conversations`): per follow-up turn.
CONVERSATION_HEADLINE = (
    n.REWRITE_F1,
    n.REWRITE_ENTITY_RECALL,
    n.REWRITE_ENTITIES_ALL,
    n.FILE_HIT_1,
    n.FILE_HIT_5,
    n.VALIDITY,
    n.SOURCE_PRECISION,
    n.FACT_RECALL,
    n.CORRECT_REFUSAL,
    n.FALSE_REFUSAL,
    n.latency("total", 50),
)
TAG_METRICS = (n.FILE_HIT_1, n.FACT_RECALL)


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def badness(row: Row) -> float:
    """Higher is worse: missed facts, wrong refusals, invalid citations, late gold file."""
    metrics = row["metrics"]
    if not row["answerable"]:
        return 0.0 if row["abstained"] else 1.0
    return (
        (1 - metrics.get(n.FACT_RECALL, 0.0))
        + (1 - metrics.get(n.FILE_MRR_10, 0.0)) * 0.5
        + (1 - metrics.get(n.SOURCE_PRECISION, 1.0)) * 0.5
        + (0 if all(row["citation_valid"]) else 2)
    )


def worst(rows: Sequence[Row], count: int = 10) -> list[Row]:
    return sorted(rows, key=lambda r: (-badness(r), r["id"]))[:count]


def write_all(
    out: Path, rows: Sequence[Row], summary: Summary, headline: Sequence[str] = HEADLINE
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    (out / "report.md").write_text(markdown(rows, summary, headline), "utf-8")
    (out / "report.html").write_text(render_html(rows, summary, headline), "utf-8")


def markdown(rows: Sequence[Row], summary: Summary, headline: Sequence[str] = HEADLINE) -> str:
    splits = summary["splits"]
    lines = [
        "# Evaluation report",
        "",
        f"Target: {summary['target']}  ",
        f"Dataset: {summary['dataset']}  ",
        f"Abstention threshold: {fmt(summary['abstain_threshold'])}",
        "",
        "| metric | " + " | ".join(splits) + " |",
        "|---|" + "---|" * len(splits),
    ]
    for name in headline:
        lines.append(f"| {name} | " + " | ".join(fmt(s.get(name)) for s in splits.values()) + " |")
    lines += ["", "## Per tag", "", "| tag | n | " + " | ".join(TAG_METRICS) + " |"]
    lines.append("|---|---|" + "---|" * len(TAG_METRICS))
    for tag, agg in summary["tags"].items():
        lines.append(
            f"| {tag} | {agg[n.QUESTIONS]} | "
            + " | ".join(fmt(agg.get(k)) for k in TAG_METRICS)
            + " |"
        )
    lines += ["", "## Worst questions", ""]
    for row in worst(rows):
        lines.append(f"- **{row['id']}** ({row['split']}) {row['question']}")
        lines.append(f"  - answer: {row['answer']}")
        lines.append(f"  - reference: {row['reference']}")
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{border:1px solid #dde;padding:.3rem .6rem;
text-align:left}th{background:#f3f5fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.card{border:1px solid #dde;border-radius:8px;
padding:1rem}.q{border-left:4px solid #c33;padding:.4rem .8rem;margin:.8rem 0;background:#fbf8f8}
.q.ok{border-color:#3a3}blockquote{margin:.3rem 0 .3rem 1rem;color:#445;font-style:italic}
small{color:#667}
"""


def _bar_chart(title: str, items: Sequence[tuple[str, float]], width: int = 460) -> str:
    row_h, label_w = 22, 190
    height = row_h * len(items) + 30
    bars = []
    for i, (label, value) in enumerate(items):
        y = 20 + i * row_h
        w = max(0.0, min(1.0, value)) * (width - label_w - 50)
        bars.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{html.escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="15" fill="#4a6fd8"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">{value:.2f}</text>'
        )
    return (
        f'<div class="card"><b>{html.escape(title)}</b><br><svg width="{width}" '
        f'height="{height}" role="img">{"".join(bars)}</svg></div>'
    )


def _histogram(title: str, values: Sequence[float], bins: int = 12) -> str:
    width, height, pad = 460, 200, 30
    if not values:
        return f'<div class="card"><b>{html.escape(title)}</b><p>no data</p></div>'
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / span * bins), bins - 1)] += 1
    top = max(counts)
    bar_w = (width - 2 * pad) / bins
    rects = []
    for i, c in enumerate(counts):
        h = (height - 2 * pad) * c / top
        rects.append(
            f'<rect x="{pad + i * bar_w:.1f}" y="{height - pad - h:.1f}" '
            f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#3c9d72"/>'
        )
    axis = (
        f'<text x="{pad}" y="{height - 8}" font-size="11">{low:.1f} ms</text>'
        f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{high:.1f} ms</text>"
    )
    return (
        f'<div class="card"><b>{html.escape(title)}</b><br><svg width="{width}" '
        f'height="{height}" role="img">{"".join(rects)}{axis}</svg></div>'
    )


def _tradeoff(points: Sequence[TradeoffPoint], chosen: float | None) -> str:
    size, pad = 300, 36
    inner = size - 2 * pad

    def xy(fr: float, cr: float) -> tuple[float, float]:
        return pad + fr * inner, size - pad - cr * inner

    path = " ".join(
        f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
        for i, (x, y) in enumerate(xy(p["false_refusal"], p["correct_refusal"]) for p in points)
    )
    marker = ""
    if chosen is not None and points:
        nearest = min(points, key=lambda p: abs(p["threshold"] - chosen))
        x, y = xy(nearest["false_refusal"], nearest["correct_refusal"])
        marker = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#c33"/>'
            f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="11">threshold {chosen:.2f}</text>'
        )
    return (
        '<div class="card"><b>Abstention trade-off</b><br>'
        f'<svg width="{size}" height="{size}" role="img">'
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="none" stroke="#ccd"/>'
        f'<path d="{path}" fill="none" stroke="#4a6fd8" stroke-width="2"/>{marker}'
        f'<text x="{size / 2}" y="{size - 6}" font-size="11" text-anchor="middle">'
        "false refusal (answerable)</text>"
        f'<text x="10" y="{size / 2}" font-size="11" transform="rotate(-90 10 {size / 2})" '
        'text-anchor="middle">correct refusal (unanswerable)</text></svg></div>'
    )


def render_html(rows: Sequence[Row], summary: Summary, headline: Sequence[str] = HEADLINE) -> str:
    splits = summary["splits"]
    table = ["<table><tr><th>metric</th>"] + [f"<th>{s}</th>" for s in splits] + ["</tr>"]
    for name in headline:
        cells = "".join(f'<td class="num">{fmt(agg.get(name))}</td>' for agg in splits.values())
        table.append(f"<tr><td>{name}</td>{cells}</tr>")
    table.append("</table>")
    charts = [
        _bar_chart(
            f"{metric} per tag",
            [
                (tag, float(agg.get(metric) or 0.0))
                for tag, agg in summary["tags"].items()
                if agg.get(metric) is not None
            ],
        )
        for metric in TAG_METRICS
    ]
    charts.append(
        _histogram(
            "Answer latency (total, ms)",
            [float(r["timings_ms"]["total"]) for r in rows if "total" in r["timings_ms"]],
        )
    )
    charts.append(_tradeoff(summary["tradeoff"], summary["abstain_threshold"]))
    worst_html = []
    for row in worst(rows):
        ok = " ok" if badness(row) == 0 else ""
        cites = "".join(
            f"<li>[{c['n']}] <code>{html.escape(c['source'])}</code> {c['start']}–{c['end']}"
            f"<blockquote>{html.escape(c['quote'])}</blockquote></li>"
            for c in row["citations"]
        )
        worst_html.append(
            f'<div class="q{ok}"><b>{html.escape(row["id"])}</b> <small>{row["split"]} · '
            f"{', '.join(row['tags'])}</small><br><b>Q:</b> {html.escape(row['question'])}<br>"
            f"<b>A:</b> {html.escape(row['answer'])}<br><b>Reference:</b> "
            f"{html.escape(row['reference'])}<ul>{cites}</ul></div>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Evaluation report</title>"
        f"<style>{_CSS}</style></head><body><h1>Evaluation report</h1>"
        f"<p><small>Target: {html.escape(summary['target'])} · Dataset: "
        f"{html.escape(summary['dataset'])} · {len(rows)} questions</small></p>"
        f"<h2>Summary</h2>{''.join(table)}"
        f'<h2>Charts</h2><div class="charts">{"".join(charts)}</div>'
        f"<h2>Worst questions</h2>{''.join(worst_html)}</body></html>"
    )
