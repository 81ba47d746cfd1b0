"""API keys held in Hexr Vault (e.g. an LLM provider's key), read per tenant.

The injector reads ``tenants/<tenant>/credentials/<service>`` with its own service
identity; agents never read the key from the vault themselves. The key is handed out
with a bounded lifetime so callers re-fetch it and a rotated key spreads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Protocol

import anyio.to_thread
from pydantic import Field

from hexr.credentials import Credential
from hexr.errors import HexrError, PolicyDenied
from hexr_injector.errors import ProviderFailed
from hexr_injector.providers._base import ExchangeRequest, Provider, ProviderOptions

__all__ = ["CredentialReader", "VaultKeyOptions", "VaultKeyProvider"]

_MAX_KEY_CHARS = 8192


class SecretFields(Protocol):
    """A read secret: its fields by name (`hexr.vault.Secret` fits)."""

    def __getitem__(self, key: str) -> Any:
        """The value of field ``key``; KeyError if absent."""
        ...


class CredentialReader(Protocol):
    """Reads a tenant's provider credential (`hexr.vault.VaultClient` fits)."""

    def read_credential(self, tenant: str, name: str) -> SecretFields | Mapping[str, Any]:
        """The fields of ``tenants/<tenant>/credentials/<name>``."""
        ...


class VaultKeyOptions(ProviderOptions):
    """Options of the ``vault_key`` provider."""

    provider: Literal["vault_key"]
    secret_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,128}$")
    """Name under ``credentials/`` (default: the service name)."""
    field: str = "api_key"
    header: str = "authorization"
    prefix: str = "Bearer "
    base_url: str | None = None
    ttl_seconds: int = Field(default=3600, ge=60, le=86400)


class VaultKeyProvider(Provider):
    """Hands out a tenant's API key from the vault."""

    name: ClassVar[str] = "vault_key"

    def __init__(self, options: VaultKeyOptions, reader: CredentialReader) -> None:
        self._options = options
        self._reader = reader

    async def exchange(self, request: ExchangeRequest) -> Credential:
        """Read the caller tenant's key for the service."""
        name = self._options.secret_name or request.service
        tenant = request.caller.tenant
        try:
            secret = await anyio.to_thread.run_sync(self._reader.read_credential, tenant, name)
        except LookupError as exc:
            raise ProviderFailed("no API key is stored for this tenant and service") from exc
        except PolicyDenied as exc:
            raise ProviderFailed("the vault refused the injector this key") from exc
        except HexrError as exc:
            raise ProviderFailed(f"vault unavailable ({type(exc).__name__})") from exc
        try:
            key = secret[self._options.field]
        except KeyError:
            key = None
        if not isinstance(key, str) or not 0 < len(key) <= _MAX_KEY_CHARS:
            raise ProviderFailed("the stored API key is missing or malformed")
        values = {"token": key, "header": self._options.header, "prefix": self._options.prefix}
        if self._options.base_url:
            values["base_url"] = self._options.base_url
        return Credential("token", values, time.time() + self._options.ttl_seconds)
