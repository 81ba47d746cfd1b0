"""Where an operator command finds its vault token: never an agent's concern."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hexr import _env
from hexr._settings import default_home
from hexr.errors import ConfigError

if TYPE_CHECKING:
    import hvac

__all__ = ["LOCAL_ROOT_TOKEN_FILE", "local_root_token", "operator_client", "operator_token"]

LOCAL_ROOT_TOKEN_FILE = Path("secrets") / "openbao-root-token"
"""Under ``$HEXR_HOME``: the local platform's OpenBao dev root token (0600)."""

_MAX_TOKEN_CHARS = 4096


def local_root_token(home: Path) -> str:
    """The root token of the local platform's OpenBao (from its 0600 file in ``home``).

    Raises:
        FileNotFoundError: OpenBao was never started in ``home``.
    """
    return (home / LOCAL_ROOT_TOKEN_FILE).read_text().strip()


def operator_token(token_file: Path | None = None) -> str:
    """``token_file``, else ``HEXR_VAULT_TOKEN``, else the local platform's root token file.

    Raises:
        ConfigError: no token is configured, or the file is unreadable or not private.
    """
    if token_file is None:
        from_env = os.environ.get(_env.HEXR_VAULT_TOKEN, "").strip()
        if from_env:
            return from_env
    path = token_file or default_home() / LOCAL_ROOT_TOKEN_FILE
    try:
        with open(path, encoding="utf-8") as fh:
            # Check the opened file, not the path: a file swapped in after a stat() of
            # the path would otherwise be read unchecked.
            if os.fstat(fh.fileno()).st_mode & 0o077:
                raise ConfigError(f"{path} is readable by others; chmod 600 it")
            token = fh.read(_MAX_TOKEN_CHARS).strip()
    except OSError as exc:
        raise ConfigError(
            f"no operator token: set {_env.HEXR_VAULT_TOKEN}, pass --token-file, or run"
            " `hexr dev up` (cannot read "
            f"{path}: {exc.strerror})"
        ) from None
    if not token:
        raise ConfigError(f"{path} is empty")
    return token


def operator_client(addr: str, token: str, timeout: float = 10.0) -> hvac.Client:
    """An hvac client for operator work, verifying TLS with ``HEXR_VAULT_CACERT`` if set."""
    import hvac

    verify: bool | str = os.environ.get(_env.HEXR_VAULT_CACERT) or True
    return hvac.Client(url=addr, token=token, timeout=timeout, verify=verify)
