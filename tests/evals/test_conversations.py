"""Consistency checks for the hand-written multi-turn conversation sets.

Each check guards an assumption a follow-up scorer makes: that gold sources really hold
each turn's facts, that spans point at text holding a fact, and that both splits are large
and varied enough for per-phenomenon figures to mean something.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evals.conversations.dataset import CONVERSATION_TAGS, Conversation, Turn, load_conversations
from evals.questions.dataset import normalise

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PATH = ROOT / "evals" / "datasets" / "conversations.jsonl"
SECOND_PATH = ROOT / "evals" / "datasets" / "second" / "conversations.jsonl"


@dataclass(frozen=True)
class Corpus:
    name: str
    conversations: list[Conversation]
    articles: dict[str, str]


def _read_article(path: Path) -> str:
    # Bytes, not read_text(): span offsets index the text with newlines untouched, and
    # universal-newline translation would shift them on files with CRLF endings.
    return path.read_bytes().decode("utf-8").removeprefix("\ufeff")


def _load_corpus(name: str, dataset: Path, articles_dir: Path) -> Corpus:
    articles = {path.name: _read_article(path) for path in sorted(articles_dir.glob("*.txt"))}
    assert articles, f"no articles found in {articles_dir}"
    return Corpus(name, load_conversations(dataset), articles)


@pytest.fixture(scope="module")
def corpora() -> list[Corpus]:
    return [
        _load_corpus("sample", SAMPLE_PATH, ROOT / "data" / "articles"),
        _load_corpus("second", SECOND_PATH, ROOT / "evals" / "datasets" / "second" / "articles"),
    ]


def _turns(corpora: list[Corpus]) -> list[tuple[Corpus, str, Turn]]:
    return [
        (corpus, f"{conversation.id} turn {index}", turn)
        for corpus in corpora
        for conversation in corpus.conversations
        for index, turn in enumerate(conversation.turns, start=1)
    ]


def _found_in_any(alternatives: list[str], texts: list[str]) -> bool:
    return any(normalise(alternative) in text for alternative in alternatives for text in texts)


def test_both_files_load(corpora: list[Corpus]) -> None:
    for corpus in corpora:
        assert corpus.conversations, f"{corpus.name}: no conversations"


def test_ids_unique_across_files(corpora: list[Corpus]) -> None:
    ids = Counter(c.id for corpus in corpora for c in corpus.conversations)
    duplicates = [id_ for id_, n in ids.items() if n > 1]
    assert not duplicates, f"ids used more than once across the two files: {duplicates}"


def test_sources_are_articles_of_their_corpus(corpora: list[Corpus]) -> None:
    missing = [
        (where, source)
        for corpus, where, turn in _turns(corpora)
        for source in turn.sources
        if source not in corpus.articles
    ]
    assert not missing, f"gold sources that are not articles of the same corpus: {missing}"


def test_every_fact_found_in_a_gold_source(corpora: list[Corpus]) -> None:
    failures: list[tuple[str, list[str]]] = []
    for corpus, where, turn in _turns(corpora):
        gold = [normalise(corpus.articles[source]) for source in turn.sources]
        failures.extend((where, fact) for fact in turn.facts if not _found_in_any(fact, gold))
    assert not failures, f"facts absent from every gold source: {failures}"


def test_every_gold_source_holds_a_fact(corpora: list[Corpus]) -> None:
    failures: list[tuple[str, str]] = []
    for corpus, where, turn in _turns(corpora):
        alternatives = [alternative for fact in turn.facts for alternative in fact]
        failures.extend(
            (where, source)
            for source in turn.sources
            if not _found_in_any(alternatives, [normalise(corpus.articles[source])])
        )
    assert not failures, f"gold sources holding none of the turn's facts: {failures}"


def test_spans_hold_a_fact(corpora: list[Corpus]) -> None:
    failures: list[tuple[str, str, str]] = []
    for corpus, where, turn in _turns(corpora):
        alternatives = [alternative for fact in turn.facts for alternative in fact]
        for span in turn.spans:
            text = corpus.articles[span.source]
            assert span.end <= len(text), f"{where}: span runs past the end of {span.source}"
            sliced = text[span.start : span.end]
            if not sliced.strip() or not _found_in_any(alternatives, [normalise(sliced)]):
                failures.append((where, span.source, sliced))
    assert not failures, f"spans that are empty or hold no fact of their turn: {failures}"


def test_every_fact_lies_in_a_span(corpora: list[Corpus]) -> None:
    # Span-level retrieval scores treat the spans as the relevant text; a fact outside
    # every span would be counted as found by chunks that never held it.
    failures: list[tuple[str, list[str]]] = []
    for corpus, where, turn in _turns(corpora):
        sliced = [
            normalise(corpus.articles[span.source][span.start : span.end]) for span in turn.spans
        ]
        failures.extend((where, fact) for fact in turn.facts if not _found_in_any(fact, sliced))
    assert not failures, f"facts that no span of their turn holds: {failures}"


def test_each_split_is_large_and_drawn_from_both_corpora(corpora: list[Corpus]) -> None:
    per_split = Counter(c.split for corpus in corpora for c in corpus.conversations)
    assert per_split["dev"] >= 20, per_split
    assert per_split["test"] >= 20, per_split
    for corpus in corpora:
        per_corpus = Counter(c.split for c in corpus.conversations)
        assert per_corpus["dev"] >= 10, (corpus.name, per_corpus)
        assert per_corpus["test"] >= 10, (corpus.name, per_corpus)


@pytest.mark.parametrize("tag", CONVERSATION_TAGS)
def test_every_tag_occurs_in_both_splits(corpora: list[Corpus], tag: str) -> None:
    splits = {c.split for corpus in corpora for c in corpus.conversations if tag in c.tags}
    assert splits == {"dev", "test"}, f"{tag!r} occurs only in {sorted(splits)}"


def test_issue_example_is_included(corpora: list[Corpus]) -> None:
    opener = "What did Keir Starmer say after the coalition of the willing call on 25 November?"
    matches = [
        c
        for corpus in corpora
        for c in corpus.conversations
        if c.turns[0].question == opener
        and c.turns[1].question == "Which ministers joined him on that call?"
    ]
    assert len(matches) == 1


# Loader and schema: each case breaks one invariant of an otherwise valid line.


def _good_line() -> dict[str, Any]:
    first = SAMPLE_PATH.read_text(encoding="utf-8").splitlines()[0]
    line: dict[str, Any] = json.loads(first)
    return line


def _break_split(line: dict[str, Any]) -> None:
    line["split"] = "train"


def _break_first_standalone(line: dict[str, Any]) -> None:
    line["turns"][0]["standalone"] = "Something else entirely?"


def _break_unanswerable_with_facts(line: dict[str, Any]) -> None:
    line["turns"][1]["answerable"] = False


def _break_answerable_without_sources(line: dict[str, Any]) -> None:
    line["turns"][1]["sources"] = []
    line["turns"][1]["spans"] = []


def _break_span_source(line: dict[str, Any]) -> None:
    line["turns"][1]["spans"][0]["source"] = "not_a_gold_source.txt"


def _break_one_turn(line: dict[str, Any]) -> None:
    line["turns"] = line["turns"][:1]


def _break_unknown_tag(line: dict[str, Any]) -> None:
    line["tags"] = [*line["tags"], "coreference"]


def _break_drop_context(line: dict[str, Any]) -> None:
    for turn in line["turns"]:
        turn["standalone"] = turn["question"]


def _break_untagged_unanswerable(line: dict[str, Any]) -> None:
    turn = line["turns"][1]
    turn.update(answerable=False, sources=[], facts=[], spans=[])


def _break_extra_field(line: dict[str, Any]) -> None:
    line["turns"][1]["rewrite"] = "unexpected"


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_split, "split"),
        (_break_first_standalone, "first turn's standalone"),
        (_break_unanswerable_with_facts, "unanswerable turn must have no sources"),
        (_break_answerable_without_sources, "answerable turn needs at least one source"),
        (_break_span_source, "not gold sources"),
        (_break_one_turn, "at least 2 items"),
        (_break_unknown_tag, "tags"),
        (_break_drop_context, "need context"),
        (_break_untagged_unanswerable, "unanswerable-follow-up"),
        (_break_extra_field, "rewrite"),
    ],
)
def test_loader_names_bad_line(
    tmp_path: Path, breaker: Callable[[dict[str, Any]], None], message: str
) -> None:
    good = _good_line()
    bad = copy.deepcopy(good)
    bad["id"] = "bad"
    breaker(bad)
    path = tmp_path / "broken.jsonl"
    path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"(?s)line 2: invalid conversation.*{message}"):
        load_conversations(path)


def test_loader_accepts_the_unbroken_line(tmp_path: Path) -> None:
    # Guards the cases above: they must fail because of their break, not the template.
    path = tmp_path / "good.jsonl"
    path.write_text(f"\n{json.dumps(_good_line())}\n", encoding="utf-8")
    assert len(load_conversations(path)) == 1
