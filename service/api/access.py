"""Keys, budgets and the limiter that spends them, shared by every way in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import limits

from service.api.keys import KeyRing
from service.api.limiter import Limiter
from service.errors import RateLimited
from service.settings import RateLimitSettings

PrincipalKind = Literal["anonymous", "api_key", "widget", "slack"]
Budget = Literal["question", "read"]


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    # What budgets and logs key on: a key's fingerprint (never the key), a Slack user, or
    # the client address for anonymous callers.
    id: str
    client_ip: str | None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


class Access:
    """The keys, the budgets and the limiter that spends them."""

    def __init__(self, keys: KeyRing, limiter: Limiter, rates: RateLimitSettings) -> None:
        self.keys = keys
        self._limiter = limiter
        self._failed_auth = _parse(rates.failed_auth)
        self._rates: dict[tuple[PrincipalKind, Budget], limits.RateLimitItem | None] = {
            ("api_key", "question"): _parse(rates.api_key),
            ("widget", "question"): _parse(rates.widget),
            ("widget", "read"): _parse(rates.widget_reads),
            ("anonymous", "question"): _parse(rates.ip),
            ("slack", "question"): _parse(rates.slack_user),
        }

    async def refuse_locked_out(self, client_ip: str | None) -> None:
        """`RateLimited` while this address is over its failed-key budget: checked before
        a key is matched, so that a right guess after the budget is refused too."""
        rate = self._failed_auth
        if rate is not None:
            wait = await self._limiter.wait(rate, "failed_auth", client_ip or "-")
            if wait is not None:
                raise _locked_out(rate, wait)

    async def count_failed(self, client_ip: str | None) -> None:
        """Count one failed key attempt; `RateLimited` when it is over the budget."""
        rate = self._failed_auth
        if rate is not None:
            wait = await self._limiter.hit(rate, "failed_auth", client_ip or "-")
            if wait is not None:
                raise _locked_out(rate, wait)

    async def admit(self, principal: Principal, budget: Budget) -> None:
        """Spend one unit of the principal's budget; `RateLimited` when it is used up."""
        rate = self._rates.get((principal.kind, budget))
        if rate is None:
            return
        # A widget key is public, so its budget is per key *and* client address: one
        # abusive visitor cannot spend every other visitor's questions.
        who = [principal.kind, principal.id]
        if principal.kind == "widget":
            who.append(principal.client_ip or "-")
        wait = await self._limiter.hit(rate, budget, *who)
        if wait is not None:
            raise RateLimited(
                f"Too many requests: the limit is {rate.amount} per "
                f"{_period(rate)}; retry in {wait} s.",
                retry_after=wait,
            )


def _locked_out(rate: limits.RateLimitItem, wait: int) -> RateLimited:
    return RateLimited(
        f"Too many failed key attempts from this address: the limit is {rate.amount} per "
        f"{_period(rate)}; check the key, and retry in {wait} s.",
        retry_after=wait,
    )


def _parse(rate: str | None) -> limits.RateLimitItem | None:
    return limits.parse(rate) if rate else None


def _period(rate: limits.RateLimitItem) -> str:
    unit = rate.GRANULARITY.name
    return unit if rate.multiples == 1 else f"{rate.multiples} {unit}s"
