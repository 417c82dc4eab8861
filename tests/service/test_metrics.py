"""`GET /metrics` in one process: what each request, answer and index build records.

The metrics of one process accumulate over every app the test session builds, so each
test compares a scrape before with a scrape after. Several workers: test_metrics_workers.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from devtools.procs import clean_env as cli_env
from service.api.principal import get_principal
from service.app import create_app
from service.core import metrics
from service.settings import MetricsSettings, Settings
from tests.conftest import REPO, SAMPLES

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples named `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


REQUESTS = "newsrag_http_requests_total"


def test_requests_are_counted_per_route_template_and_status(client: TestClient) -> None:
    before = scrape(client)
    for source in SAMPLES[:3]:
        assert client.get(f"/v1/sources/{source}/text").status_code == 200
    assert client.get("/v1/sources/missing.txt/text").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = scrape(client)
    text_route = "/v1/sources/{source}/text"
    assert delta(before, after, REQUESTS, route=text_route, method="GET", status="200") == 3
    assert delta(before, after, REQUESTS, route=text_route, status="404") == 1
    assert delta(before, after, REQUESTS, route="unmatched", status="404") == 1
    # Raw paths never become label values.
    assert not any(dict(labels).get("route", "").endswith(".txt/text") for _, labels in after)
    latency = "newsrag_http_request_duration_seconds_count"
    assert delta(before, after, latency, route=text_route, status="200") == 3


def test_a_body_rejected_before_routing_is_counted_under_its_route(client: TestClient) -> None:
    before = scrape(client)
    big = "x" * 70_000
    assert client.post("/v1/ask", json={"question": big}).status_code == 413
    after = scrape(client)
    assert delta(before, after, REQUESTS, route="/v1/ask", method="POST", status="413") == 1


def test_answers_record_their_stages_and_abstentions(client: TestClient) -> None:
    before = scrape(client)
    answered = client.post("/v1/ask", json={"question": "Where were the US-Ukraine talks held?"})
    abstained = client.post("/v1/ask", json={"question": "How do I bake sourdough bread?"})
    assert answered.json()["abstained"] is False
    assert abstained.json()["abstained"] is True
    assert client.post("/v1/retrieve", json={"question": "Geneva"}).status_code == 200
    after = scrape(client)
    assert delta(before, after, "newsrag_answers_total") == 2
    assert delta(before, after, "newsrag_abstentions_total") == 1
    assert delta(before, after, "newsrag_fallbacks_total") == 0
    stages = "newsrag_stage_duration_seconds_count"
    assert delta(before, after, stages, stage="embed") == 3
    assert delta(before, after, stages, stage="retrieve") == 3
    assert delta(before, after, stages, stage="generate") == 2
    assert delta(before, after, "newsrag_stage_duration_seconds_sum", stage="embed") > 0


def test_the_lexical_index_build_is_recorded(indexed: Settings) -> None:
    before = parse(metrics.render()[0].decode())
    with TestClient(create_app(indexed)) as fresh:
        after = scrape(fresh)
    assert delta(before, after, "newsrag_lexical_index_build_seconds_count") == 1
    assert value(after, "newsrag_lexical_index_generation") >= 1
    assert value(after, "newsrag_lexical_index_chunks") > 0


def refuse_everyone() -> None:
    raise HTTPException(401, "no key")


@pytest.mark.parametrize("require_key", [False, True])
def test_metrics_are_open_unless_a_setting_closes_them(
    indexed: Settings, require_key: bool
) -> None:
    """With the setting, /metrics goes through the one access check of /v1/* (which
    refuses everyone here, standing in for API keys)."""
    settings = indexed.model_copy(update={"metrics": MetricsSettings(require_key=require_key)})
    app = create_app(settings)
    app.dependency_overrides[get_principal] = refuse_everyone
    with TestClient(app) as keyed:
        assert keyed.get("/v1/sources").status_code == 401
        assert keyed.get("/metrics").status_code == (401 if require_key else 200)


def test_each_start_gets_a_fresh_metrics_directory_removed_at_exit(tmp_path: Path) -> None:
    seen = []
    for _ in range(2):
        with metrics.metrics_directory(tmp_path) as directory:
            assert os.environ[metrics.MULTIPROC_ENV] == str(directory)
            assert list(directory.iterdir()) == []
            (directory / "counter_1.db").write_bytes(b"")
            seen.append(directory)
        assert not directory.exists()
    assert seen[0] != seen[1]
    assert metrics.MULTIPROC_ENV not in os.environ


def test_an_unusable_metrics_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    done = subprocess.run(
        [sys.executable, "-m", "service", "--port", "1"],
        cwd=REPO,
        env=cli_env(RAG_METRICS_DIR=str(blocker / "metrics")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "RAG_METRICS_DIR" in done.stderr and "Traceback" not in done.stderr
