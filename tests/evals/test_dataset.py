"""Consistency checks for the hand-written article question dataset.

Each check guards an assumption the scorers make: that gold sources really hold the
facts, that spans point at text holding a fact, and that the dataset is large and
varied enough for its metrics to mean something.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.questions.dataset import Question, load_dataset, normalise

ROOT = Path(__file__).resolve().parents[2]
ARTICLES_DIR = ROOT / "data" / "articles"
DATASET_PATH = ROOT / "evals" / "datasets" / "articles.jsonl"


def _read_article(path: Path) -> str:
    # Bytes, not read_text(): span offsets index the text with newlines untouched, and
    # universal-newline translation would shift them on files with CRLF endings.
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff")


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_dataset(DATASET_PATH)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    texts = {path.name: _read_article(path) for path in sorted(ARTICLES_DIR.glob("*.txt"))}
    assert texts, f"no articles found in {ARTICLES_DIR}"
    return texts


@pytest.fixture(scope="module")
def normalised_articles(articles: dict[str, str]) -> dict[str, str]:
    return {name: normalise(text) for name, text in articles.items()}


def _found_in_any(alternatives: list[str], texts: list[str]) -> bool:
    return any(normalise(alternative) in text for alternative in alternatives for text in texts)


def test_size_and_unanswerable_mix(questions: list[Question]) -> None:
    unanswerable = [q for q in questions if not q.answerable]
    on_topic = [q for q in unanswerable if "unanswerable-on-topic" in q.tags]
    off_topic = [q for q in unanswerable if "unanswerable-off-topic" in q.tags]
    assert len(questions) >= 60
    assert len(unanswerable) >= 12
    assert len(on_topic) >= 6
    assert len(off_topic) >= 6


def test_both_splits_present(questions: list[Question]) -> None:
    assert {q.split for q in questions} == {"dev", "test"}


def test_sources_are_articles(questions: list[Question], articles: dict[str, str]) -> None:
    missing = {(q.id, s) for q in questions for s in q.sources if s not in articles}
    assert not missing, f"gold sources that are not article files: {sorted(missing)}"


def test_every_fact_found_in_a_gold_source(
    questions: list[Question], normalised_articles: dict[str, str]
) -> None:
    failures: list[tuple[str, list[str]]] = []
    for question in questions:
        gold = [normalised_articles[source] for source in question.sources]
        failures.extend(
            (question.id, fact) for fact in question.facts if not _found_in_any(fact, gold)
        )
    assert not failures, f"facts absent from every gold source: {failures}"


def test_every_alternative_found_in_a_gold_source(
    questions: list[Question], normalised_articles: dict[str, str]
) -> None:
    # Stricter than the per-fact check: an alternative that occurs nowhere would let a
    # grader accept wording the articles never support.
    failures: list[tuple[str, str]] = []
    for question in questions:
        gold = [normalised_articles[source] for source in question.sources]
        failures.extend(
            (question.id, alternative)
            for fact in question.facts
            for alternative in fact
            if not _found_in_any([alternative], gold)
        )
    assert not failures, f"alternatives absent from every gold source: {failures}"


def test_every_gold_source_holds_a_fact(
    questions: list[Question], normalised_articles: dict[str, str]
) -> None:
    failures: list[tuple[str, str]] = []
    for question in questions:
        alternatives = [alternative for fact in question.facts for alternative in fact]
        failures.extend(
            (question.id, source)
            for source in question.sources
            if not _found_in_any(alternatives, [normalised_articles[source]])
        )
    assert not failures, f"gold sources holding none of the facts: {failures}"


def test_spans_hold_a_fact(questions: list[Question], articles: dict[str, str]) -> None:
    failures: list[tuple[str, str, str]] = []
    for question in questions:
        alternatives = [alternative for fact in question.facts for alternative in fact]
        for span in question.spans:
            assert span.source in articles, f"{question.id}: unknown span source {span.source}"
            text = articles[span.source]
            assert span.end <= len(text), f"{question.id}: span runs past the end of {span.source}"
            sliced = text[span.start : span.end]
            if not sliced.strip() or not _found_in_any(alternatives, [normalise(sliced)]):
                failures.append((question.id, span.source, sliced))
    assert not failures, f"spans that are empty or hold no fact: {failures}"


def test_load_dataset_names_bad_line(tmp_path: Path) -> None:
    good = DATASET_PATH.read_text(encoding="utf-8").splitlines()[0]
    bad = json.loads(good)
    bad["id"] = "bad"
    bad["split"] = "train"
    path = tmp_path / "broken.jsonl"
    path.write_text(f"{good}\n{json.dumps(bad)}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)line 2: invalid question.*split"):
        load_dataset(path)


def test_normalise_folds_punctuation_case_and_whitespace() -> None:
    assert normalise("  Putin\u2019s \u201cYES,\n  but\u201d \u2013 plan\u2014B ") == (
        'putin\'s "yes, but" - plan-b'
    )
