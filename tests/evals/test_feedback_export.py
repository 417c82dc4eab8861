"""Readers' ratings become eval cases: answers rated through the real app are exported
as unlabelled rows; `evals run` skips those and scores the ones a maintainer labelled,
and its report gains the feedback section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from evals.__main__ import main
from evals.questions.dataset import load_dataset
from service.app import create_app
from service.settings import AccessSettings, FeedbackSettings, Settings
from tests.service.conftest import indexed  # noqa: F401  (the module's index)

API_KEY = "api-key-" + "a1" * 12
WIDGET_KEY = "widget-key-" + "b2" * 10
QUESTIONS = [
    ("Where were the US-Ukraine talks held?", WIDGET_KEY, "down"),
    ("Who hosted the coalition of the willing call?", API_KEY, "up"),
    ("What is the capital of Mongolia?", WIDGET_KEY, "down"),
]


def rate_through_the_app(settings: Settings) -> list[str]:
    ids = []
    with TestClient(create_app(settings)) as client:
        for question, key, rating in QUESTIONS:
            headers = {"Authorization": f"Bearer {key}"}
            asked = client.post("/v1/ask", json={"question": question}, headers=headers)
            request_id = asked.json()["request_id"]
            body: dict[str, Any] = {"request_id": request_id, "rating": rating}
            if rating == "down":
                body |= {"comment": "Not what I asked.", "expected_answer": "In Geneva."}
            assert client.post("/v1/feedback", json=body, headers=headers).status_code == 201
            ids.append(request_id)
    return ids


def test_rated_answers_are_exported_labelled_and_scored(
    indexed: Settings,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    settings = indexed.model_copy(
        update={
            "access": AccessSettings(api_keys=API_KEY, widget_keys=WIDGET_KEY),
            "feedback": FeedbackSettings(url=SecretStr(url)),
        }
    )
    ids = rate_through_the_app(settings)
    monkeypatch.setenv("RAG_FEEDBACK_URL", url)
    out = tmp_path / "candidates.jsonl"
    assert main(["feedback", "export", "--since", "2000-01-01", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["feedback"]["request_id"] for r in rows] == ids
    assert {r["status"] for r in rows} == {"unlabelled"}
    first = rows[0]
    assert first["question"] == QUESTIONS[0][0]
    assert first["feedback"]["rating"] == "down" and first["feedback"]["client"] == "widget"
    assert first["feedback"]["comment"] == "Not what I asked."
    assert first["answer"] == "In Geneva."  # the reader's expected answer, to check
    assert first["feedback"]["answer_given"] and first["feedback"]["citations"]
    assert first["sources"] == list(
        dict.fromkeys(c["source"] for c in first["feedback"]["citations"])
    )
    assert main(["feedback", "export", "--since", "2999-01-01", "--out", str(out)]) == 0
    assert out.read_text("utf-8") == ""

    # A maintainer labels the first row; the others stay unlabelled.
    first |= {
        "status": "labelled",
        "facts": [["Geneva"]],
        "answer": "The talks were held in Geneva.",
        "tags": ["single-fact", "where"],
        "split": "dev",
    }
    dataset = tmp_path / "feedback.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    assert [q.id for q in load_dataset(dataset)] == [first["id"]]

    monkeypatch.delenv("RAG_FEEDBACK_URL")
    report = tmp_path / "run"
    assert main(["run", "--dataset", str(dataset), "--out", str(report)]) == 0
    results = [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == [first["id"]]
    md = (report / "report.md").read_text("utf-8")
    assert "## Feedback" in md and "3 rated answers" in md
    assert "| widget | 2 | 100% |" in md and "| api | 1 | 0% |" in md
    assert "1. Where were the US-Ukraine talks held? (1 of 1 down)" in md
    assert 'id="feedback"' in (report / "report.html").read_text("utf-8")


def test_a_row_with_an_unknown_status_is_refused(tmp_path: Path) -> None:
    dataset = tmp_path / "bad.jsonl"
    dataset.write_text(json.dumps({"id": "x", "status": "maybe"}) + "\n", "utf-8")
    with pytest.raises(
        ValueError,
        match=r"line 1: invalid question: (?s:.*)status(?s:.*)'labelled' or 'unlabelled'",
    ):
        load_dataset(dataset)
