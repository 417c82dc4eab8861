"""`python -m evals compare OLD NEW`: metric deltas and the questions that got worse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

from evals import names as n
from evals.reporting.render import badness, fmt
from evals.rows import Row, Summary

# Metrics (or groups, by prefix) where a smaller number is better.
LOWER_IS_BETTER = (n.FALSE_REFUSAL, n.LATENCY, n.WORDS, n.USAGE)
# Reported without a verdict: they depend on the machine or only count.
UNJUDGED = (n.LATENCY, n.COUNT)


def _load(folder: Path) -> tuple[Summary, dict[str, Row]]:
    summary = cast(Summary, json.loads((folder / "summary.json").read_text("utf-8")))
    rows = {}
    for line in (folder / "results.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            row = cast(Row, json.loads(line))
            rows[row["id"]] = row
    return summary, rows


def compare(old: Path, new: Path) -> str:
    old_summary, old_rows = _load(old)
    new_summary, new_rows = _load(new)
    lines = [f"{'metric':<34} {'split':<5} {'old':>9} {'new':>9} {'delta':>9}"]
    for split, new_agg in new_summary["splits"].items():
        old_agg = old_summary["splits"].get(split, {})
        for name in sorted(new_agg):
            a, b = old_agg.get(name), new_agg.get(name)
            if not isinstance(b, int | float) or not isinstance(a, int | float):
                continue
            delta = b - a
            worse = delta > 1e-9 if name.startswith(LOWER_IS_BETTER) else delta < -1e-9
            flag = "  worse" if worse and not name.startswith(UNJUDGED) else ""
            lines.append(f"{name:<34} {split:<5} {fmt(a):>9} {fmt(b):>9} {delta:>+9.3f}{flag}")
    regressed = [
        (qid, badness(old_rows[qid]), badness(row))
        for qid, row in sorted(new_rows.items())
        if qid in old_rows and badness(row) > badness(old_rows[qid]) + 1e-9
    ]
    lines.append("")
    lines.append(f"questions that regressed: {len(regressed)}")
    for qid, before, after in regressed:
        row = new_rows[qid]
        lines.append(f"  {qid} ({before:.2f} -> {after:.2f}) {row['question']}")
        lines.append(f"     old: {old_rows[qid]['answer'][:150]}")
        lines.append(f"     new: {row['answer'][:150]}")
    return "\n".join(lines)
