"""Tenant-isolated secrets for agents: ``hexr.vault.get("shared/db")``.

The client logs in with the agent's JWT-SVID (no token in code or env), and every path is
relative to the agent's tenant. Tenant isolation is enforced by the vault server's ACL
policies (provisioned by ``hexr_vault``); the checks here only reject malformed paths
early. Values come back as `Secret`, whose ``repr`` never shows them. `AsyncVaultClient`
is the async twin of `VaultClient` (same token logic, httpx I/O).
"""

from hexr.errors import PolicyDenied, VaultError, VaultPathError
from hexr.vault._aclient import AsyncVaultClient
from hexr.vault._client import IdentityProvider, VaultClient
from hexr.vault._config import VaultConfig
from hexr.vault._default import (
    decrypt,
    default_client,
    encrypt,
    get,
    list,
    put,
    set_default_client,
)
from hexr.vault._errors import LoginRefused, SecretNotFound, VaultUnavailable
from hexr.vault._layout import GATEWAY_SERVICE, UPSTREAMS_PREFIX, VaultLayout
from hexr.vault._secret import Secret

__all__ = [
    "GATEWAY_SERVICE",
    "UPSTREAMS_PREFIX",
    "AsyncVaultClient",
    "IdentityProvider",
    "LoginRefused",
    "PolicyDenied",
    "Secret",
    "SecretNotFound",
    "VaultClient",
    "VaultConfig",
    "VaultError",
    "VaultLayout",
    "VaultPathError",
    "VaultUnavailable",
    "decrypt",
    "default_client",
    "encrypt",
    "get",
    "list",
    "put",
    "set_default_client",
]

# Tracebacks and reprs name the public module, not the private one that defines a class.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__
del _name, _value
