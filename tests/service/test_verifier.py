"""The claim verifier against hand-labelled claims, and on recorded model outputs.

`evals/datasets/verifier_claims.jsonl` holds claims written the way a small instruct model
answers over real chunks of the sample and the second corpus (chunked as ingest does):
correct claims, paraphrases, claims citing the wrong passage, changed numbers and dates,
swapped names, a flipped negation, facts from the model's own knowledge, claims that
need two sentences. Each is labelled by hand: does some given passage state it, and which.
The `tuning` rows were looked at while the verifier's rules were settled; the `held-out`
rows were written afterwards and first run as they are (h01-h22; h23-h62 were written
before claims were read by lemma and word vector, and looked at while that was settled).
The figures of both are in docs/llm-quality.md; the floors below fail on a regression.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from devtools.contract import article_text
from ingest.chunker import chunk_text
from ingest.reader import read_article
from service.answer.base import Usage
from service.answer.postprocess import finalize
from service.answer.prompt import Numbered
from service.answer.verify import Verifier, names, numbers, parse_claim
from service.answer.wording import WordVectors
from service.core.embedder import OnnxEmbedder
from service.core.store import Chunk
from service.retrieval.hits import Hit
from service.settings import EmbedderSettings
from tests.conftest import REPO, SAMPLE_DIR
from tests.service.test_postprocess import check_contract

LABELS = REPO / "evals" / "datasets" / "verifier_claims.jsonl"
CORPORA = {"sample": SAMPLE_DIR, "second": REPO / "evals" / "datasets" / "second" / "articles"}
MODEL = "recorded-model"
USAGE = Usage(prompt_tokens=812, completion_tokens=37)

# Measured on the labels (docs/llm-quality.md); a change that falls below fails here.
MIN_PRECISION = 0.95
MIN_RECALL = 0.90
MIN_ATTRIBUTION = 0.95


@dataclass(frozen=True)
class Labelled:
    id: str
    split: str
    corpus: str
    passages: list[Numbered]
    question: str
    claim: str
    cited: list[int]
    supported: bool
    stated_by: int | None
    kind: str


@cache
def chunk_of(corpus: str, source: str, needle: str) -> Hit:
    """The chunk of `source` (chunked as ingest does, 160/24 tokens) containing `needle`."""
    folder = CORPORA[corpus]
    text = article_text(folder / source)
    meta = read_article(folder, folder / source, 10_000_000)
    for i, piece in enumerate(chunk_text(text, 160, 24, 4096, len)):
        if needle in piece.text:
            chunk = Chunk(
                id=f"{source}:{i}",
                text=piece.text,
                source=source,
                start=piece.start,
                end=piece.end,
                chunk_index=i,
                title=meta.title,
                published=meta.published,
                url=None,
                file_sha256=meta.sha256,
                tokens=piece.tokens,
            )
            assert text[chunk.start : chunk.end] == chunk.text
            return Hit(chunk=chunk, score=0.5)
    raise AssertionError(f"no chunk of {source} contains {needle!r}")


@cache
def labelled() -> list[Labelled]:
    rows = [json.loads(line) for line in LABELS.read_text("utf-8").splitlines() if line.strip()]
    out = []
    for r in rows:
        hits = [chunk_of(r["corpus"], p["source"], p["contains"]) for p in r["passages"]]
        out.append(
            Labelled(
                id=r["id"],
                split=r["split"],
                corpus=r["corpus"],
                passages=[Numbered(n=i, passage=h) for i, h in enumerate(hits, start=1)],
                question=r["question"],
                claim=r["claim"],
                cited=r["cited"],
                supported=r["supported"],
                stated_by=r["stated_by"],
                kind=r["kind"],
            )
        )
    return out


@cache
def word_vectors() -> WordVectors:
    """The bundled embedder, as the service gives it to the claim check."""
    return WordVectors(OnnxEmbedder(EmbedderSettings()).embed)


def verdict(row: Labelled) -> list[int]:
    """The passages the verifier cites for the row's claim (empty: dropped)."""
    claim_text = row.claim.split(" [")[0]
    verifier = Verifier(row.passages, word_vectors())
    supports = verifier.support(parse_claim(claim_text, row.question), row.cited)
    return [s.passage.n for support in supports for s in support.sentences]


def test_the_labels_are_a_balanced_realistic_set() -> None:
    rows = labelled()
    assert len(rows) >= 40
    assert {r.corpus for r in rows} == {"sample", "second"}
    supported = sum(r.supported for r in rows)
    assert 0.35 <= supported / len(rows) <= 0.65
    kinds = {r.kind for r in rows}
    assert {"model-knowledge", "wrong-passage", "number-changed", "partial"} <= kinds
    for r in rows:
        assert (r.stated_by is not None) == r.supported


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    attribution: float
    wrongly_kept: list[str]
    missed: list[str]


def scores(rows: list[Labelled]) -> Scores:
    cited = {r.id: verdict(r) for r in rows}
    kept = [r for r in rows if cited[r.id]]
    true_kept = [r for r in kept if r.supported]
    precision = len(true_kept) / len(kept)
    recall = len(true_kept) / sum(r.supported for r in rows)
    attribution = sum(r.stated_by in cited[r.id] for r in true_kept) / len(true_kept)
    wrongly_kept = [f"{r.id} ({r.kind}): {r.claim}" for r in kept if not r.supported]
    missed = [f"{r.id} ({r.kind}): {r.claim}" for r in rows if r.supported and not cited[r.id]]
    return Scores(precision, recall, attribution, wrongly_kept, missed)


def test_precision_recall_and_attribution_on_the_labels() -> None:
    rows = labelled()
    for split in ("tuning", "held-out", "all"):
        part = [r for r in rows if split in ("all", r.split)]
        got = scores(part)
        print(
            f"\nverifier on {len(part)} {split} claims: precision {got.precision:.3f}, "
            f"recall {got.recall:.3f}, attribution {got.attribution:.3f}"
        )
        print("kept but not supported:", *got.wrongly_kept, sep="\n  ")
        print("supported but dropped:", *got.missed, sep="\n  ")
    got = scores(rows)
    assert got.precision >= MIN_PRECISION, got.wrongly_kept
    assert got.recall >= MIN_RECALL, got.missed
    assert got.attribution >= MIN_ATTRIBUTION


def test_no_claim_from_the_model_s_own_knowledge_survives() -> None:
    for row in labelled():
        if row.kind == "model-knowledge":
            answer = finalize(row.claim, row.passages, MODEL, USAGE, row.question)
            assert answer.abstained, (row.id, answer.text)
            assert answer.citations == []


def test_a_claim_citing_the_wrong_passage_is_cited_to_the_one_that_states_it() -> None:
    for row in labelled():
        # Kept claims only: recall is measured above.
        if row.kind == "wrong-passage" and verdict(row):
            answer = finalize(row.claim, row.passages, MODEL, USAGE, row.question)
            articles = {
                p.passage.source: article_text(CORPORA[row.corpus] / p.passage.source)
                for p in row.passages
            }
            check_contract(answer, row.passages, articles)
            stated = row.passages[(row.stated_by or 0) - 1].passage
            # Two sentences may state it together; one is the passage's.
            assert any(
                c.source == stated.source and stated.start <= c.start < stated.end
                for c in answer.citations
            ), row.id


def test_unsupported_claims_are_dropped_from_a_mixed_answer() -> None:
    rows = {r.id: r for r in labelled()}
    good, bad = rows["v01"], rows["v03"]  # Geneva; Geneva, Switzerland
    other = rows["v09"]  # the 28-point plan
    raw = f"{good.claim} {bad.claim} {other.claim}"
    answer = finalize(raw, good.passages, MODEL, USAGE, good.question)
    check_contract(answer, good.passages)
    assert "Switzerland" not in answer.text
    assert answer.text == (
        "The US-Ukraine talks were held in Geneva over the weekend [1]. "
        "Ukraine and its European allies pushed back against the 28-point plan [2]."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NOK 1,290 rose to NOK 1,390", {"1290", "1390"}),
        ("Fifteen countries, not 15.5", {"15", "15.5"}),
        ("about 9 per cent", {"9"}),
        ("NOK 3.5 million", {"3.5", "3500000"}),
        ("the 28-point plan", {"28"}),
        ("on 25th November", {"25"}),
    ],
)
def test_numbers_are_normalised(text: str, expected: set[str]) -> None:
    assert numbers(text) == expected


def test_a_scaled_claim_number_is_read_strictly() -> None:
    assert numbers("NOK 3.5 billion", bare=False) == {"3500000000"}
    assert not numbers("NOK 3.5 billion", bare=False) <= numbers("NOK 3.5 million")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Talks in Geneva were attended by Mr Macron.", {"geneva", "macron"}),
        ("The U.S. and the United Kingdom agreed.", {"us", "united", "kingdom"}),
        # A nationality is a content word (read by lemma and word vector), not a name.
        ("Lecornu is the French defence minister.", set()),
        ("Fares rise in May, the company said.", set()),
    ],
)
def test_names_skip_the_first_word_titles_and_months(text: str, expected: set[str]) -> None:
    assert names(text) == expected


def test_the_labels_file_is_valid_json_lines() -> None:
    for line in Path(LABELS).read_text("utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {
            "id",
            "split",
            "corpus",
            "passages",
            "question",
            "claim",
            "cited",
            "supported",
            "stated_by",
            "kind",
        }


@pytest.mark.parametrize("raw", ["The", "The [1]", "Yes.", "It was."])
def test_a_claim_without_a_content_word_of_its_own_is_dropped(raw: str) -> None:
    # The question's words must not stand in for a claim that states nothing.
    row = labelled()[0]
    answer = finalize(raw, row.passages, MODEL, USAGE, row.question)
    assert answer.abstained and answer.citations == [], answer.text
