"""The local OpenBao keeps its data: integrated (raft) storage under ``$HEXR_HOME``.

Not dev mode: a dev server keeps everything in memory (``hexr dev down`` lost every seeded
secret, enrollment and transit key) and prints its root token and unseal key in its start
banner, which lands in the component log. Here the platform writes a server config, and
on the first start initialises the storage through the API (one unseal key share) and
keeps the unseal key and the root token in 0600 files under ``$HEXR_HOME/secrets``; every
start unseals it again. Nothing secret ever passes through argv, the environment or a log.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hexr.errors import ConfigError
from hexr_vault._operator_token import LOCAL_ROOT_TOKEN_FILE

if TYPE_CHECKING:
    from hexr_platform.component import ComponentContext

__all__ = ["LOCAL_UNSEAL_KEY_FILE", "config_path", "ensure_unsealed", "server_config", "serving"]

LOCAL_UNSEAL_KEY_FILE = Path("secrets") / "openbao-unseal-key"
"""Under ``$HEXR_HOME``: the unseal key of the local OpenBao's raft storage (0600)."""

_ACTIVE_TIMEOUT_S = 15.0
_POLL_S = 0.05
_HTTP_TIMEOUT_S = 30.0  # initialisation waits for the raft election
# The KV v2 mount dev mode has, so `bao kv put secret/...` habits keep working.
_DEV_KV_MOUNT = "secret"


def storage_dir(ctx: ComponentContext) -> Path:
    """Where OpenBao keeps its (encrypted) data."""
    return ctx.data_dir / "storage"


def config_path(ctx: ComponentContext) -> Path:
    """The server config file; its name says where the server listens (seen in ``ps``)."""
    return ctx.data_dir / f"openbao-{ctx.host}.hcl"


def server_config(ctx: ComponentContext) -> Path:
    """Write the server's HCL config (raft storage, loopback listener); its path."""
    storage = storage_dir(ctx)
    cluster = ctx.ports.get("cluster", ctx.port + 1)
    storage.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = config_path(ctx)
    text = "\n".join(
        [
            # OpenBao 2 has no "file" backend: a one-node raft cluster is its raft storage.
            # performance_multiplier 1: the fastest raft timings (one node, loopback); the
            # default 5 makes the first initialisation take ~6 s instead of ~2 s.
            f'storage "raft" {{ path = "{storage}" node_id = "hexr-local"'
            " performance_multiplier = 1 }",
            f'listener "tcp" {{ address = "{ctx.host}:{ctx.port}"'
            f' cluster_address = "{ctx.host}:{cluster}" tls_disable = true }}',
            f'api_addr = "http://{ctx.host}:{ctx.port}"',
            f'cluster_addr = "http://{ctx.host}:{cluster}"',
            "ui = false",
        ]
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
    return path


def serving(ctx: ComponentContext) -> bool:
    """Health check: the server answers (sealed or not initialised counts as up)."""
    import httpx

    try:
        response = httpx.get(
            f"http://{ctx.host}:{ctx.port}/v1/sys/health",
            params={"sealedcode": "200", "uninitcode": "200", "standbycode": "200"},
            timeout=0.5,
        )
    except httpx.HTTPError:
        return False
    return response.is_success


def _write_secret(path: Path, value: str) -> None:
    # A new file (O_EXCL, no symlink): 0600 before the secret is in it.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)


def ensure_unsealed(ctx: ComponentContext) -> None:
    """Initialise the storage on first start, unseal it, and wait until it is active.

    Raises:
        ConfigError: the storage is initialised but its unseal key file is missing, or the
            server did not become active.
    """
    import hvac

    addr = f"http://{ctx.host}:{ctx.port}"
    client = hvac.Client(url=addr, timeout=_HTTP_TIMEOUT_S)
    unseal_path = ctx.home / LOCAL_UNSEAL_KEY_FILE
    token_path = ctx.home / LOCAL_ROOT_TOKEN_FILE
    try:
        fresh = not client.sys.is_initialized()
        if fresh:
            answer = client.sys.initialize(secret_shares=1, secret_threshold=1)
            _write_secret(unseal_path, answer["keys_base64"][0])
            _write_secret(token_path, answer["root_token"])
        if client.sys.is_sealed():
            try:
                key = unseal_path.read_text().strip()
            except OSError:
                raise ConfigError(
                    f"OpenBao storage in {storage_dir(ctx)} is initialised but its unseal key"
                    f" {unseal_path} is missing (remove the storage directory to start over)"
                ) from None
            client.sys.submit_unseal_key(key)
        _wait_active(client)
        if fresh:
            client.token = token_path.read_text().strip()
            client.sys.enable_secrets_engine("kv", path=_DEV_KV_MOUNT, options={"version": "2"})
    finally:
        client.adapter.close()


def _wait_active(client: Any) -> None:
    deadline = time.monotonic() + _ACTIVE_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            status = client.sys.read_health_status(method="GET")
            if isinstance(status, dict) and not status.get("sealed") and not status.get(
                "standby"
            ):
                return
        time.sleep(_POLL_S)
    raise ConfigError("OpenBao did not become active after unsealing")
