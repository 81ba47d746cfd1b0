"""Local platform glue: bootstrap OpenBao after identity starts; enroll local agents."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hexr import _env
from hexr._settings import DEFAULT_TRUST_DOMAIN, default_home, published_env
from hexr.errors import ConfigError
from hexr_vault._local import enroll_agent, run_bootstrap
from hexr_vault._operator_token import local_root_token, operator_client

if TYPE_CHECKING:
    from hexr_platform.component import ComponentContext

__all__ = ["bootstrap_local_openbao", "enroll_local_agent"]


def bootstrap_local_openbao(ctx: ComponentContext) -> list[str]:
    """Bootstrap the just-started local OpenBao to trust the platform's identity service.

    A platform without an ``identity`` peer (e.g. a bare OpenBao test fixture) has
    nothing to trust yet, so this does nothing there.

    Raises:
        ConfigError, VaultError: the bootstrap failed (``hexr dev up`` reports it).
    """
    identity = ctx.peers.get("identity")
    if identity is None:
        return []
    return run_bootstrap(
        f"http://{ctx.host}:{ctx.port}",
        local_root_token(ctx.home),
        jwks_url=f"http://{identity.host}:{identity.port}/keys",
        # Same source as the identity component's --trust-domain.
        trust_domain=os.environ.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN,
    )


def enroll_local_agent(tenant: str, agent: str, home: Path | None = None) -> list[str]:
    """Enroll an agent on the running local platform's OpenBao (for ``hexr dev run``).

    Raises:
        ConfigError: no local OpenBao is running in ``home``.
        VaultPathError, VaultError: invalid names, or the vault refused.
    """
    home = home or default_home()
    published = published_env(home)
    addr = published.get(_env.HEXR_VAULT_ADDR)
    if not addr:
        raise ConfigError("the local OpenBao is not running (start it: hexr dev up)")
    try:
        token = local_root_token(home)
    except OSError:
        raise ConfigError("the local OpenBao's root token file is missing") from None
    client = operator_client(addr, token)
    try:
        return enroll_agent(
            client,
            tenant,
            agent,
            trust_domain=published.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN,
        )
    finally:
        client.adapter.close()
