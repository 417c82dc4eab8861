"""Hybrid retrieval: BM25 derived from Chroma, fusion, spelling repair, dates, filters."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from devtools.contract import article_text
from service.app import build_services
from service.core.embedder import Embedder
from service.retrieval.dates import DateMention, YearMention, dates_in
from service.retrieval.retriever import SearchFilters, _date_ranking, lead_with_answer, rrf
from service.settings import ChromaSettings, RetrievalSettings, Settings
from tests.conftest import SAMPLE_DIR
from tests.service.conftest import annotated_chunk, ingest_folder


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf([["a", "b"], ["b", "c"]], [1.0, 0.5], k=60)
    assert fused["b"] == pytest.approx(1 / 62 + 0.5 / 61)
    assert sorted(fused, key=lambda i: -fused[i])[0] == "b"


def test_dates_in_questions() -> None:
    assert dates_in("What happened on 25 November?") == [DateMention(11, 25)]
    assert dates_in("events of November 25, 2025") == [DateMention(11, 25, 2025)]
    assert dates_in("news from 2025-11-23") == [DateMention(11, 23, 2025)]
    assert dates_in("talks in November 2025") == [DateMention(11, None, 2025)]
    assert dates_in("Putin may delay") == []
    # Relative to when it is said: no calendar day to match.
    assert dates_in("What happened on Sunday?") == []
    assert dates_in("Who won last year?") == []
    # A year alone tells recurring events apart; a day's year is no second mention.
    assert dates_in("Who won in 2024?") == [YearMention(2024)]
    assert dates_in("Who won the 2019 race?") == [YearMention(2019)]
    assert dates_in("talks on 25 November 2025") == [DateMention(11, 25, 2025)]


def test_a_chunk_names_a_day_by_its_stored_dates_not_by_a_relative_one() -> None:
    text = "The summit met on Tuesday, 25 November 2025. It had met yesterday as well."
    chunk = annotated_chunk(text, date(2025, 11, 27), "Summit")
    assert DateMention(11, 25).matches(chunk)
    # "yesterday" resolves to 26 November against the article's date, but is not written.
    assert not DateMention(11, 26).matches(chunk)


def test_a_chunk_is_of_a_year_by_its_article_date_or_its_own_dates() -> None:
    report = annotated_chunk("She won the race in record time.", date(2019, 6, 2), "Race")
    assert YearMention(2019).matches(report)
    assert not YearMention(2021).matches(report)
    # Published later, about that year: a written year, or "last year" read against the date.
    written = annotated_chunk("The 2019 winner did not start.", date(2020, 6, 1), "Race")
    relative = annotated_chunk("Last year's winner did not start.", date(2020, 6, 1), "Race")
    assert YearMention(2019).matches(written)
    assert YearMention(2019).matches(relative)
    assert not YearMention(2018).matches(relative)


def test_a_year_every_candidate_matches_ranks_nothing() -> None:
    old = annotated_chunk("She won the race.", date(2019, 6, 2), "Race")
    new = annotated_chunk("He won the race.", date(2021, 6, 2), "Race")
    new = dataclasses.replace(new, id="d")
    assert _date_ranking([YearMention(2021)], [old, new]) == [new.id]
    assert _date_ranking([YearMention(2019)], [old]) == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_return_exact_spans_and_respect_filters(indexed: Settings, mode: str) -> None:
    settings = indexed.model_copy(update={"retrieval": RetrievalSettings(mode=mode)})
    retriever = build_services(settings).retriever
    only = "002_6a413cfa2226c47e.txt"
    hits = retriever.retrieve("ceasefire Putin", 5, SearchFilters(sources=[only])).hits
    assert hits and {h.chunk.source for h in hits} == {only}
    dated = retriever.retrieve(
        "Starmer Zelensky", 10, SearchFilters(published_from=date(2025, 11, 25))
    ).hits
    assert {h.chunk.source for h in dated} == {"003_3192432eb868ec65.txt"}
    for hit in retriever.retrieve("Geneva talks", 8).hits:
        text = article_text(SAMPLE_DIR / hit.chunk.source)
        assert text[hit.chunk.start : hit.chunk.end] == hit.chunk.text
        assert -1.0 <= hit.similarity <= 1.0


def test_misspelled_names_are_repaired(indexed: Settings) -> None:
    retriever = build_services(indexed).retriever
    result = retriever.retrieve("What did Zelenskyy say to Starmr?", 5)
    assert "zelensky" in result.query.text.casefold() and "starmer" in result.query.text.casefold()
    assert result.hits
    # Known words and their plurals or possessives are left alone.
    assert retriever.retrieve("Starmer's talks", 3).query.text == "Starmer's talks"


def test_english_words_the_corpus_never_uses_are_not_repaired(indexed: Settings) -> None:
    retriever = build_services(indexed).retriever
    assert retriever.retrieve("Who gave those reasons?", 3).query.text == "Who gave those reasons?"
    assert retriever.retrieve("What did Zelensky thank Starmer for?", 3).query.text == (
        "What did Zelensky thank Starmer for?"
    )


def test_date_in_question_favours_matching_article(indexed: Settings) -> None:
    retriever = build_services(indexed).retriever
    hits = retriever.retrieve("What happened on 25 November 2025?", 3).hits
    assert hits[0].chunk.source in {"000_44cf2db2293b2724.txt", "003_3192432eb868ec65.txt"}


def test_bm25_follows_ingests(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE_DIR, folder)
    settings = Settings(
        chroma=ChromaSettings(path=tmp_path / "chroma"),
        retrieval=RetrievalSettings(mode="bm25"),
    )
    ingest_folder(settings, embedder, folder)
    services = build_services(settings)
    retriever = services.retriever
    assert retriever.retrieve("Zorblax Reykjavik", 3).hits == []
    (folder / "new.txt").write_text("The Zorblax summit ended in Reykjavik.\n", "utf-8")
    ingest_folder(settings, embedder, folder)
    services.index.invalidate()
    services.lexical.refresh()
    assert [h.chunk.source for h in retriever.retrieve("Zorblax Reykjavik", 3).hits] == ["new.txt"]
    (folder / "new.txt").unlink()
    ingest_folder(settings, embedder, folder)
    services.index.invalidate()
    services.lexical.refresh()
    assert retriever.retrieve("Zorblax Reykjavik", 3).hits == []


def test_neighbours_surround_each_hit(indexed: Settings) -> None:
    retriever = build_services(indexed).retriever
    hits = retriever.retrieve("Geneva talks", 2).hits
    expanded = retriever.with_neighbours(hits, 1)
    assert len(expanded) > len(hits)
    assert {h.chunk.id for h in hits} <= {h.chunk.id for h in expanded}
    for hit in expanded:
        text = article_text(SAMPLE_DIR / hit.chunk.source)
        assert text[hit.chunk.start : hit.chunk.end] == hit.chunk.text


def _without_lead(settings: Settings) -> Settings:
    retrieval = settings.retrieval.model_copy(update={"lead_with_answer": False})
    return settings.model_copy(update={"retrieval": retrieval})


def test_the_chunk_the_answer_quotes_leads(indexed: Settings) -> None:
    # The chunk whose sentences share most words with the question is another article's;
    # the one the answer checks choose ("air defence missiles") is ranked first.
    question = (
        "What is Britain sending to Ukraine over the next few weeks to keep the pressure on Moscow?"
    )
    led = build_services(indexed).retriever.retrieve(question, 10)
    plain = build_services(_without_lead(indexed)).retriever.retrieve(question, 10)
    assert led.answers is not None and plain.answers is None
    quoted = led.answers.candidates[0].evidence
    first = led.hits[0].chunk
    assert first.source == quoted.source and first.start <= quoted.start < first.end
    assert "air defence missiles" in first.text
    assert plain.hits[0].chunk.id != first.id
    scores = [h.score for h in led.hits]
    assert scores == sorted(scores, reverse=True)
    assert {h.chunk.id for h in led.hits} == {h.chunk.id for h in plain.hits}


def test_a_question_the_answer_refuses_keeps_the_reranked_order(indexed: Settings) -> None:
    question = "How many calories are in an avocado?"
    led = build_services(indexed).retriever.retrieve(question, 10)
    plain = build_services(_without_lead(indexed)).retriever.retrieve(question, 10)
    assert led.answers is not None and led.answers.confidence < indexed.answer.min_score
    assert [h.chunk.id for h in led.hits] == [h.chunk.id for h in plain.hits]
    # Whatever the answer checks find, a score no answer reaches leaves the order be.
    hits, _ = lead_with_answer(led.query, plain.hits, min_score=2.0)
    assert hits == plain.hits
