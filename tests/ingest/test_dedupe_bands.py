"""The canonical choice over stored signature bands decides exactly as datasketch's
MinHashLSH did, with copies near and just past the threshold."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from datasketch import LeanMinHash, MinHashLSH

from ingest.dedupe import NUM_PERM, SEED, Candidate, Signature, assign, signature, similarity

WORDS = [
    "council",
    "harbour",
    "budget",
    "vote",
    "strike",
    "union",
    "farmers",
    "drought",
    "harvest",
    "museum",
    "flood",
    "river",
    "bridge",
    "minister",
    "election",
    "court",
    "ruling",
    "school",
    "teachers",
    "hospital",
    "nurses",
    "train",
    "station",
    "airport",
    "runway",
    "storm",
    "coast",
    "fishing",
    "fleet",
    "market",
    "prices",
    "energy",
    "grid",
    "wind",
    "solar",
]


def article(rng: random.Random, words: int = 160) -> list[str]:
    return [rng.choice(WORDS) for _ in range(words)]


def edited(rng: random.Random, text: list[str], changes: int) -> list[str]:
    out = list(text)
    for _ in range(changes):
        out[rng.randrange(len(out))] = rng.choice(WORDS)
    return out


def reference(
    settled: Mapping[str, Signature], candidates: Sequence[Candidate], threshold: float
) -> dict[str, str | None]:
    """The choice as it was made with datasketch's MinHashLSH, rebuilt every run."""

    def lean(values: Signature) -> Any:
        return LeanMinHash(seed=SEED, hashvalues=values, scheme="affine32")

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    canonical = dict(settled)
    for source in sorted(settled):
        lsh.insert(source, lean(settled[source]))
    decided: dict[str, str | None] = {}
    for candidate in sorted(candidates, key=Candidate.order):
        target = candidate.duplicate_of
        if target in canonical and similarity(candidate.signature, canonical[target]) >= (
            threshold
        ):
            decided[candidate.source] = target
            continue
        scores = {
            str(k): similarity(candidate.signature, canonical[str(k)])
            for k in lsh.query(lean(candidate.signature))
        }
        matches = {k: v for k, v in scores.items() if v >= threshold}
        if matches:
            decided[candidate.source] = min(matches, key=lambda k: (-matches[k], k))
        else:
            decided[candidate.source] = None
            canonical[candidate.source] = candidate.signature
            lsh.insert(candidate.source, lean(candidate.signature))
    return decided


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_band_lookup_decides_as_minhash_lsh(seed: int) -> None:
    rng = random.Random(seed)
    originals = [article(rng) for _ in range(40)]
    settled = {f"a{i:02}.txt": signature(" ".join(t)) for i, t in enumerate(originals[:30])}
    candidates: list[Candidate] = []
    # Copies of indexed and of new articles, from nearly equal to well past the threshold.
    for i, text in enumerate(originals):
        for changes in (1, 2, 3, 4, 6):
            name = f"c{i:02}-{changes:02}.txt"
            values = signature(" ".join(edited(rng, text, changes)))
            candidates.append(Candidate(name, values, None))
        if i >= 30:
            candidates.append(Candidate(f"a{i:02}.txt", signature(" ".join(text)), None))
    expected = reference(settled, candidates, 0.8)
    assert assign(settled, candidates, 0.8) == expected
    # Both kinds of decision occur, so the comparison says something.
    assert None in expected.values()
    assert any(v is not None for v in expected.values())
