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
    ├── LLMError               an instrumented LLM call failed in Hexr's own code
    │   └── GuardBlocked       a guard scanner blocked a prompt or a response
    ├── SandboxError           sandboxed code could not be started (bad arguments, setup)
    └── BrowserError           a browser action was invalid or its page was unreachable
        └── EgressDenied       the browser's egress allowlist refused an address

Messages never contain a secret, a credential or prompt content.
"""

from __future__ import annotations

__all__ = [
    "AttestationError",
    "BrowserError",
    "ConfigError",
    "CredentialError",
    "EgressDenied",
    "GuardBlocked",
    "HexrError",
    "IdentityError",
    "LLMError",
    "PolicyDenied",
    "SandboxError",
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


class GuardBlocked(LLMError):
    """The guard blocked a prompt (``direction="prompt"``) or a response (``"output"``).

    The message names the direction and the scanners that fired, never the blocked text.
    """

    def __init__(self, direction: str, scanners: tuple[str, ...], reason: str = "") -> None:
        self.direction = direction
        self.scanners = scanners
        names = ", ".join(scanners) or "guard"
        detail = f" ({reason})" if reason else ""
        super().__init__(f"hexr guard blocked the {direction}: {names}{detail}")


class SandboxError(HexrError):
    """Sandboxed code could not be started; the message names the argument or the step."""


class BrowserError(HexrError):
    """A browser action was invalid, or the page could not be loaded."""


class EgressDenied(BrowserError):
    """The browser's egress allowlist refused a destination (address, never the query)."""
