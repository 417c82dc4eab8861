"""Aggregate per-question rows into the summary: per split, per tag, latency, trade-off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals import metrics as m

STAGES = ("embed", "retrieve", "generate", "total", "wall")


def aggregate(
    rows: Sequence[dict[str, Any]], prices: tuple[float, float] = (0.0, 0.0)
) -> dict[str, Any]:
    """Mean of every per-question metric, plus counts, medians and latency percentiles."""
    out: dict[str, Any] = {
        "count.questions": len(rows),
        "count.answerable": sum(1 for r in rows if r["answerable"]),
        "count.unanswerable": sum(1 for r in rows if not r["answerable"]),
    }
    names = sorted({k for r in rows for k in r["metrics"]})
    for name in names:
        values = [r["metrics"][name] for r in rows if name in r["metrics"]]
        out[name] = m.mean(values)
    words = [r["metrics"]["answers.words"] for r in rows if "answers.words" in r["metrics"]]
    out["answers.words_median"] = m.median(words)
    out.pop("answers.words", None)
    valid = [v for r in rows for v in r["citation_valid"]]
    out["citations.validity"] = (sum(valid) / len(valid)) if valid else None
    out["citations.count"] = len(valid)
    for stage in STAGES:
        values = [float(r["timings_ms"][stage]) for r in rows if stage in r["timings_ms"]]
        out[f"latency.{stage}.p50"] = m.percentile(values, 50)
        out[f"latency.{stage}.p95"] = m.percentile(values, 95)
    prompt = sum(int(r["usage"].get("prompt_tokens", 0)) for r in rows)
    completion = sum(int(r["usage"].get("completion_tokens", 0)) for r in rows)
    out["usage.prompt_tokens"] = prompt
    out["usage.completion_tokens"] = completion
    out["usage.cost_usd"] = round(prompt / 1000 * prices[0] + completion / 1000 * prices[1], 6)
    out["answers.fallback_rate"] = m.mean([1.0 if r["fallback"] else 0.0 for r in rows])
    return out


def tradeoff(rows: Sequence[dict[str, Any]], steps: int = 40) -> list[dict[str, float]]:
    """Correct and false refusal rates if abstaining below each confidence threshold."""
    answerable = [r["confidence"] for r in rows if r["answerable"]]
    unanswerable = [r["confidence"] for r in rows if not r["answerable"]]
    points = []
    for i in range(steps + 1):
        t = i / steps
        points.append(
            {
                "threshold": t,
                "correct_refusal": sum(c < t for c in unanswerable) / max(len(unanswerable), 1),
                "false_refusal": sum(c < t for c in answerable) / max(len(answerable), 1),
            }
        )
    return points


def summarize(
    rows: Sequence[dict[str, Any]],
    *,
    target: str,
    dataset: str,
    threshold: float | None,
    prices: tuple[float, float] = (0.0, 0.0),
) -> dict[str, Any]:
    splits = {
        name: aggregate([r for r in rows if name == "all" or r["split"] == name], prices)
        for name in ("dev", "test", "all")
        if name == "all" or any(r["split"] == name for r in rows)
    }
    tags = sorted({t for r in rows for t in r["tags"]})
    return {
        "target": target,
        "dataset": dataset,
        "abstain_threshold": threshold,
        "splits": splits,
        "tags": {t: aggregate([r for r in rows if t in r["tags"]], prices) for t in tags},
        "tradeoff": tradeoff(rows),
    }
