"""`python -m evals run-negatives`: each row is asked over an index built without its
excluded articles (a separate index, not a filter), and refusals are reported per split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals.__main__ import main
from evals.negatives.dataset import Negative
from evals.negatives.run import MemoEmbedder, by_excluded, copy_without
from service.core.embedder import Embedder, Vectors

ARTICLES = {
    "tower.txt": "Brill tower designed by Ada Lind\n\nThe Brill tower was designed by the "
    "architect Ada Lind. She won the competition in 2019 with a steel lattice design.",
    "opening.txt": "Brill tower opens\n\nThe Brill tower opened to visitors in May. The "
    "mayor Per Holt cut the ribbon, and about 900 people climbed the stairs on the first day.",
    "sub/ferry.txt": "Harbour ferry resumes\n\nThe harbour ferry resumed sailings on Monday "
    "after a storm damaged the quay near the Brill tower.",
}


def _negative(source_id: str, question: str, excluded: list[str], split: str) -> Negative:
    return Negative(
        id=f"{source_id}-neg",
        source_id=source_id,
        question=question,
        excluded=sorted(excluded),
        split=split,  # type: ignore[arg-type]
        tags=["single-fact"],
        answerable=False,
        checked="written for this test",
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for name, text in ARTICLES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
    return folder


def test_copy_without_leaves_out_exactly_the_excluded_files(corpus: Path, tmp_path: Path) -> None:
    out = copy_without(corpus, ["sub/ferry.txt", "tower.txt"], tmp_path / "copy")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "opening.txt"
    ]
    assert (out / "opening.txt").read_text("utf-8") == ARTICLES["opening.txt"]


def test_an_excluded_file_missing_from_the_corpus_is_an_error(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no such files.*--corpus"):
        copy_without(corpus, ["elsewhere.txt"], tmp_path / "copy")


def test_rows_are_grouped_by_excluded_set_in_order() -> None:
    rows = [
        _negative("a", "Who designed it?", ["tower.txt"], "dev"),
        _negative("b", "When did it open?", ["opening.txt"], "test"),
        _negative("c", "Who won the competition?", ["tower.txt"], "test"),
    ]
    groups = by_excluded(rows)
    assert list(groups) == [("tower.txt",), ("opening.txt",)]
    assert [r.id for r in groups[("tower.txt",)]] == ["a-neg", "c-neg"]


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    identity = property(lambda self: self.inner.identity)
    dimensions = property(lambda self: self.inner.dimensions)
    max_tokens = property(lambda self: self.inner.max_tokens)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed(self, texts: list[str]) -> Vectors:
        self.texts += texts
        return self.inner.embed(texts)


def test_memo_embedder_embeds_each_text_once_and_returns_the_same_vectors(
    embedder: Embedder,
) -> None:
    counting = CountingEmbedder(embedder)
    memo = MemoEmbedder(counting)
    first = memo.embed(["a tower", "a ferry", "a tower"])
    again = memo.embed(["a ferry", "a quay"])
    assert counting.texts == ["a tower", "a ferry", "a quay"]
    np.testing.assert_allclose(first[1], again[0])
    np.testing.assert_allclose(first[0], embedder.embed(["a tower"])[0], atol=1e-6)
    assert memo.embed([]).shape == (0, embedder.dimensions)


def test_run_negatives_asks_each_row_over_its_own_index(corpus: Path, tmp_path: Path) -> None:
    rows = [
        _negative("a", "Who designed the Brill tower?", ["tower.txt"], "dev"),
        _negative("b", "When did the Brill tower open to visitors?", ["opening.txt"], "test"),
        _negative("c", "When did the harbour ferry resume?", ["sub/ferry.txt"], "test"),
    ]
    dataset = tmp_path / "negatives.jsonl"
    dataset.write_text("".join(r.model_dump_json() + "\n" for r in rows), "utf-8")
    out = tmp_path / "out"
    args = ["run-negatives", "--dataset", str(dataset), "--corpus", str(corpus)]
    assert main([*args, "--out", str(out)]) == 0

    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == ["a-neg", "b-neg", "c-neg"]
    for row, result in zip(rows, results, strict=True):
        seen = {c["source"] for c in result["retrieved"]} | {
            c["source"] for c in result["citations"]
        }
        # The excluded article is not in the index at all, so nothing can retrieve it;
        # every other article is.
        assert seen and not seen & set(row.excluded)
        assert result["answerable"] is False and result["reference"] == ""
        assert result["metrics"]["abstention.correct_refusal"] == float(result["abstained"])
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["splits"]) == {"dev", "test", "all"}
    assert summary["splits"]["test"]["count.unanswerable"] == 2
    refused = sum(r["abstained"] for r in results) / 3
    assert summary["splits"]["all"]["abstention.correct_refusal"] == pytest.approx(refused)

    gate = tmp_path / "gate.toml"
    gate.write_text('[min.all]\n"abstention.correct_refusal" = 1.01\n', "utf-8")
    assert main([*args, "--split", "test", "--out", str(tmp_path / "g"), "--gate", str(gate)]) == 1
    split_rows = (tmp_path / "g" / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in split_rows] == ["b-neg", "c-neg"]
