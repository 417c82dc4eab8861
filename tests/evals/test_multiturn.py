"""The multi-turn harness: histories, gold entities, rewrite scores, and a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import names as n
from evals.__main__ import main
from evals.conversations.dataset import Conversation, load_conversations
from evals.conversations.run import entity_words, gold_entities, history, rewrite_scores, words
from tests.conftest import REPO

CONVERSATIONS = load_conversations(REPO / "evals" / "datasets" / "conversations.jsonl")


def conversation(conversation_id: str) -> Conversation:
    return next(c for c in CONVERSATIONS if c.id == conversation_id)


def test_history_is_earlier_questions_with_reference_answers() -> None:
    c = conversation("c001")
    assert history(c, 0) == []
    messages = history(c, 2)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == c.turns[0].question
    assert messages[3]["content"] == c.turns[1].answer


def test_entity_words_are_names_and_numbers_not_the_first_word() -> None:
    assert entity_words("Which UK ministers joined Keir Starmer on 25 November 2025?") == [
        "uk",
        "keir",
        "starmer",
        "25",
        "november",
        "2025",
    ]
    assert entity_words("What did Nordhav's chief say?") == ["nordhav"]
    assert words("Nordhav’s FERRY") == {"nordhav", "ferry"}


def test_gold_entities_are_those_a_rewriter_could_know() -> None:
    # c001 turn 2: "2025" is in the standalone but in no earlier turn, so it is not gold.
    gold = gold_entities(conversation("c001"), 1)
    assert {"keir", "starmer", "25", "november"} <= gold
    assert "2025" not in gold


def test_rewrite_scores() -> None:
    standalone = "Which ministers joined Keir Starmer on the 25 November call?"
    gold = {"keir", "starmer", "25", "november"}
    perfect = rewrite_scores(standalone, standalone, gold)
    assert perfect == {
        n.REWRITE_F1: 1.0,
        n.REWRITE_ENTITY_RECALL: 1.0,
        n.REWRITE_ENTITIES_ALL: 1.0,
    }
    typed = rewrite_scores(standalone, "Which ministers joined him on that call?", gold)
    assert typed[n.REWRITE_ENTITY_RECALL] == 0.0 and typed[n.REWRITE_ENTITIES_ALL] == 0.0
    assert 0 < typed[n.REWRITE_F1] < 1
    partial = rewrite_scores(standalone, "Which ministers joined Starmer on that call?", gold)
    assert partial[n.REWRITE_ENTITY_RECALL] == 0.25
    assert n.REWRITE_ENTITY_RECALL not in rewrite_scores(standalone, standalone, set())


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three conversations (one with an unanswerable follow-up) through the real app."""
    tmp = tmp_path_factory.mktemp("multiturn")
    picked = [conversation(i) for i in ("c001", "c016", "c029")]
    dataset = tmp / "subset.jsonl"
    dataset.write_text("".join(c.model_dump_json() + "\n" for c in picked), "utf-8")
    out = tmp / "out"
    assert main(["run-conversations", "--dataset", str(dataset), "--out", str(out)]) == 0
    return out


def test_a_run_scores_every_later_turn(run_dir: Path) -> None:
    rows = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    ids = ["c001.2", "c001.3", "c001.4", "c016.2", "c016.3", "c016.4", "c029.2"]
    assert [r["id"] for r in rows] == ids
    for row in rows:
        assert row["query"].strip()
        assert n.REWRITE_F1 in row["metrics"]
        assert all(row["citation_valid"])
        assert ("follow-up" in row["tags"]) != ("self-contained" in row["tags"])
    unanswerable = next(r for r in rows if r["id"] == "c016.4")
    assert not unanswerable["answerable"] and n.CORRECT_REFUSAL in unanswerable["metrics"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["splits"]["all"]["count.questions"] == len(rows)
    assert summary["splits"]["all"][n.REWRITE_F1] is not None
    assert "rewrite.token_f1" in (run_dir / "report.md").read_text()


def test_the_gate_reads_rewrite_metrics(run_dir: Path, tmp_path: Path) -> None:
    from evals.gate import check

    summary = json.loads((run_dir / "summary.json").read_text())
    thresholds = tmp_path / "gate.toml"
    thresholds.write_text('[min.all]\n"rewrite.token_f1" = 1.01\n', "utf-8")
    assert check(summary, thresholds) and "rewrite.token_f1" in check(summary, thresholds)[0]
