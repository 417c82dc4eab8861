"""Aggregate per-question rows into the summary: per split, per tag, latency, trade-off."""

from __future__ import annotations

from collections.abc import Sequence

from evals import metrics as m
from evals import names as n
from evals.rows import Aggregate, Row, Summary, TradeoffPoint


def aggregate(rows: Sequence[Row], prices: tuple[float, float] = (0.0, 0.0)) -> Aggregate:
    """Mean of every per-question metric, plus counts, medians and latency percentiles."""
    out: Aggregate = {
        n.QUESTIONS: len(rows),
        n.ANSWERABLE: sum(1 for r in rows if r["answerable"]),
        n.UNANSWERABLE: sum(1 for r in rows if not r["answerable"]),
    }
    names = sorted({k for r in rows for k in r["metrics"]})
    for name in names:
        out[name] = m.mean([r["metrics"][name] for r in rows if name in r["metrics"]])
    out[n.WORDS_MEDIAN] = m.median([r["metrics"][n.WORDS] for r in rows if n.WORDS in r["metrics"]])
    out.pop(n.WORDS, None)
    valid = [v for r in rows for v in r["citation_valid"]]
    out[n.VALIDITY] = (sum(valid) / len(valid)) if valid else None
    out[n.CITATION_COUNT] = len(valid)
    for stage in n.STAGES:
        values = [float(r["timings_ms"][stage]) for r in rows if stage in r["timings_ms"]]
        out[n.latency(stage, 50)] = m.percentile(values, 50)
        out[n.latency(stage, 95)] = m.percentile(values, 95)
    prompt = sum(int(r["usage"].get("prompt_tokens", 0)) for r in rows)
    completion = sum(int(r["usage"].get("completion_tokens", 0)) for r in rows)
    out[n.PROMPT_TOKENS] = prompt
    out[n.COMPLETION_TOKENS] = completion
    out[n.COST] = round(prompt / 1000 * prices[0] + completion / 1000 * prices[1], 6)
    out[n.FALLBACK_RATE] = m.mean([1.0 if r["fallback"] else 0.0 for r in rows])
    return out


def _confidences(rows: Sequence[Row], *, answerable: bool) -> list[float]:
    return [c for r in rows if r["answerable"] is answerable and (c := r["confidence"]) is not None]


def tradeoff(rows: Sequence[Row], steps: int = 40) -> list[TradeoffPoint]:
    """Correct and false refusal rates if abstaining below each confidence threshold.

    Only answers with a confidence count: LLM answers have none, so an LLM run has no curve.
    """
    answerable = _confidences(rows, answerable=True)
    unanswerable = _confidences(rows, answerable=False)
    if not answerable and not unanswerable:
        return []
    return [
        TradeoffPoint(
            threshold=t,
            correct_refusal=sum(c < t for c in unanswerable) / max(len(unanswerable), 1),
            false_refusal=sum(c < t for c in answerable) / max(len(answerable), 1),
        )
        for t in (i / steps for i in range(steps + 1))
    ]


def summarize(
    rows: Sequence[Row],
    *,
    target: str,
    dataset: str,
    threshold: float | None,
    prices: tuple[float, float] = (0.0, 0.0),
) -> Summary:
    splits = {
        name: aggregate([r for r in rows if name == "all" or r["split"] == name], prices)
        for name in ("dev", "test", "all")
        if name == "all" or any(r["split"] == name for r in rows)
    }
    tags = sorted({t for r in rows for t in r["tags"]})
    return Summary(
        target=target,
        dataset=dataset,
        abstain_threshold=threshold,
        splits=splits,
        tags={t: aggregate([r for r in rows if t in r["tags"]], prices) for t in tags},
        tradeoff=tradeoff(rows),
    )
