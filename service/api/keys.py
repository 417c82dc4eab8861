"""Bearer keys: matched in constant time, and known afterwards only by a fingerprint."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

KeyKind = Literal["api_key", "widget"]


def fingerprint(key: str) -> str:
    """A short, stable name for a key that logs and rate-limit buckets may carry."""
    return "k_" + hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class KeyMatch:
    kind: KeyKind
    id: str


class KeyRing:
    def __init__(self, api_keys: Iterable[str], widget_keys: Iterable[str]) -> None:
        kinds: list[tuple[KeyKind, Iterable[str]]] = [
            ("api_key", api_keys),
            ("widget", widget_keys),
        ]
        self._entries: list[tuple[bytes, KeyMatch]] = [
            (hashlib.sha256(key.encode()).digest(), KeyMatch(kind, fingerprint(key)))
            for kind, keys in kinds
            for key in keys
        ]
        self.api_keys_required = any(m.kind == "api_key" for _, m in self._entries)

    def match(self, presented: str) -> KeyMatch | None:
        # Digests have one length whatever was sent, and every key is compared (no early
        # exit), so timing tells nothing about how much of a key was right, or which.
        digest = hashlib.sha256(presented.encode()).digest()
        found: KeyMatch | None = None
        for stored, match in self._entries:
            if hmac.compare_digest(stored, digest) and found is None:
                found = match
        return found
