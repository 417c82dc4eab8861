"""report.html opens in headless Chromium; the screenshot is kept as an artifact."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from evals.reporting.render import render_html
from tests.conftest import REPO

ARTIFACTS = REPO / "artifacts"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("Debian chromium is required in CI (make install-browser)")
    pytest.skip("chromium not installed: `make install-browser`")


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    from evals.__main__ import main

    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--split", "dev"]) == 0
    page = out / "report.html"
    html = page.read_text("utf-8")
    assert "<svg" in html and "Abstention trade-off" in html and "Worst questions" in html
    assert "http://" not in html and "https://" not in html  # self-contained
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "eval-report.png"
    shot.unlink(missing_ok=True)
    dom = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "Evaluation report" in dom.stdout and "<svg" in dom.stdout
    assert shot.exists() and shot.stat().st_size > 10_000


def test_render_html_escapes_text() -> None:
    summary = {
        "target": "<t>",
        "dataset": "d",
        "abstain_threshold": 0.3,
        "splits": {"all": {}},
        "tags": {},
        "tradeoff": [],
    }
    row = {
        "id": "q1",
        "split": "dev",
        "tags": [],
        "answerable": False,
        "abstained": False,
        "question": "<script>x</script>",
        "answer": "a",
        "reference": "r",
        "citations": [],
        "citation_valid": [],
        "metrics": {},
        "timings_ms": {"total": 1.0},
    }
    html = render_html([row], summary)
    assert "<script>x" not in html and "&lt;script&gt;" in html
