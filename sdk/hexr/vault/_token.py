"""The vault-token logic both clients share: no I/O, only decisions and state.

`TokenState` knows when the cached token is fresh, when to renew it and when to log in
again; the sync (`VaultClient`, hvac) and async (`AsyncVaultClient`, httpx) clients only
perform the requests it asks for, like httpx's ``BaseClient`` under ``Client`` and
``AsyncClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hexr.errors import VaultError
from hexr.vault._errors import login_refused
from hexr.vault._layout import VaultLayout, WorkloadName

__all__ = ["REFRESH_FRACTION", "TokenState", "login_refusal", "login_role"]

REFRESH_FRACTION = 0.75
"""A token is used until this fraction of its lease, then renewed or replaced."""
MIN_LEASE_S = 2.0
"""A renewal granting less than this means the token is at its max TTL: log in again."""

Due = Literal["fresh", "renew", "login"]


@dataclass
class Token:
    """A vault token and its lease times (monotonic clock)."""

    # repr=False: error reporters that capture frame locals must never print the token.
    value: str = field(repr=False)
    renewable: bool
    refresh_at: float
    expires_at: float


def _lease_times(lease: float, now: float) -> tuple[float, float]:
    if lease <= 0:  # no expiry (e.g. a root token)
        return float("inf"), float("inf")
    return now + lease * REFRESH_FRACTION, now + lease


class TokenState:
    """The cached token of one client; callers hold their own lock around it."""

    def __init__(self) -> None:
        self.token: Token | None = None

    @property
    def value(self) -> str | None:
        """The current token, if any."""
        return None if self.token is None else self.token.value

    def due(self, now: float) -> Due:
        """What the client must do before a request: nothing, renew, or log in."""
        token = self.token
        if token is not None and now < token.refresh_at:
            return "fresh"
        if token is not None and token.renewable and now < token.expires_at:
            return "renew"
        return "login"

    def logged_in(self, response: Mapping[str, Any], now: float) -> str:
        """Keep the token of a login ``response``; returns it."""
        auth = response["auth"]
        refresh_at, expires_at = _lease_times(float(auth.get("lease_duration") or 0), now)
        self.token = Token(
            auth["client_token"], bool(auth.get("renewable")), refresh_at, expires_at
        )
        return self.token.value

    def renewed(self, response: Mapping[str, Any], now: float) -> bool:
        """Apply a renew-self ``response``; False when a fresh login is due instead."""
        lease = float((response.get("auth") or {}).get("lease_duration") or 0)
        if self.token is None or lease < MIN_LEASE_S:  # at its max TTL
            return False
        self.token.refresh_at, self.token.expires_at = _lease_times(lease, now)
        return True

    def clear(self) -> None:
        """Forget the token; the next request logs in."""
        self.token = None

    def invalidate(self, stale: str | None) -> None:
        """Forget the token if it is still ``stale`` (another caller may have replaced it)."""
        if self.token is not None and self.token.value == stale:
            self.token = None


def login_role(layout: VaultLayout, workload: WorkloadName) -> str:
    """The JWT auth role ``workload`` logs in with (agent or service)."""
    if workload.tenant is not None and workload.agent is not None:
        return layout.agent_role(workload.tenant, workload.agent)
    return layout.service_role(workload.service or "")


def login_refusal(workload: WorkloadName, role: str, reason: str) -> VaultError:
    """The error for a login the vault refused, naming the fix when the role is missing."""
    if "could not be found" in reason:
        return login_refused(
            f"{workload.spiffe_id} is not enrolled in the vault (role {role} is"
            " missing; an operator runs `hexr vault enroll`)"
        )
    return login_refused(f"vault refused the JWT-SVID of {workload.spiffe_id}: {reason}")
