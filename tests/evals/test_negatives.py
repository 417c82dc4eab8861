"""The negatives-only sets: schema, reproducibility, and that the answers really are gone.

The committed files must be exactly what scripts/build_negatives.py produces, so that the
reader's judgements (evals/datasets/negatives_judgements.jsonl) stay the single record of
what was verified.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from evals.metrics import contains_fact
from evals.negatives.dataset import Negative, check_against, load_negatives
from evals.questions.dataset import load_dataset
from ingest.dedupe import similarity
from scripts.build_negatives import (
    BY_HAND,
    CORPORA,
    FACT_REMAINS,
    HAND_CHECKED,
    MANUAL_DROPS,
    NO_REMAINING,
    Corpus,
    build,
    date_forms,
    dedupe_threshold,
    fact_variants,
    load_judgements,
    read_corpus,
    render,
    signatures,
)

# Rows per split that each corpus must keep. All reach 10 today (articles: dev 23,
# test 27; second: dev 15, test 14; third: dev 28, test 26); a data change that falls below
# is worth a look.
MIN_PER_SPLIT = 10


@pytest.fixture(params=CORPORA, ids=lambda corpus: corpus.name)
def corpus(request: pytest.FixtureRequest) -> Corpus:
    value: Corpus = request.param
    return value


# -- the committed files -----------------------------------------------------------------


def test_committed_files_load_and_match_their_dataset(corpus: Corpus) -> None:
    rows = load_negatives(corpus.output)
    assert rows
    check_against(rows, load_dataset(corpus.dataset))


def test_regenerating_reproduces_the_committed_files(corpus: Corpus) -> None:
    expected = render(build(corpus).rows)
    assert corpus.output.read_text(encoding="utf-8") == expected, (
        f"{corpus.output.name} differs from what the script builds; edit the judgements in "
        "evals/datasets/negatives_judgements.jsonl and run scripts/build_negatives.py "
        "instead of editing the file"
    )


def test_no_fact_of_the_source_question_is_in_a_remaining_article(corpus: Corpus) -> None:
    texts = read_corpus(corpus.articles)
    questions = {q.id: q for q in load_dataset(corpus.dataset)}
    found: list[str] = []
    for row in load_negatives(corpus.output):
        remaining = {s: t for s, t in texts.items() if s not in row.excluded}
        assert remaining, f"{row.id}: every article is excluded"
        for fact in questions[row.source_id].facts:
            for form in fact_variants(fact):
                found += [
                    f"{row.id}: {form!r} in {source}"
                    for source, text in remaining.items()
                    if contains_fact(text, [form])
                ]
    assert not found, found


def test_near_copies_of_gold_sources_are_excluded(corpus: Corpus) -> None:
    sigs = signatures(read_corpus(corpus.articles))
    threshold = dedupe_threshold()
    questions = {q.id: q for q in load_dataset(corpus.dataset)}
    for row in load_negatives(corpus.output):
        for gold in questions[row.source_id].sources:
            copies = {s for s in sigs if similarity(sigs[gold], sigs[s]) >= threshold}
            assert copies <= set(row.excluded), (row.id, sorted(copies - set(row.excluded)))


def test_each_split_has_enough_rows(corpus: Corpus) -> None:
    counts = Counter(row.split for row in load_negatives(corpus.output))
    assert min(counts["dev"], counts["test"]) >= MIN_PER_SPLIT, counts


def test_tables_name_only_known_questions() -> None:
    known = {q.id for corpus in CORPORA for q in load_dataset(corpus.dataset)}
    assert not (set(MANUAL_DROPS) | set(HAND_CHECKED)) - known
    assert not set(MANUAL_DROPS) & set(HAND_CHECKED)


def test_judgements_refuse_a_repeated_id_or_an_unknown_judgement(tmp_path: Path) -> None:
    path = tmp_path / "judgements.jsonl"
    keep = json.dumps({"id": "x1", "judgement": "keep", "note": "read"})
    path.write_text(keep + "\n" + json.dumps({"id": "x2", "judgement": "drop", "note": "r"}))
    assert load_judgements(path) == ({"x2": "r"}, {"x1": "read"})
    path.write_text(keep + "\n" + json.dumps({"id": "x1", "judgement": "drop", "note": "r"}))
    with pytest.raises(ValueError, match="repeated id 'x1'"):
        load_judgements(path)
    path.write_text(json.dumps({"id": "x3", "judgement": "maybe", "note": "?"}))
    with pytest.raises(ValueError, match="unknown judgement"):
        load_judgements(path)


# -- dates -------------------------------------------------------------------------------


def test_date_forms_cover_the_usual_spellings() -> None:
    forms = date_forms("25 November 2025")
    for expected in ("25 November 2025", "November 25, 2025", "2025-11-25", "25 Nov", "Nov. 25"):
        assert expected in forms
    assert "Tuesday 25 November" in forms  # 25 November 2025 was a Tuesday
    assert set(date_forms("2025-11-25")) >= {"25 November 2025", "Tuesday, 25 November"}
    assert "17 Feb" in date_forms("February 17th")
    assert date_forms("Thursday")[:3] == ["Thursday", "Thu", "Thu."]
    assert date_forms("end of April") == ["end of April"]
    assert date_forms("31 February") == ["31 February"]


def test_a_date_in_another_format_counts_as_present() -> None:
    text = "Talks resumed on Nov. 25, two days after the call.\n date 2025-11-25 marker"
    assert contains_fact(text[:40], fact_variants(["25 November 2025"]))
    assert contains_fact(text[40:], fact_variants(["25 November"]))
    assert not contains_fact(text, fact_variants(["26 November 2025"]))


# -- building over a small corpus ----------------------------------------------------------

_FILLER = (
    "The council met on a grey morning to discuss the harbour budget and the plans for the "
    "coming season, with residents asking many questions about timetables, fares, parking, "
    "the state of the quay and the long queues that form every weekday before the first "
    "departure of the day."
)


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def _question(qid: str, sources: list[str], facts: list[list[str]]) -> dict[str, Any]:
    return {
        "id": qid,
        "question": f"Question {qid}?",
        "answerable": True,
        "sources": sources,
        "facts": facts,
        "answer": "An answer.",
        "tags": ["single-fact"],
        "split": "dev",
    }


@pytest.fixture
def small(tmp_path: Path) -> Corpus:
    articles = tmp_path / "articles"
    _write(articles, "a.txt", f"Harbour news. The mayor is Ada Quist. {_FILLER}")
    # A syndicated copy of a.txt: only the headline differs.
    _write(articles, "a_copy.txt", f"Harbour report. The mayor is Ada Quist. {_FILLER}")
    _write(articles, "b.txt", f"Ferry news. It opened on 3 March 2026. {_FILLER[:120]}")
    _write(articles, "c.txt", "Quay news. Repairs were finished on March 3, 2026, on time.")
    _write(articles, "d.txt", "Fare news. Tickets rise by ten per cent in spring.")
    questions = [
        _question("x1", ["a.txt"], [["Ada Quist"]]),  # kept: its copy goes too
        _question("x2", ["b.txt"], [["3 March 2026"]]),  # dropped: c.txt has the date
        _question("x3", ["d.txt"], [["ten per cent"]]),  # dropped by hand
        _question("x4", ["a.txt", "b.txt", "c.txt", "d.txt"], [["news"]]),  # nothing left
    ]
    dataset = tmp_path / "questions.jsonl"
    dataset.write_text("".join(json.dumps(q) + "\n" for q in questions), encoding="utf-8")
    return Corpus("small", dataset, articles, tmp_path / "negatives.jsonl")


def test_build_excludes_copies_and_drops_with_reasons(small: Corpus) -> None:
    outcome = build(small, manual_drops={"x3": "says it"}, hand_checked={"x1": "read"})
    assert [row.id for row in outcome.rows] == ["x1-neg"]
    assert outcome.rows[0].excluded == ["a.txt", "a_copy.txt"]
    assert outcome.copies == {"x1": ["a_copy.txt"], "x4": ["a_copy.txt"]}
    kinds = {drop.source_id: drop.kind for drop in outcome.drops}
    assert kinds == {"x2": FACT_REMAINS, "x3": BY_HAND, "x4": NO_REMAINING}
    assert "c.txt" in next(d.detail for d in outcome.drops if d.source_id == "x2")


def test_build_refuses_unchecked_and_stale_entries(small: Corpus) -> None:
    with pytest.raises(ValueError, match=r"without a hand check: \['x1'\]"):
        build(small, manual_drops={"x3": "says it"}, hand_checked={})
    with pytest.raises(ValueError, match=r"\['x2'\]"):
        build(small, manual_drops={"x3": "says it"}, hand_checked={"x1": "read", "x2": "read"})


def test_render_round_trips_through_the_loader(small: Corpus) -> None:
    outcome = build(small, manual_drops={"x3": "says it"}, hand_checked={"x1": "read"})
    small.output.write_text(render(outcome.rows), encoding="utf-8")
    assert load_negatives(small.output) == outcome.rows


# -- loader and cross-check ----------------------------------------------------------------

_ROW: dict[str, Any] = {
    "id": "x1-neg",
    "source_id": "x1",
    "question": "Question x1?",
    "excluded": ["a.txt"],
    "split": "dev",
    "tags": ["single-fact"],
    "answerable": False,
    "checked": "read",
}


def _lines(tmp_path: Path, *rows: dict[str, Any] | str) -> Path:
    path = tmp_path / "negatives.jsonl"
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({**_ROW, "id": "x2-neg", "source_id": "x2", "excluded": []}, "excluded"),
        ({**_ROW, "id": "x2-neg", "source_id": "x2", "excluded": ["b", "a"]}, "sorted"),
        ({**_ROW, "id": "x2-neg", "source_id": "x2", "answerable": True}, "answerable"),
        ({**_ROW, "id": "x2-neg", "source_id": "x2", "extra": 1}, "extra"),
        ({**_ROW, "id": "x2", "source_id": "x2"}, "source_id"),
        ({**_ROW, "id": "x2-neg", "source_id": "x2", "tags": ["nope"]}, "tags"),
        (_ROW, "duplicate id"),
        ("{not json", "invalid JSON"),
    ],
)
def test_load_names_the_first_bad_line(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    path = _lines(tmp_path, _ROW, "", bad)
    with pytest.raises(ValueError, match=rf"(?s)line 3: .*{message}") as info:
        load_negatives(path)
    assert str(info.value).startswith(f"{path}: line 3: ")


def test_check_against_the_dataset(small: Corpus) -> None:
    questions = load_dataset(small.dataset)
    row = Negative.model_validate(_ROW)
    check_against([row], questions)
    cases = {
        "not in the dataset": {"id": "zz-neg", "source_id": "zz"},
        "differ": {"question": "Reworded?"},
        "not excluded": {"id": "x4-neg", "source_id": "x4", "question": "Question x4?"},
    }
    for message, change in cases.items():
        with pytest.raises(ValueError, match=message):
            check_against([Negative.model_validate({**_ROW, **change})], questions)
