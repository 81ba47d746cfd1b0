"""The Hexr exception tree.

Every error Hexr raises into agent code derives from `HexrError`, so an agent can catch
the platform's failures in one place. Foreign errors (grpc, hvac, valkey, httpx, openai)
are translated at the boundary that calls them and chained with ``raise ... from``.

Our exception hierarchy::

    HexrError
    ├── ConfigError            invalid configuration; names the field
    ├── IdentityError          no SVID, Workload API unreachable, bad SPIFFE ID
    │   └── AttestationError   the caller is not a registered workload
    ├── PolicyDenied           a policy said no (deny by default)
    ├── CredentialError        the credential chain (cache, injector, provider) failed
    ├── VaultError             a secret operation failed
    │   └── VaultPathError     a path was rejected before any request
    └── LLMError               an instrumented LLM call failed in Hexr's own code

Messages never contain a secret, a credential or prompt content.
"""

from __future__ import annotations

__all__ = [
    "AttestationError",
    "ConfigError",
    "CredentialError",
    "HexrError",
    "IdentityError",
    "LLMError",
    "PolicyDenied",
    "VaultError",
    "VaultPathError",
]


class HexrError(Exception):
    """Base class of every error Hexr raises."""


class ConfigError(HexrError, ValueError):
    """Configuration is invalid; the message names the offending field."""


class IdentityError(HexrError):
    """The workload identity could not be obtained or verified."""


class AttestationError(IdentityError):
    """The calling process is not a registered workload."""


class PolicyDenied(HexrError):
    """A policy decision denied the request."""


class CredentialError(HexrError):
    """A short-lived credential could not be obtained."""


class VaultError(HexrError):
    """A vault operation failed."""


class VaultPathError(VaultError, ValueError):
    """A vault path was rejected before any request was made."""


class LLMError(HexrError):
    """An instrumented LLM call failed inside Hexr."""
