"""Validation of secret paths before any request leaves the process.

A path is relative to the caller's tenant. The server's ACL is what isolates tenants;
these checks make tricks fail early with a clear error and keep the paths sent (and
recorded on spans) canonical.
"""

from __future__ import annotations

import re

from hexr.errors import VaultPathError
from hexr.vault._layout import check_name

__all__ = ["MAX_PATH_CHARS", "MAX_SEGMENTS", "normalize_path", "normalize_prefix"]

MAX_PATH_CHARS = 512
MAX_SEGMENTS = 16
# Allow-list, not deny-list: no '%' (encoded dots), '*'/'+' (ACL globs), '\\', spaces.
_SEGMENT = re.compile(r"[A-Za-z0-9_.@=,-]{1,128}")


def _segments(path: object, tenant: str) -> list[str]:
    if not isinstance(path, str):
        raise VaultPathError("vault path must be a string")
    if len(path) > MAX_PATH_CHARS:
        raise VaultPathError(f"vault path is longer than {MAX_PATH_CHARS} characters")
    if path.startswith("/"):
        raise VaultPathError("vault path must be relative to the tenant, not absolute")
    parts = path.split("/")
    if len(parts) > MAX_SEGMENTS:
        raise VaultPathError(f"vault path has more than {MAX_SEGMENTS} segments")
    for part in parts:
        if part in ("", ".", ".."):
            raise VaultPathError(f"vault path has an empty, '.' or '..' segment: {path!r}")
        if not _SEGMENT.fullmatch(part):
            raise VaultPathError(f"vault path has a forbidden character: {path!r}")
    if parts[0] == "tenants":
        # "tenants/<own tenant>/x" is accepted as a spelling of "x"; any other tenant is not.
        if len(parts) < 3 or parts[1] != tenant:
            raise VaultPathError("vault path names another tenant")
        parts = parts[2:]
    return parts


def normalize_path(path: object, tenant: str) -> str:
    """Canonical tenant-relative secret path (``a/b``).

    Raises:
        VaultPathError: empty, absolute, ``.``/``..``/empty segments, forbidden
            characters, too long, too many segments, or naming another tenant.
    """
    check_name("tenant", tenant)
    if isinstance(path, str) and path.endswith("/"):
        raise VaultPathError("a secret path must not end with '/'")
    return "/".join(_segments(path, tenant))


def normalize_prefix(prefix: object, tenant: str) -> str:
    """Canonical tenant-relative list prefix: ``""`` (the tenant root) or ``a/b/``.

    Raises:
        VaultPathError: as `normalize_path`.
    """
    check_name("tenant", tenant)
    if prefix == "":
        return ""
    if isinstance(prefix, str) and prefix.endswith("/"):
        prefix = prefix[:-1]
    return "/".join(_segments(prefix, tenant)) + "/"
