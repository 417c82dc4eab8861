"""The gate: passes on the checked-in thresholds, fails (exit 1) when one is not met; and
`compare` flags what got worse."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from evals.__main__ import main
from evals.gate import check
from tests.conftest import REPO

THRESHOLDS = REPO / "evals" / "thresholds.toml"
REPORTS = ("results.jsonl", "summary.json", "report.md", "report.html")


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path]:
    """Exit code and output folder of `run --gate` with the checked-in thresholds."""
    out = tmp_path_factory.mktemp("eval")
    return main(["run", "--out", str(out), "--gate", str(THRESHOLDS)]), out


def _summary(out: Path) -> Any:
    return json.loads((out / "summary.json").read_text("utf-8"))


def test_checked_in_thresholds_pass(gated_run: tuple[int, Path]) -> None:
    code, out = gated_run
    assert code == 0
    assert check(_summary(out), THRESHOLDS) == []
    for name in REPORTS:
        assert (out / name).stat().st_size > 0


def test_gate_fails_when_a_threshold_is_above_the_measured_value(
    gated_run: tuple[int, Path], tmp_path: Path
) -> None:
    spec = tomllib.loads(THRESHOLDS.read_text())
    name = next(iter(spec["min"]["all"]))
    measured = _summary(gated_run[1])["splits"]["all"][name]
    raised = tmp_path / "raised.toml"
    raised.write_text(f'[min.all]\n"{name}" = {min(measured + 0.01, 1.01)}\n')
    assert main(["run", "--out", str(tmp_path / "run"), "--gate", str(raised)]) == 1


def test_check_names_each_failure(tmp_path: Path) -> None:
    summary = {"splits": {"all": {"a": 0.5, "b": 10, "c": None}}}
    spec = tmp_path / "gate.toml"
    spec.write_text(
        '[min.all]\n"a" = 0.6\n"c" = 0.1\n"d" = 0.1\n[max.all]\n"b" = 9\n[min.test]\n"a" = 0\n'
    )
    assert check(summary, spec) == [
        "all: a = 0.5000, below the minimum 0.6",
        "all: c was not measured",
        "all: d was not measured",
        "split 'test' missing from the summary",
        "all: b = 10.0000, above the maximum 9",
    ]
    spec.write_text('[min.all]\n"a" = 0.5\n[max.all]\n"b" = 10\n')
    assert check(summary, spec) == []


def test_compare_flags_a_worse_metric_and_the_question_that_regressed(
    gated_run: tuple[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = gated_run[1]
    new = tmp_path / "new"
    shutil.copytree(old, new)
    summary = _summary(new)
    summary["splits"]["all"]["answers.fact_recall"] -= 0.1
    (new / "summary.json").write_text(json.dumps(summary))
    rows = [json.loads(line) for line in (new / "results.jsonl").read_text().splitlines()]
    answered = next(r for r in rows if r["answerable"] and r["metrics"]["answers.fact_recall"])
    answered["metrics"]["answers.fact_recall"] = 0.0
    answered["answer"] = "a worse answer"
    (new / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    assert main(["compare", str(old), str(new)]) == 0
    printed = capsys.readouterr().out
    worse = [line for line in printed.splitlines() if line.endswith("worse")]
    assert len(worse) == 1 and worse[0].startswith("answers.fact_recall ")
    assert "questions that regressed: 1" in printed
    assert f"  {answered['id']} (" in printed and "new: a worse answer" in printed
