"""What `VaultClient` and `AsyncVaultClient` share and that does no I/O.

Configuration, the workload's identity and tenant, the token state, metrics around an
operation, and the checks and encodings of transit requests live here; the sync client adds
hvac calls, the async one httpx calls (httpx's ``BaseClient`` pattern).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from hexr.errors import VaultError
from hexr.vault import _telemetry as tel
from hexr.vault._config import VaultConfig
from hexr.vault._errors import error_reason
from hexr.vault._layout import VaultLayout, WorkloadName, parse_workload
from hexr.vault._token import TokenState

__all__ = ["MAX_CIPHERTEXT_CHARS", "MAX_PLAINTEXT_BYTES", "IdentityProvider", "VaultBase"]

MAX_PLAINTEXT_BYTES = 1024 * 1024
MAX_CIPHERTEXT_CHARS = 2 * MAX_PLAINTEXT_BYTES


class IdentityProvider(Protocol):
    """What the client needs from the workload identity (`hexr.identity` sources fit)."""

    @property
    def spiffe_id(self) -> object:
        """The workload's SPIFFE ID; ``str()`` gives the URI."""

    def jwt_svid(self, audience: str) -> str:
        """A JWT-SVID for ``audience``."""


def _default_identity() -> IdentityProvider:
    from hexr import identity  # deferred: identity pulls in grpc

    source: IdentityProvider = identity.default_source()
    return source


class VaultBase:
    """The I/O-free half of a vault client."""

    def __init__(
        self,
        addr: str | None = None,
        *,
        identity: IdentityProvider | None = None,
        audience: str | None = None,
        layout: VaultLayout | None = None,
        timeout: float | None = None,
        verify: bool | str | None = None,
    ) -> None:
        self._config = VaultConfig.resolve(addr, audience, timeout, verify)
        self._layout = layout or VaultLayout()
        self._identity_arg = identity
        self._identity: IdentityProvider | None = None
        self._workload: WorkloadName | None = None
        self._tokens = TokenState()

    def _whoami(self) -> tuple[IdentityProvider, WorkloadName]:
        if self._identity is None or self._workload is None:
            identity = self._identity_arg or _default_identity()
            self._workload = parse_workload(str(identity.spiffe_id))
            self._identity = identity
        return self._identity, self._workload

    @property
    def spiffe_id(self) -> str:
        """The SPIFFE ID this client authenticates as."""
        return self._whoami()[1].spiffe_id

    @property
    def tenant(self) -> str:
        """The caller's tenant; every path is relative to it.

        Raises:
            VaultError: the workload is a service, which has no tenant of its own.
        """
        tenant = self._whoami()[1].tenant
        if tenant is None:
            raise VaultError("a service identity has no tenant; use read_credential()")
        return tenant

    def _kv_path(self, tenant: str, relative: str) -> str:
        return f"{self._layout.tenant_root(tenant)}/{relative}"

    @contextmanager
    def _measure(self, op: str) -> Iterator[None]:
        start = time.perf_counter()
        status = "ok"
        try:
            yield
        except BaseException as exc:
            status = "error"
            tel.ERRORS.add(1, {"op": op, "reason": error_reason(exc)})
            raise
        finally:
            attrs = {"op": op, "status": status}
            tel.OPERATIONS.add(1, attrs)
            tel.DURATION.record(time.perf_counter() - start, attrs)


def transit_plaintext(plaintext: bytes | str) -> str:
    """``plaintext`` base64-encoded for transit.

    Raises:
        VaultError: larger than `MAX_PLAINTEXT_BYTES`.
    """
    raw = plaintext.encode() if isinstance(plaintext, str) else bytes(plaintext)
    if len(raw) > MAX_PLAINTEXT_BYTES:
        raise VaultError(f"plaintext is larger than {MAX_PLAINTEXT_BYTES} bytes")
    return base64.b64encode(raw).decode()


def check_ciphertext(ciphertext: str) -> str:
    """``ciphertext`` if it is a bounded transit ciphertext.

    Raises:
        VaultError: not a bounded ``vault:v<n>:...`` string.
    """
    if (
        not isinstance(ciphertext, str)
        or not ciphertext.startswith("vault:v")
        or len(ciphertext) > MAX_CIPHERTEXT_CHARS
    ):
        raise VaultError("ciphertext is not a bounded 'vault:v<n>:...' string")
    return ciphertext


def transit_context(context: bytes | None) -> dict[str, str]:
    """The ``context`` field of a derived-key transit request (empty without one)."""
    return {"context": base64.b64encode(context).decode()} if context else {}


def plaintext_of(response: Mapping[str, Any]) -> bytes:
    """The plaintext of a transit decrypt response.

    Raises:
        VaultError: the response holds no valid base64 plaintext.
    """
    try:
        return base64.b64decode(response["data"]["plaintext"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        raise VaultError("vault decrypt returned a malformed plaintext") from None
