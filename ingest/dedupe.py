"""Near-duplicate articles: MinHash signatures of word shingles and the canonical choice.

Syndicated copies of one article differ in a headline or a sentence. Each article gets a
MinHash signature (datasketch, 128 permutations) of the 5-word shingles of its normalised
text; an LSH over the bands of the canonical articles' signatures (the bands datasketch's
MinHashLSH would use, looked up with numpy) finds the ones whose estimated Jaccard
similarity reaches the threshold. The signature is stored in the manifest
(`encode`/`decode`) so that an unchanged file is never read for it again.

datasketch is imported only when a signature is computed or compared, so a run over an
unchanged folder does not pay for importing it (and scipy).
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

NUM_PERM = 128
SHINGLE_WORDS = 5
SEED = 1
# datasketch >= 2.0 names the permutation scheme; its values fit uint32.
_SCHEME = "affine32"
# Prefix of a stored signature: the format, so another one is recomputed, never compared.
_FORMAT = f"{_SCHEME}.{NUM_PERM}.{SEED}:"

Signature = npt.NDArray[np.uint32]

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u201f": '"',  # ‟
        "\u2033": '"',  # ″
        "\u00ab": '"',  # «
        "\u00bb": '"',  # »
    }
)
_SPACE = re.compile(r"\s+")


def _datasketch() -> Any:
    """The datasketch module, imported on first use (it is untyped: used as Any)."""
    return importlib.import_module("datasketch")


def normalise(text: str) -> str:
    """Casefolded, typographic quotes folded to ASCII, white space collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)
    return _SPACE.sub(" ", folded).strip()


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The `size`-word shingles of the normalised text (the whole text if shorter)."""
    words = normalise(text).split(" ")
    if len(words) <= size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@functools.cache
def _permutations() -> Any:
    """The seed's permutations, drawn once: datasketch draws them again for every MinHash."""
    return _datasketch().MinHash(num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME).permutations


def signature(text: str) -> Signature:
    """The MinHash signature of the article text's shingles."""
    minhash = _datasketch().MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=_SCHEME, permutations=_permutations()
    )
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingles(text))])
    values: Signature = np.asarray(minhash.hashvalues, dtype=np.uint32)
    return values


def encode(values: Signature) -> str:
    """A compact string for Chroma metadata: format prefix + base64 of little-endian uint32."""
    raw = np.asarray(values, dtype="<u4").tobytes()
    return _FORMAT + base64.b64encode(raw).decode("ascii")


def decode(value: str | None) -> Signature | None:
    """The signature stored by `encode`; None when absent or of another format. Read-only:
    the same array is returned for the same stored value."""
    if not value or not value.startswith(_FORMAT):
        return None
    return _decoded(value)


# A watching job plans every run over every article's stored signature; most are the same
# run after run, and each decoded one is 512 bytes.
@functools.lru_cache(maxsize=1 << 17)
def _decoded(value: str) -> Signature | None:
    try:
        raw = base64.b64decode(value[len(_FORMAT) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != NUM_PERM * 4:
        return None
    values: Signature = np.frombuffer(raw, dtype="<u4").astype(np.uint32)
    values.setflags(write=False)
    return values


def similarity(a: Signature, b: Signature) -> float:
    """The Jaccard similarity the two signatures estimate."""
    return float(np.count_nonzero(a == b)) / float(len(a))


@dataclass(frozen=True)
class Candidate:
    """An article whose canonical-or-copy status is to be decided in this run."""

    source: str
    signature: Signature
    published: str | None
    # Indexed as canonical before this run (changed since): it keeps precedence.
    was_canonical: bool = False
    # The canonical it was a copy of; kept while it still matches.
    duplicate_of: str | None = None

    def order(self) -> tuple[bool, bool, str, str]:
        """Former canonicals first, then earliest `published` (undated last), then path."""
        return (not self.was_canonical, self.published is None, self.published or "", self.source)


def assign(
    settled: Mapping[str, Signature],
    candidates: Sequence[Candidate],
    threshold: float,
) -> dict[str, str | None]:
    """For each candidate: None when it is canonical, else the canonical source it copies.

    `settled` are the canonical articles already indexed that this run does not touch:
    they stay canonical. Candidates are decided one by one in `Candidate.order`; one that
    matches no canonical (estimated Jaccard >= threshold) becomes canonical itself, so a
    copy always names an indexed canonical, never another copy. A threshold of 0 disables
    detection: every candidate is canonical.
    """
    if threshold <= 0 or not candidates:
        return {c.source: None for c in candidates}
    decided: dict[str, str | None] = {}
    rest: list[Candidate] = []
    for candidate in candidates:
        # The common case, decided without the LSH: a copy still matching its canonical.
        if _still_matches(candidate, settled, threshold):
            decided[candidate.source] = candidate.duplicate_of
        else:
            rest.append(candidate)
    if not rest:
        return decided
    bands = _BandIndex(settled, _bands(threshold))
    canonical = dict(settled)
    for candidate in sorted(rest, key=Candidate.order):
        if _still_matches(candidate, canonical, threshold):
            decided[candidate.source] = candidate.duplicate_of
            continue
        matches: dict[str, float] = {}
        for key in bands.near(candidate.signature):
            score = similarity(candidate.signature, canonical[key])
            if score >= threshold:  # band candidates are approximate: check the estimate
                matches[key] = score
        if matches:
            decided[candidate.source] = min(matches, key=lambda k: (-matches[k], k))
        else:
            decided[candidate.source] = None
            canonical[candidate.source] = candidate.signature
            bands.add(candidate.source, candidate.signature)
    return decided


@functools.cache
def _bands(threshold: float) -> tuple[int, int]:
    """The (bands, rows per band) that datasketch's MinHashLSH picks for the threshold."""
    lsh = importlib.import_module("datasketch.lsh")
    bands, rows = lsh._optimal_param(threshold, NUM_PERM, 0.5, 0.5)
    return int(bands), int(rows)


class _BandIndex:
    """The canonical articles by the bands of their signatures: LSH as datasketch's
    MinHashLSH does it (a candidate shares all `rows` values of at least one band), but
    over the stored signatures at once with numpy instead of one insert per article, so a
    run that checks a few files does not pay for indexing every canonical one."""

    def __init__(self, settled: Mapping[str, Signature], shape: tuple[int, int]) -> None:
        self._bands, self._rows = shape
        self._names = sorted(settled)
        width = self._bands * self._rows
        self._matrix = (
            np.stack([settled[n][:width] for n in self._names]).astype(np.uint64)
            if self._names
            else np.zeros((0, width), dtype=np.uint64)
        )
        keys = self._keys(self._matrix)
        # Per band, the rows sorted by their key: a lookup is a binary search.
        self._order = np.argsort(keys, axis=0, kind="stable")
        self._sorted = np.take_along_axis(keys, self._order, axis=0)
        # Canonical articles decided during this run.
        self._added: dict[tuple[int, bytes], list[str]] = {}

    def _keys(self, matrix: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        """One 64-bit key per row and band; equal bands have equal keys (the converse is
        checked exactly in `near`)."""
        bands = matrix.reshape(len(matrix), self._bands, self._rows)
        keys = np.zeros((len(matrix), self._bands), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(self._rows):
                keys = keys * np.uint64(1_000_003) + bands[:, :, j]
        return keys

    def _band(self, values: Signature, band: int) -> npt.NDArray[np.uint32]:
        return values[band * self._rows : (band + 1) * self._rows]

    def near(self, values: Signature) -> set[str]:
        """The canonical articles that share a band with `values`."""
        found: set[str] = set()
        width = self._bands * self._rows
        keys = self._keys(np.asarray(values[:width], dtype=np.uint64).reshape(1, width))[0]
        for band in range(self._bands):
            column = self._sorted[:, band]
            lo = np.searchsorted(column, keys[band], side="left")
            hi = np.searchsorted(column, keys[band], side="right")
            wanted = self._band(values, band)
            for i in self._order[lo:hi, band]:
                name = self._names[int(i)]
                if np.array_equal(self._band(self._matrix[int(i)], band), wanted):
                    found.add(name)
            found.update(self._added.get((band, wanted.tobytes()), ()))
        return found

    def add(self, name: str, values: Signature) -> None:
        for band in range(self._bands):
            self._added.setdefault((band, self._band(values, band).tobytes()), []).append(name)


def _still_matches(
    candidate: Candidate, canonical: Mapping[str, Signature], threshold: float
) -> bool:
    """The candidate was a copy of a canonical article that it still matches."""
    target = candidate.duplicate_of
    if target is None or target not in canonical:
        return False
    return similarity(candidate.signature, canonical[target]) >= threshold
