"""Reading articles: which files count, their article text, title, date and URL.

"Article text" is what citations index into: for .txt/.md the bytes decoded as UTF-8 with
a leading BOM removed and line endings untouched; for HTML the text extracted by a parser.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from bs4 import BeautifulSoup

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
TITLE_MAX_CHARS = 200

# ` date 2025-11-25 Sir Keir ...`: a date marker at the start of the first line.
_DATE_MARKER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b[ \t]*", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_FIELD = re.compile(r"^(\w+)\s*:\s*(.*?)\s*$", re.MULTILINE)
_URL_LINE = re.compile(r"^\s*(?:url|source)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•]|#+)\s+")


class UnreadableFile(Exception):
    """A file that cannot be ingested; the message says why and what to do."""


@dataclass(frozen=True)
class Article:
    source: str
    text: str
    title: str
    published: str | None
    url: str | None
    sha256: str


@dataclass(frozen=True)
class Listing:
    """A folder as a run starts from it: the supported files with their (size, mtime_ns),
    sorted, and the names of the files it skips."""

    files: tuple[tuple[str, int, int], ...]
    skipped: tuple[str, ...]


def list_folder(folder: Path) -> Listing | None:
    """The folder's listing, a `stat` per supported file; None if the folder is gone."""
    if not folder.is_dir():
        return None
    sources, skipped = discover_sources(folder)
    found: list[tuple[str, int, int]] = []
    for source in sources:
        try:
            stat = os.stat(os.path.join(folder, source))
        except OSError:  # removed while listing: the next listing sees it gone
            continue
        found.append((source, stat.st_size, stat.st_mtime_ns))
    return Listing(tuple(found), tuple(skipped))


def discover(folder: Path) -> tuple[list[Path], list[Path]]:
    """Supported files below `folder` (sorted, hidden ones skipped) and skipped others."""
    supported, skipped = discover_sources(folder)
    return [folder / s for s in supported], [folder / s for s in skipped]


def discover_sources(folder: Path) -> tuple[list[str], list[str]]:
    """`discover`'s files as source names (paths relative to `folder`, with "/").

    One directory listing per folder and no `stat` per file (the listing says which
    entries are files), so that a poll or a run over a large folder costs little."""
    found: list[tuple[str, ...]] = []

    def walk(directory: str, parts: tuple[str, ...]) -> None:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                # A linked folder is not descended into, as before.
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, (*parts, entry.name))
                elif entry.is_file():
                    found.append((*parts, entry.name))

    walk(str(folder), ())
    # In path order (part by part), as sorted paths were.
    found.sort()
    supported: list[str] = []
    skipped: list[str] = []
    for parts in found:
        suffix = os.path.splitext(parts[-1])[1].lower()
        (supported if suffix in SUPPORTED_SUFFIXES else skipped).append("/".join(parts))
    return supported, skipped


def source_name(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_article(folder: Path, path: Path, max_bytes: int) -> Article:
    data = path.read_bytes()
    if len(data) > max_bytes:
        raise UnreadableFile(
            f"{len(data):,} bytes, over the {max_bytes:,}-byte limit "
            "(raise RAG_INGEST_MAX_FILE_BYTES to accept it)"
        )
    if b"\x00" in data:
        raise UnreadableFile("binary content (NUL bytes); only UTF-8 text, Markdown or HTML")
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"not valid UTF-8 at byte {exc.start}; re-save the file as UTF-8"
        ) from exc
    decoded = decoded.removeprefix("\ufeff")
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        text, title, published, url = _from_html(decoded)
    else:
        text = decoded
        title, published, url = _from_text(decoded, markdown=suffix == ".md")
    if not text.strip():
        raise UnreadableFile("no text (empty or whitespace only)")
    return Article(
        source=source_name(folder, path),
        text=text,
        title=title,
        published=published,
        url=url,
        sha256=file_sha256(data),
    )


def _valid_date(value: str | None) -> str | None:
    if not value:
        return None
    match = re.search(r"\d{4}-\d{2}-\d{2}", value)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(0)).isoformat()
    except ValueError:
        return None


def _clean_title(line: str) -> str:
    title = " ".join(_BULLET.sub("", line).split())
    if len(title) > TITLE_MAX_CHARS:
        title = title[:TITLE_MAX_CHARS].rsplit(" ", 1)[0] + "…"
    return title


def _from_text(text: str, *, markdown: bool) -> tuple[str, str | None, str | None]:
    published: str | None = None
    url: str | None = None
    title: str | None = None
    body = text
    front = _FRONT_MATTER.match(text) if markdown else None
    if front:
        fields = {k.lower(): v.strip("\"'") for k, v in _FRONT_FIELD.findall(front.group(1))}
        published = _valid_date(fields.get("date") or fields.get("published"))
        url = fields.get("url") or None
        title = fields.get("title") or None
        body = text[front.end() :]
    lines = [line for line in body.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    marker = _DATE_MARKER.match(first)
    if marker:
        published = published or _valid_date(marker.group(1))
        first = first[marker.end() :]
    if url is None:
        found = _URL_LINE.search(body)
        url = found.group(1) if found else None
    return title or _clean_title(first), published, url


def _from_html(html: str) -> tuple[str, str, str | None, str | None]:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "nav", "footer", "header"]):
        tag.decompose()
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else ""
    published = None
    for attrs in (
        {"property": "article:published_time"},
        {"name": "date"},
        {"name": "pubdate"},
        {"itemprop": "datePublished"},
        {"name": "dc.date"},
    ):
        meta = soup.find("meta", attrs=cast(Any, attrs))
        if meta is not None and (published := _valid_date(str(meta.get("content", "")))):
            break
    if published is None:
        time_tag = soup.find("time")
        if time_tag is not None:
            published = _valid_date(str(time_tag.get("datetime", "")) or time_tag.get_text())
    canonical = soup.find("link", rel="canonical") or soup.find("meta", property="og:url")
    url = None
    if canonical is not None:
        url = str(canonical.get("href") or canonical.get("content") or "") or None
    body = soup.find("article") or soup.find("body") or soup
    if title_tag is not None:
        title_tag.decompose()
    # One paragraph per block element, blank line between: citations quote this text.
    blocks = [
        " ".join(el.get_text(" ", strip=True).split())
        for el in body.find_all(["h1", "h2", "h3", "h4", "p", "li", "blockquote", "pre"])
        if not el.find_parent(["p", "li", "blockquote"])
    ]
    text = "\n\n".join(b for b in blocks if b)
    if not text:
        text = "\n\n".join(
            " ".join(line.split()) for line in body.get_text("\n").splitlines() if line.strip()
        )
    if not title:
        first = next((line for line in text.splitlines() if line.strip()), "")
        title = _clean_title(first)
    return text, title, published, url
