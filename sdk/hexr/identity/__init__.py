"""Workload identity: SPIFFE IDs, SVIDs from the Workload API, and mTLS helpers.

Speaks only the SPIFFE Workload API, so the same code runs against Hexr's local identity
service and a SPIRE agent.
"""

from hexr.identity._authorize import (
    Authorizer,
    authorize_any,
    authorize_id,
    authorize_tenant,
    authorize_trust_domain,
)
from hexr.identity._source import (
    IdentitySource,
    default_source,
    reset_default_source,
    try_current_spiffe_id,
)
from hexr.identity._spiffe_id import SpiffeId
from hexr.identity._tls import SpiffeSSLContext, peer_spiffe_id

__all__ = [
    "Authorizer",
    "IdentitySource",
    "SpiffeId",
    "SpiffeSSLContext",
    "authorize_any",
    "authorize_id",
    "authorize_tenant",
    "authorize_trust_domain",
    "default_source",
    "peer_spiffe_id",
    "reset_default_source",
    "try_current_spiffe_id",
]
