"""Per-identity L2 sealing keys, derived from the injector's master secret.

Each SPIFFE ID gets ``HKDF-SHA256(master, info="hexr-l2-seal|" + spiffe_id)``: pods of
one identity share L2 values, other identities cannot open them, and the master secret
never leaves the injector's state directory (mode 0600).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hexr.errors import ConfigError

__all__ = ["SealingKeys"]

_KEY_BYTES = 32
_INFO = b"hexr-l2-seal|"


class SealingKeys:
    """Derives sealing keys from a 32-byte master secret."""

    def __init__(self, master: bytes) -> None:
        if len(master) != _KEY_BYTES:
            raise ConfigError("injector master secret must be 32 bytes")
        self._master = master

    @classmethod
    def from_state_dir(cls, state_dir: Path) -> SealingKeys:
        """Load the master secret from ``state_dir/sealing.key``, creating it (0600) if absent.

        Raises:
            ConfigError: the file exists with the wrong size or permissions.
        """
        path = state_dir / "sealing.key"
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            _create_secret(path)
        if path.stat().st_mode & 0o077:
            raise ConfigError(f"{path} must not be readable by group or others")
        return cls(path.read_bytes())

    def for_identity(self, spiffe_id: str) -> bytes:
        """The sealing key of ``spiffe_id``."""
        info = _INFO + spiffe_id.encode()
        hkdf = HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info)
        return hkdf.derive(self._master)


def _create_secret(path: Path) -> None:
    # Written whole under a private temporary name, then linked into place: a crash never
    # leaves a short file that would stop every later start, and when two injectors start
    # at once the first link wins and both read the same secret.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(_KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
