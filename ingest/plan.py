"""The ingest plan: everything a run will do, decided before anything is written.

`plan_ingest` compares each file with the manifest: a file whose size and modification
time match its entry is unchanged without being read; the others are read once (through
the reader it is given) and hashed. It decides each source: added, updated, unchanged,
removed or failed to read; canonical or near-duplicate copy (ingest/dedupe.py);
manifest-only refreshes. It takes the manifest as a mapping, not the index, so it is
tested without Chroma. ingest/write.py executes the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from ingest.dedupe import Candidate, Signature, assign, decode, encode, signature
from ingest.reader import Article, UnreadableFile
from service.core.schema import SourceState
from service.core.store import SourceRecord

# The article of a source (its path below the folder); raises OSError or UnreadableFile.
Reader = Callable[[str], Article]
# The (st_size, st_mtime_ns) of a source's file; raises OSError.
Stat = Callable[[str], tuple[int, int]]
# The MinHash signature of an article read by the plan.
Signer = Callable[[Article], Signature]


class Failure(NamedTuple):
    """A source that could not be ingested; it keeps whatever version is indexed."""

    source: str
    reason: str


@dataclass(frozen=True)
class Write:
    """A source whose manifest entry and chunks are written (a copy gets no chunks)."""

    source: str
    # The version the plan decided on; a re-read that differs fails the file.
    sha256: str
    minhash: str
    duplicate_of: str | None
    # Its manifest entry before this run; None for a new file.
    known: SourceRecord | None
    # A recorded copy becoming canonical: its text is the one stored with its entry.
    stored_text: bool = False
    # The file's (st_size, st_mtime_ns), taken before the plan read it.
    stat: tuple[int, int] | None = None

    @property
    def is_new(self) -> bool:
        return self.known is None


@dataclass(frozen=True)
class Refresh:
    """A manifest-only update of an entry whose chunks stay as they are."""

    record: SourceRecord
    # True: a copy now names another canonical (counted updated). False: an unchanged
    # entry gets the signature or the file stat it lacked or that changed (a touched
    # file with the same content), counted unchanged.
    repointed: bool


@dataclass(frozen=True)
class Counts:
    added: int
    updated: int
    unchanged: int
    removed: int
    failed: int
    # Writes and refreshes that record a copy (also counted in added or updated).
    duplicates: int


@dataclass(frozen=True)
class IngestPlan:
    """What one run does; every tuple is sorted by source except `failures` (read order)."""

    writes: tuple[Write, ...]
    refreshes: tuple[Refresh, ...]
    removals: tuple[SourceRecord, ...]
    unchanged: tuple[str, ...]
    failures: tuple[Failure, ...]

    def counts(self, dropped: Collection[str] = ()) -> Counts:
        """The run's counts when the writes of the `dropped` sources fail while writing."""
        done = [w for w in self.writes if w.source not in dropped]
        repointed = sum(r.repointed for r in self.refreshes)
        added = sum(w.is_new for w in done)
        return Counts(
            added=added,
            updated=len(done) - added + repointed,
            unchanged=len(self.unchanged),
            removed=len(self.removals),
            failed=len(self.failures) + len(self.writes) - len(done),
            duplicates=sum(w.duplicate_of is not None for w in done) + repointed,
        )


@dataclass(frozen=True)
class _Scanned:
    """A new or changed file: what the canonical choice needs (not its text)."""

    source: str
    sha256: str
    published: str | None
    signature: Signature
    known: SourceRecord | None
    stat: tuple[int, int] | None


@dataclass(frozen=True)
class _Scan:
    changed: tuple[_Scanned, ...]
    # Unchanged sources and their signatures, in read order.
    unchanged: dict[str, Signature]
    # Unchanged entries that had no signature or another file stat, brought up to date.
    signed: dict[str, SourceRecord]
    failures: tuple[Failure, ...]


def plan_ingest(
    manifest: Mapping[str, SourceRecord],
    sources: Sequence[str],
    read: Reader,
    threshold: float,
    stat: Stat | None = None,
    sign: Signer | None = None,
) -> IngestPlan:
    """The plan that makes the manifest mirror `sources` (the files in the folder).

    Without `stat` every file is read; `sign` gives an article's signature (default: computed
    here; ingest/prepare.py computes them ahead, in its workers)."""
    scan = _scan(manifest, sources, read, stat, sign or _sign)
    present = set(sources)
    rescanned = {s.source for s in scan.changed}
    settled, copies = _indexed(manifest, present - rescanned, scan.unchanged)
    decided = assign(settled, _candidates(copies, scan.changed), threshold)
    # Recorded copies whose canonical changed: None means the copy becomes canonical.
    moved = {
        source: decided[source]
        for source, (record, _) in sorted(copies.items())
        if decided[source] != record.duplicate_of
    }

    def current(source: str) -> SourceRecord:
        return scan.signed.get(source, manifest[source])

    writes = [
        Write(
            source=s.source,
            sha256=s.sha256,
            minhash=encode(s.signature),
            duplicate_of=decided[s.source],
            known=s.known,
            stat=s.stat,
        )
        for s in scan.changed
    ]
    writes += [
        Write(
            source=source,
            sha256=current(source).sha256,
            minhash=current(source).minhash or "",
            duplicate_of=None,
            known=current(source),
            stored_text=True,
            stat=current(source).stat,
        )
        for source, target in moved.items()
        if target is None
    ]
    refreshes = [
        Refresh(record, repointed=False)
        for source, record in scan.signed.items()
        if source not in moved
    ]
    refreshes += [
        Refresh(replace(current(source), duplicate_of=target), repointed=True)
        for source, target in moved.items()
        if target is not None
    ]
    return IngestPlan(
        writes=tuple(sorted(writes, key=lambda w: w.source)),
        refreshes=tuple(sorted(refreshes, key=lambda r: r.record.source)),
        removals=tuple(
            record for source, record in sorted(manifest.items()) if source not in present
        ),
        unchanged=tuple(source for source in scan.unchanged if source not in moved),
        failures=scan.failures,
    )


def to_read(
    manifest: Mapping[str, SourceRecord], sources: Sequence[str], stat: Stat | None = None
) -> list[str]:
    """The sources `plan_ingest` will read, in its order (unless a file changes between)."""
    return [s for s in sources if not _unchanged(manifest.get(s), _stat_of(s, stat))]


def _sign(article: Article) -> Signature:
    return signature(article.text)


def _unchanged(known: SourceRecord | None, current: tuple[int, int] | None) -> bool:
    """Whether the file's stat says its entry still describes it (it is not read)."""
    return bool(
        known and known.state == SourceState.DONE and current is not None and known.stat == current
    )


def _trusted(known: SourceRecord | None, current: tuple[int, int] | None) -> Signature | None:
    """The stored signature of an entry its file's stat says is unchanged; None: read it."""
    return decode(known.minhash) if known and _unchanged(known, current) else None


def _scan(
    manifest: Mapping[str, SourceRecord],
    sources: Sequence[str],
    read: Reader,
    stat: Stat | None,
    sign: Signer,
) -> _Scan:
    """Read the files whose stat differs from their entry: the new and changed ones, and
    the signatures of unchanged ones that lack one."""
    changed: list[_Scanned] = []
    unchanged: dict[str, Signature] = {}
    signed: dict[str, SourceRecord] = {}
    failures: list[Failure] = []
    for source in sources:
        known = manifest.get(source)
        done = known is not None and known.state == SourceState.DONE
        # Taken before the read: a file changing in between keeps an older stat, so the
        # next run reads it again rather than trusting it.
        current = _stat_of(source, stat)
        trusted = _trusted(known, current)
        if trusted is not None:
            unchanged[source] = trusted
            continue
        try:
            article = read(source)
        except (OSError, UnreadableFile) as exc:
            failures.append(Failure(source, str(exc)))
            continue
        if known and done and known.sha256 == article.sha256:
            record = known
            values = decode(known.minhash)
            if values is None:  # indexed before signatures were kept
                values = sign(article)
                record = replace(record, minhash=encode(values))
            if current is not None and record.stat != current:  # touched, or no stat kept
                record = replace(record, stat=current)
            if record != known:
                signed[source] = record
            unchanged[source] = values
        else:
            changed.append(
                _Scanned(
                    source=source,
                    sha256=article.sha256,
                    published=article.published,
                    signature=sign(article),
                    known=known,
                    stat=current,
                )
            )
    return _Scan(tuple(changed), unchanged, signed, tuple(failures))


def _stat_of(source: str, stat: Stat | None) -> tuple[int, int] | None:
    if stat is None:
        return None
    try:
        return stat(source)
    except OSError:  # the read reports it
        return None


def _indexed(
    manifest: Mapping[str, SourceRecord],
    kept: Collection[str],
    unchanged: Mapping[str, Signature],
) -> tuple[dict[str, Signature], dict[str, tuple[SourceRecord, Signature]]]:
    """The indexed entries this run does not rewrite: canonical ones, and copies.

    An entry whose file failed to read keeps its stored signature; one without any
    signature takes no part in the canonical choice.
    """
    settled: dict[str, Signature] = {}
    copies: dict[str, tuple[SourceRecord, Signature]] = {}
    for source, record in manifest.items():
        if source not in kept or record.state != SourceState.DONE:
            continue
        values = unchanged.get(source)
        if values is None:
            values = decode(record.minhash)
        if values is None:
            continue
        if record.duplicate_of is None:
            settled[source] = values
        else:
            copies[source] = (record, values)
    return settled, copies


def _candidates(
    copies: Mapping[str, tuple[SourceRecord, Signature]], changed: Sequence[_Scanned]
) -> list[Candidate]:
    """The recorded copies (re-checked every run) and the new and changed files."""
    candidates = [
        Candidate(source, values, record.published, duplicate_of=record.duplicate_of)
        for source, (record, values) in copies.items()
    ]
    for scanned in changed:
        known = scanned.known
        candidates.append(
            Candidate(
                scanned.source,
                scanned.signature,
                scanned.published,
                was_canonical=known is not None and known.duplicate_of is None,
                duplicate_of=known.duplicate_of if known else None,
            )
        )
    return candidates
