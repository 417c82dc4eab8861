"""The feedback section of a run's report: thumbs-down by day and by client, and the
questions rated worst, from the `feedback` objects of the dataset's rows (labelled or not)."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

WORST = 10


def feedback_of(dataset: Path) -> list[dict[str, Any]]:
    found = []
    for line in dataset.read_text("utf-8-sig").splitlines():
        if line.strip():
            row = json.loads(line)
            if isinstance(row, dict) and isinstance(row.get("feedback"), dict):
                found.append({**row["feedback"], "question": row.get("question", "")})
    return found


def _share(rows: list[dict[str, Any]], key: str) -> list[tuple[str, int, float]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        groups[key_of(row, key)].append(str(row.get("rating")))
    return [
        (name, len(ratings), ratings.count("down") / len(ratings))
        for name, ratings in sorted(groups.items())
    ]


def key_of(row: dict[str, Any], key: str) -> str:
    if key == "day":
        return str(row.get("rated_at") or "")[:10] or "-"
    return str(row.get(key) or "-")


def worst(rows: list[dict[str, Any]], n: int = WORST) -> list[tuple[str, int, int]]:
    """(question, thumbs down, ratings), most thumbs down first."""
    down: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for row in rows:
        q = " ".join(str(row["question"]).split())
        total[q] += 1
        down[q] += row.get("rating") == "down"
    ranked = sorted(total, key=lambda q: (-down[q], -down[q] / total[q], q))
    return [(q, down[q], total[q]) for q in ranked if down[q]][:n]


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["", "## Feedback", "", f"{len(rows)} rated answers in the dataset.", ""]
    for key, title in (("day", "day"), ("client", "client")):
        lines += [f"| {title} | ratings | thumbs down |", "|---|---|---|"]
        lines += [f"| {name} | {n} | {share:.0%} |" for name, n, share in _share(rows, key)]
        lines.append("")
    lines += ["Worst-rated questions:", ""]
    lines += [f"1. {q.replace('|', '/')} ({d} of {n} down)" for q, d, n in worst(rows)]
    return "\n".join(lines) + "\n"


def section_html(rows: list[dict[str, Any]]) -> str:
    parts = ['<section id="feedback"><h2>Feedback</h2>', f"<p>{len(rows)} rated answers.</p>"]
    for key in ("day", "client"):
        parts.append(f"<table><tr><th>{key}</th><th>ratings</th><th>thumbs down</th></tr>")
        parts += [
            f"<tr><td>{html.escape(name)}</td><td>{n}</td><td>{share:.0%}</td></tr>"
            for name, n, share in _share(rows, key)
        ]
        parts.append("</table>")
    parts.append("<h3>Worst-rated questions</h3><ol>")
    parts += [f"<li>{html.escape(q)} ({d} of {n} down)</li>" for q, d, n in worst(rows)]
    parts.append("</ol></section>")
    return "".join(parts)


def add_to_report(out: Path, dataset: Path) -> bool:
    """Append the section to report.md and report.html when the dataset has feedback."""
    rows = feedback_of(dataset)
    if not rows:
        return False
    md = out / "report.md"
    md.write_text(md.read_text("utf-8") + markdown(rows), "utf-8")
    page = out / "report.html"
    text = page.read_text("utf-8")
    at = text.rfind("</body>")
    section = section_html(rows)
    page.write_text(text[:at] + section + text[at:] if at >= 0 else text + section, "utf-8")
    return True
