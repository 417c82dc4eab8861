"""The gate passes on the checked-in thresholds and fails when one is raised above the
measured value: it can fail."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.gate import check
from tests.conftest import REPO

THRESHOLDS = REPO / "evals" / "thresholds.toml"


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("eval")
    assert main(["run", "--out", str(out), "--gate", str(THRESHOLDS)]) == 0
    for name in ("results.jsonl", "summary.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    data: dict[str, object] = json.loads((out / "summary.json").read_text())
    data["_out"] = str(out)
    return data


def test_checked_in_thresholds_pass(summary: dict[str, object]) -> None:
    assert check(summary, THRESHOLDS) == []


def test_gate_fails_when_a_threshold_is_above_the_measured_value(
    summary: dict[str, object], tmp_path: Path
) -> None:
    spec = tomllib.loads(THRESHOLDS.read_text())
    name, limit = next(iter(spec["min"]["all"].items()))
    splits = summary["splits"]
    assert isinstance(splits, dict)
    measured = splits["all"][name]
    raised = tmp_path / "raised.toml"
    raised.write_text(f'[min.all]\n"{name}" = {min(measured + 0.01, 1.01)}\n')
    failures = check(summary, raised)
    assert failures and name in failures[0]
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--gate", str(raised)]) == 1
    assert limit <= measured


def test_every_checked_in_threshold_has_a_margin_below_measured(
    summary: dict[str, object],
) -> None:
    spec = tomllib.loads(THRESHOLDS.read_text())
    splits = summary["splits"]
    assert isinstance(splits, dict)
    for split, metrics in spec.get("min", {}).items():
        for name, limit in metrics.items():
            assert splits[split][name] >= limit
    for split, metrics in spec.get("max", {}).items():
        for name, limit in metrics.items():
            assert splits[split][name] <= limit


def test_compare_lists_deltas(
    summary: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(summary["_out"])
    assert main(["compare", out, out]) == 0
    printed = capsys.readouterr().out
    assert "retrieval.file.hit@1" in printed and "questions that regressed: 0" in printed
