"""Upstream credentials: read from Hexr Vault per (tenant, upstream), applied per scheme.

The secret at ``tenants/<tenant>/upstreams/<upstream>`` holds, per security scheme of the
spec, a field named after the scheme, or the generic field of its kind::

    api key  → <scheme> or api_key
    bearer   → <scheme> or token
    basic    → <scheme>_username / <scheme>_password, or username / password

Values are cached for a short TTL (bounded table) so a rotated key spreads within it.
Only the gateway's service identity may read these paths; agents never see them.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.to_thread

from hexr.errors import HexrError, PolicyDenied
from hexr_gateway.errors import Unavailable, UpstreamFailed
from hexr_gateway.openapi import SecurityScheme, ToolDef

__all__ = ["AppliedCredential", "CredentialCache", "UpstreamSecretReader", "apply_credential"]

_MAX_ENTRIES = 4096
_MAX_VALUE_CHARS = 8192


class UpstreamSecretReader(Protocol):
    """Reads a tenant's upstream credential (`hexr.vault.VaultClient` fits)."""

    def read_upstream_credential(self, tenant: str, upstream: str) -> Any:
        """The fields of ``tenants/<tenant>/upstreams/<upstream>``."""
        ...


@dataclass
class AppliedCredential:
    """What a credential adds to an upstream request, and the values to scrub from answers."""

    headers: dict[str, str] = field(default_factory=dict, repr=False)
    query: dict[str, str] = field(default_factory=dict, repr=False)
    cookies: dict[str, str] = field(default_factory=dict, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


class CredentialCache:
    """Vault reads of upstream credentials with a TTL; a missing secret is not cached."""

    def __init__(self, reader: UpstreamSecretReader | None, ttl: float) -> None:
        self._reader = reader
        self._ttl = ttl
        self._entries: OrderedDict[tuple[str, str], tuple[float, dict[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    async def get(self, tenant: str, upstream: str) -> dict[str, str] | None:
        """The secret fields, or None when nothing is stored for this tenant and upstream.

        Raises:
            Unavailable: no vault configured, or it refused or could not be reached.
        """
        key = (tenant, upstream)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
        if self._reader is None:
            raise Unavailable("no vault is configured for upstream credentials")
        reader = self._reader
        try:
            secret = await anyio.to_thread.run_sync(
                reader.read_upstream_credential, tenant, upstream
            )
        except LookupError:
            return None
        except PolicyDenied as exc:
            raise Unavailable("the vault refused the gateway this credential") from exc
        except HexrError as exc:
            raise Unavailable(f"vault unavailable ({type(exc).__name__})") from exc
        fields = _fields(secret)
        with self._lock:
            self._entries[key] = (now + self._ttl, fields)
            self._entries.move_to_end(key)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)
        return fields


def _fields(secret: Any) -> dict[str, str]:
    data = secret.reveal() if hasattr(secret, "reveal") else secret
    if not isinstance(data, Mapping):
        return {}
    return {
        str(k): v for k, v in data.items()
        if isinstance(v, str) and 0 < len(v) <= _MAX_VALUE_CHARS
    }


def _value(fields: Mapping[str, str], *names: str) -> str | None:
    return next((fields[n] for n in names if n in fields), None)


def _apply(scheme: SecurityScheme, fields: Mapping[str, str], out: AppliedCredential) -> bool:
    if scheme.kind == "api_key":
        key = _value(fields, scheme.name, "api_key")
        if key is None:
            return False
        target = {"header": out.headers, "query": out.query, "cookie": out.cookies}
        target[scheme.location][scheme.parameter] = key
        out.secrets += (key,)
        return True
    if scheme.kind == "bearer":
        token = _value(fields, scheme.name, "token")
        if token is None:
            return False
        out.headers["authorization"] = f"Bearer {token}"
        out.secrets += (token,)
        return True
    user = _value(fields, f"{scheme.name}_username", "username")
    password = _value(fields, f"{scheme.name}_password", "password")
    if user is None or password is None:
        return False
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    out.headers["authorization"] = f"Basic {encoded}"
    out.secrets += (password, encoded)
    return True


def apply_credential(tool: ToolDef, fields: Mapping[str, str] | None) -> AppliedCredential:
    """The first security alternative of ``tool`` the stored fields satisfy.

    Raises:
        UpstreamFailed: the operation needs a credential and none fits what is stored.
    """
    if not tool.security or any(not alternative for alternative in tool.security):
        return AppliedCredential()  # no auth, or anonymous access is one alternative
    for alternative in tool.security:
        out = AppliedCredential()
        if fields and all(_apply(scheme, fields, out) for scheme in alternative):
            return out
    raise UpstreamFailed("no credential is stored for this upstream and tenant")
