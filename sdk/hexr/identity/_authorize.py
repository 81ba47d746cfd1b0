"""Peer authorizers: predicates over the peer's SPIFFE ID, used by the mTLS helpers."""

from __future__ import annotations

from collections.abc import Callable

from hexr.identity._spiffe_id import SpiffeId

__all__ = [
    "Authorizer",
    "authorize_any",
    "authorize_id",
    "authorize_tenant",
    "authorize_trust_domain",
]

Authorizer = Callable[[SpiffeId], bool]
"""Decides whether a peer with this SPIFFE ID may talk to us."""


def authorize_id(*ids: SpiffeId | str) -> Authorizer:
    """Allow exactly the given SPIFFE IDs."""
    allowed = frozenset(i if isinstance(i, SpiffeId) else SpiffeId.parse(i) for i in ids)

    def check(peer: SpiffeId) -> bool:
        return peer in allowed

    return check


def authorize_tenant(tenant: str, trust_domain: str | None = None) -> Authorizer:
    """Allow any agent of ``tenant`` (in ``trust_domain`` when given)."""

    def check(peer: SpiffeId) -> bool:
        if trust_domain is not None and peer.trust_domain != trust_domain:
            return False
        return peer.kind == "agent" and peer.tenant == tenant

    return check


def authorize_trust_domain(trust_domain: str) -> Authorizer:
    """Allow any workload of ``trust_domain``."""

    def check(peer: SpiffeId) -> bool:
        return peer.trust_domain == trust_domain

    return check


def authorize_any() -> Authorizer:
    """Allow any peer with a valid SVID from a trusted bundle (authentication only)."""

    def check(peer: SpiffeId) -> bool:
        return True

    return check
