from __future__ import annotations

from pathlib import Path

import pytest

from devtools.contract import article_text
from ingest.reader import UnreadableFile, discover, discover_sources, read_article
from tests.conftest import SAMPLE_DIR

EXPECTED = {
    "000_44cf2db2293b2724.txt": (
        "Ukraine Peace Talks 'Moving in Positive Direction', Says PM Starmer",
        None,
    ),
    "001_ef6e963bd60a07bf.txt": (
        "Ukrainian President Volodymyr Zelensky has expressed his gratitude to Sir Keir "
        "Starmer for the UK’s support following high-level talks in Paris.",
        None,
    ),
    "002_6a413cfa2226c47e.txt": ("UK Pressures Russia for Compromise in Ukraine Peace Talks", None),
    "003_3192432eb868ec65.txt": (
        "Sir Keir Starmer and Ukraine’s Volodymyr Zelensky spoke on Tuesday ahead of a "
        "meeting of the “coalition of the willing” nations.",
        "2025-11-25",
    ),
    "004_f38c74b4d400aede.txt": (
        "UK Prime Minister Sir Keir Starmer is set to host a virtual ‘coalition of the "
        "willing’ summit as world leaders try to secure peace in Ukraine",
        None,
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_title_and_date(name: str) -> None:
    article = read_article(SAMPLE_DIR, SAMPLE_DIR / name, 10_000_000)
    title, published = EXPECTED[name]
    assert article.title.startswith(title[:150])
    assert article.published == published
    assert article.source == name
    assert article.text == article_text(SAMPLE_DIR / name)


def test_crlf_and_bom_keep_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffTitle line\r\n\r\nBody one.\r\nBody two.\r\n".encode())
    article = read_article(tmp_path, path, 1000)
    assert article.text == "Title line\r\n\r\nBody one.\r\nBody two.\r\n"
    assert article.title == "Title line"


def test_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "news" / "b.md"
    path.parent.mkdir()
    path.write_text(
        "---\ntitle: Talks resume\ndate: 2025-11-30\nurl: https://example.org/x\n---\n"
        "# Heading\n\nText.\n",
        encoding="utf-8",
    )
    article = read_article(tmp_path, path, 1000)
    assert (article.source, article.title, article.published, article.url) == (
        "news/b.md",
        "Talks resume",
        "2025-11-30",
        "https://example.org/x",
    )


def test_html_extracts_text_title_date(tmp_path: Path) -> None:
    path = tmp_path / "c.html"
    path.write_text(
        "<html><head><title>Geneva talks</title>"
        '<meta property="article:published_time" content="2025-11-23T10:00:00Z">'
        "<script>var x = 1;</script></head><body><nav>Menu</nav><article>"
        "<h1>Talks in Geneva</h1><p>Delegations met in <b>Geneva</b> on Sunday.</p>"
        "<p>They agreed to continue.</p></article></body></html>",
        encoding="utf-8",
    )
    article = read_article(tmp_path, path, 10_000)
    assert article.title == "Geneva talks"
    assert article.published == "2025-11-23"
    assert article.text == (
        "Talks in Geneva\n\nDelegations met in Geneva on Sunday.\n\nThey agreed to continue."
    )
    assert "var x" not in article.text and "Menu" not in article.text


def test_html_time_tag(tmp_path: Path) -> None:
    path = tmp_path / "d.htm"
    path.write_text('<body><p>Posted <time datetime="2025-11-24">Monday</time></p></body>', "utf-8")
    assert read_article(tmp_path, path, 10_000).published == "2025-11-24"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"", "no text"),
        (b"  \n\t\n", "no text"),
        (b"caf\xe9 au lait", "not valid UTF-8"),
        (b"x" * 2000, "over the"),
    ],
)
def test_bad_files_are_refused_with_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(UnreadableFile, match=reason):
        read_article(tmp_path, path, 1000)


def test_discover_is_recursive_and_lists_skipped(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("x")
    (tmp_path / "b.txt").write_text("x")
    (tmp_path / "c.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden.txt").write_text("x")
    files, skipped = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["b.txt", "sub/a.md"]
    assert [p.name for p in skipped] == ["c.pdf"]


def test_sources_come_in_path_order_without_hidden_folders_or_linked_ones(
    tmp_path: Path,
) -> None:
    for name in ("a-b.txt", "a/b.txt", "a/c/d.md", "B.txt", ".git/x.txt", "a/.cache/y.txt"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "z.txt").write_text("x")
    (tmp_path / "a" / "linked").symlink_to(tmp_path / "outside", target_is_directory=True)
    (tmp_path / "file-link.txt").symlink_to(tmp_path / "B.txt")
    supported, skipped = discover_sources(tmp_path)
    # Ordered part by part, as sorted paths are ("a/b.txt" before "a-b.txt").
    assert supported == [
        "B.txt",
        "a/b.txt",
        "a/c/d.md",
        "a-b.txt",
        "file-link.txt",
        "outside/z.txt",
    ]
    assert skipped == []
    assert discover(tmp_path)[0] == [tmp_path / s for s in supported]
