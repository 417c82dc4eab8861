"""Schemathesis against the running server's own `/openapi.json`: every documented route
(so routes added later are fuzzed too), with valid and invalid generated requests, in all
its phases (schema examples, boundary coverage, fuzzing, stateful links), plus methods no
route allows.

Checks: no 5xx; every status code, content type, header and body is what the schema
documents for that route; invalid requests are rejected with a 4xx; an undeclared method
gets a 405 with `Allow`. Schema-valid requests may still get a 400/413 (the body byte
limit cannot be stated in a schema), so `positive_data_acceptance` is not run.

Bounded and deterministic: a fixed number of examples per route and schemathesis's
deterministic mode, so `make test` sends the same requests every run (about a minute).
Run through its CLI, the interface schemathesis keeps stable.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.app import create_app
from service.settings import Settings
from tests.service.live import serve

EXAMPLES_PER_ROUTE = 25
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
]


def schemathesis(url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{url}/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--max-examples",
            str(EXAMPLES_PER_ROUTE),
            "--generation-deterministic",
            "--workers",
            "1",
            "--request-timeout",
            "60",
            "--no-color",
        ],
        cwd=cwd,  # it may write a hypothesis cache; keep it out of the checkout
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_every_route_keeps_to_its_schema(indexed: Settings, tmp_path: Path) -> None:
    """The real app in a real uvicorn on loopback, over the sample articles."""
    app = create_app(indexed)
    operations = sum(len(item) for item in app.openapi()["paths"].values())
    with serve(app) as url:
        done = schemathesis(url, tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    # Every operation was tested, not an empty or partly unreadable schema.
    assert f"Tested: {operations}\n" in report, report
