"""Tenant-isolated secrets for agents: ``hexr.vault.get("shared/db")``.

The client logs in with the agent's JWT-SVID (no token in code or env), and every path is
relative to the agent's tenant. Tenant isolation is enforced by the vault server's ACL
policies (provisioned by ``hexr_vault``); the checks here only reject malformed paths
early. Values come back as `Secret`, whose ``repr`` never shows them.
"""

from hexr.errors import PolicyDenied, VaultError, VaultPathError
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
from hexr.vault._errors import SecretNotFound
from hexr.vault._layout import VaultLayout
from hexr.vault._secret import Secret

__all__ = [
    "IdentityProvider",
    "PolicyDenied",
    "Secret",
    "SecretNotFound",
    "VaultClient",
    "VaultConfig",
    "VaultError",
    "VaultLayout",
    "VaultPathError",
    "decrypt",
    "default_client",
    "encrypt",
    "get",
    "list",
    "put",
    "set_default_client",
]
