"""The local platform's OpenBao post-start hook: bootstrap once identity is healthy."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hexr import _env
from hexr._settings import DEFAULT_TRUST_DOMAIN
from hexr_vault._local import run_bootstrap

if TYPE_CHECKING:
    from hexr_platform import ComponentContext

__all__ = ["bootstrap_local_openbao"]


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
    from hexr_platform import openbao_root_token  # the platform owns the token file

    return run_bootstrap(
        f"http://{ctx.host}:{ctx.port}",
        openbao_root_token(ctx.home),
        jwks_url=f"http://{identity.host}:{identity.port}/keys",
        # Same source as the identity component's --trust-domain.
        trust_domain=os.environ.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN,
    )
