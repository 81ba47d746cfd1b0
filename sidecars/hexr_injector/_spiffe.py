"""Callers' SPIFFE IDs: only agent IDs of the configured trust domain are accepted."""

from __future__ import annotations

from typing import NamedTuple

from hexr.errors import IdentityError
from hexr.identity import SpiffeId

__all__ = ["Caller", "caller_from_subject"]


class Caller(NamedTuple):
    """A verified caller: its SPIFFE ID and the tenant and agent it encodes."""

    spiffe_id: str
    tenant: str
    agent: str
    role: str


def caller_from_subject(subject: object, trust_domain: str) -> Caller | None:
    """The caller named by a verified ``sub`` claim, or None if it is not one of our agents."""
    if not isinstance(subject, str):
        return None
    try:
        parsed = SpiffeId.parse(subject)
    except IdentityError:
        return None
    if parsed.trust_domain != trust_domain or parsed.agent is None:
        return None
    if parsed.tenant is None or parsed.role is None:
        return None
    return Caller(str(parsed), parsed.tenant, parsed.agent, parsed.role)
