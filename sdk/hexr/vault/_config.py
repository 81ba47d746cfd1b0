"""Vault client configuration: explicit argument, then environment, then default."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hexr import _env
from hexr.endpoints import check_bearer_url, resolve_endpoint
from hexr.errors import ConfigError
from hexr.vault._layout import DEFAULT_AUDIENCE

__all__ = ["DEFAULT_TIMEOUT", "VaultConfig"]

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class VaultConfig:
    """Where the vault is and how to talk to it."""

    addr: str
    audience: str = DEFAULT_AUDIENCE
    timeout: float = DEFAULT_TIMEOUT
    verify: bool | str = True

    @classmethod
    def resolve(
        cls,
        addr: str | None = None,
        audience: str | None = None,
        timeout: float | None = None,
        verify: bool | str | None = None,
    ) -> VaultConfig:
        """Fill unset fields from ``HEXR_VAULT_*`` / the local platform / defaults.

        Raises:
            ConfigError: no vault address is configured or published.
        """
        addr = addr or resolve_endpoint(_env.HEXR_VAULT_ADDR)
        if not addr:
            raise ConfigError(
                f"{_env.HEXR_VAULT_ADDR} is not set and no local platform publishes a vault"
            )
        check_bearer_url(addr, _env.HEXR_VAULT_ADDR)
        if verify is None:
            verify = os.environ.get(_env.HEXR_VAULT_CACERT) or True
        return cls(
            addr=addr.rstrip("/"),
            audience=audience or os.environ.get(_env.HEXR_VAULT_AUDIENCE) or DEFAULT_AUDIENCE,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            verify=verify,
        )
