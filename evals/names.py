"""Metric names: the keys of a row's `metrics` in results.jsonl and of summary.json.

Defined once here and used by the runner, summary, reports and compare; the thresholds
files name them too. Renaming one makes earlier result folders incomparable
(`python -m evals compare`) and breaks the gate, so treat them as a file format.
"""

from __future__ import annotations

from typing import Final

# Retrieval, per answerable question (file level; span level where gold spans exist).
FILE_HIT_1: Final = "retrieval.file.hit@1"
FILE_HIT_3: Final = "retrieval.file.hit@3"
FILE_HIT_5: Final = "retrieval.file.hit@5"
FILE_MRR_10: Final = "retrieval.file.mrr@10"
FILE_RECALL_5: Final = "retrieval.file.recall@5"
FILE_RECALL_10: Final = "retrieval.file.recall@10"
FILE_NDCG_10: Final = "retrieval.file.ndcg@10"
SPAN_HIT_1: Final = "retrieval.span.hit@1"
SPAN_HIT_5: Final = "retrieval.span.hit@5"
SPAN_MRR_10: Final = "retrieval.span.mrr@10"
SPAN_RECALL_10: Final = "retrieval.span.recall@10"

# Citations.
VALIDITY: Final = "citations.validity"
SOURCE_PRECISION: Final = "citations.source_precision"
SOURCE_RECALL: Final = "citations.source_recall"
ALCE_RECALL: Final = "citations.alce_recall"
ALCE_PRECISION: Final = "citations.alce_precision"
CITATION_COUNT: Final = "citations.count"  # summary only

# Answers and abstention.
FACT_RECALL: Final = "answers.fact_recall"
TOKEN_F1: Final = "answers.token_f1"
WORDS: Final = "answers.words"  # per question; the summary reports the median instead
WORDS_MEDIAN: Final = "answers.words_median"
FALLBACK_RATE: Final = "answers.fallback_rate"  # summary only
CORRECT_REFUSAL: Final = "abstention.correct_refusal"
FALSE_REFUSAL: Final = "abstention.false_refusal"

# Follow-up rewriting (multi-turn set): what was searched against the turn's standalone.
REWRITE_F1: Final = "rewrite.token_f1"
REWRITE_ENTITY_RECALL: Final = "rewrite.entity_recall"
REWRITE_ENTITIES_ALL: Final = "rewrite.entities_all"

# Summary only: counts, usage and latency.
COUNT: Final = "count."
QUESTIONS: Final = "count.questions"
ANSWERABLE: Final = "count.answerable"
UNANSWERABLE: Final = "count.unanswerable"
USAGE: Final = "usage."
PROMPT_TOKENS: Final = "usage.prompt_tokens"
COMPLETION_TOKENS: Final = "usage.completion_tokens"
COST: Final = "usage.cost_usd"
LATENCY: Final = "latency."
STAGES: Final = ("embed", "retrieve", "generate", "total", "wall")


def latency(stage: str, percentile: int) -> str:
    """`latency.total.p95`: a percentile of one stage's milliseconds."""
    return f"{LATENCY}{stage}.p{percentile}"
