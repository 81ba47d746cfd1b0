"""`VaultClient`: tenant-scoped secrets and transit, logged in with the workload's JWT-SVID.

No static token: the client logs in at ``auth/<mount>/login`` with a JWT-SVID for the
vault audience, caches the vault token until 75 % of its lease, renews it when renewable
and logs in again otherwise. A request refused because the token was revoked or expired
is retried once after a fresh login; a refusal with a valid token is a `PolicyDenied`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import hvac
import hvac.exceptions

from hexr.errors import PolicyDenied, VaultError
from hexr.telemetry._exceptions import scrubbed_span
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_VAULT_GET
from hexr.vault import _telemetry as tel
from hexr.vault._config import VaultConfig
from hexr.vault._errors import (
    SecretNotFound,
    display_addr,
    error_reason,
    login_refused,
    translate_errors,
)
from hexr.vault._layout import VaultLayout, WorkloadName, check_name, parse_workload
from hexr.vault._paths import normalize_path, normalize_prefix
from hexr.vault._secret import Secret

__all__ = ["IdentityProvider", "VaultClient", "checked_value", "secret_from_response"]

MAX_VALUE_BYTES = 256 * 1024
MAX_FIELDS = 128
MAX_PLAINTEXT_BYTES = 1024 * 1024
MAX_CIPHERTEXT_CHARS = 2 * MAX_PLAINTEXT_BYTES
_REFRESH_FRACTION = 0.75
_MIN_LEASE_S = 2.0

T = TypeVar("T")


class IdentityProvider(Protocol):
    """What the client needs from the workload identity (`hexr.identity` sources fit)."""

    @property
    def spiffe_id(self) -> object:
        """The workload's SPIFFE ID; ``str()`` gives the URI."""

    def jwt_svid(self, audience: str) -> str:
        """A JWT-SVID for ``audience``."""


@dataclass
class _Token:
    # repr=False: error reporters that capture frame locals must never print the token.
    value: str = field(repr=False)
    renewable: bool
    refresh_at: float
    expires_at: float


def _lease_times(lease: float, now: float) -> tuple[float, float]:
    if lease <= 0:  # no expiry (e.g. a root token)
        return float("inf"), float("inf")
    return now + lease * _REFRESH_FRACTION, now + lease


def _default_identity() -> IdentityProvider:
    from hexr import identity  # deferred: identity pulls in grpc

    source: IdentityProvider = identity.default_source()
    return source


class VaultClient:
    """Secrets of the calling workload's tenant in a Vault-API server (OpenBao, Vault).

    Thread-safe. Paths are relative to the tenant (``shared/db``, ``agents/<me>/notes``);
    see `hexr.vault` for the layout and the rules the server enforces.
    """

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
        self._lock = threading.Lock()
        self._token: _Token | None = None
        # token="" keeps hvac from picking up VAULT_TOKEN or ~/.vault-token: never static.
        self._hvac = hvac.Client(
            url=self._config.addr,
            token="",
            timeout=self._config.timeout,
            verify=self._config.verify,
        )

    # --- identity -----------------------------------------------------------------------

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

    # --- token lifecycle ----------------------------------------------------------------

    def _login(self) -> None:
        identity, workload = self._whoami()
        if workload.tenant is not None and workload.agent is not None:
            role = self._layout.agent_role(workload.tenant, workload.agent)
        else:
            role = self._layout.service_role(workload.service or "")
        svid = identity.jwt_svid(self._config.audience)
        try:
            with translate_errors("login", self._config.addr):
                response = self._hvac.auth.jwt.jwt_login(
                    role, svid, use_token=False, path=self._layout.auth_mount
                )
        except VaultError as exc:
            cause = exc.__cause__
            if isinstance(cause, hvac.exceptions.InvalidRequest):
                reason = ", ".join(str(e) for e in (cause.errors or []))[:200]
                if "could not be found" in reason:
                    raise login_refused(
                        f"{workload.spiffe_id} is not enrolled in the vault (role {role} is"
                        " missing; an operator runs `hexr vault enroll`)"
                    ) from None
                raise login_refused(
                    f"vault refused the JWT-SVID of {workload.spiffe_id}: {reason}"
                ) from None
            raise
        auth = response["auth"]
        now = time.monotonic()
        refresh_at, expires_at = _lease_times(float(auth.get("lease_duration") or 0), now)
        self._token = _Token(auth["client_token"], bool(auth.get("renewable")), refresh_at,
                             expires_at)
        self._hvac.token = self._token.value

    def _renew(self, token: _Token) -> bool:
        try:
            with translate_errors("renew", self._config.addr):
                response = self._hvac.auth.token.renew_self()
        except VaultError:
            return False
        lease = float(response["auth"].get("lease_duration") or 0)
        if lease < _MIN_LEASE_S:  # at its max TTL: a fresh login is due
            return False
        token.refresh_at, token.expires_at = _lease_times(lease, time.monotonic())
        return True

    def _ensure_token(self) -> None:
        with self._lock:
            token = self._token
            now = time.monotonic()
            if token is not None and now < token.refresh_at:
                return
            if token is not None and token.renewable and now < token.expires_at and (
                self._renew(token)
            ):
                return
            self._token = None
            self._login()

    def _token_still_valid(self) -> bool:
        try:
            with translate_errors("lookup-self", self._config.addr):
                self._hvac.auth.token.lookup_self()
        except PolicyDenied:
            return False
        return True

    def _invalidate(self, stale: str) -> None:
        with self._lock:
            if self._token is not None and self._token.value == stale:
                self._token = None

    def _call(self, op: str, request: Callable[[], T], path: str | None = None) -> T:
        self._ensure_token()
        current = self._hvac.token
        try:
            with translate_errors(op, self._config.addr, path):
                return request()
        except PolicyDenied:
            # If another thread has already replaced our token, the denial may be about
            # the old one: retry. Otherwise ask the server whether ours is still good.
            if self._hvac.token == current and self._token_still_valid():
                raise
        # The token was revoked or expired under us: log in again and retry once.
        self._invalidate(current)
        self._ensure_token()
        with translate_errors(op, self._config.addr, path):
            return request()

    def invalidate_token(self) -> None:
        """Forget the cached vault token; the next call logs in again."""
        with self._lock:
            self._token = None

    # --- instrumentation ----------------------------------------------------------------

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

    # --- operations ---------------------------------------------------------------------

    def _kv_path(self, tenant: str, relative: str) -> str:
        return f"{self._layout.tenant_root(tenant)}/{relative}"

    def get(self, path: str) -> Secret:
        """The latest version of the secret at tenant-relative ``path``.

        Raises:
            VaultPathError: the path was rejected before any request.
            SecretNotFound: nothing (or a deleted version) is stored there.
            PolicyDenied: the server's policy does not let this workload read it.
            VaultError: login or transport failed.
        """
        with self._measure("get"), scrubbed_span(tel.TRACER, SPAN_VAULT_GET) as span:
            tenant = self.tenant
            if span.is_recording():
                span.set_attribute(ATTR_TENANT, tenant)
                span.set_attribute(ATTR_SPIFFE_ID, self.spiffe_id)
            relative = normalize_path(path, tenant)  # a rejected path is not an attribute
            if span.is_recording():
                span.set_attribute("path", relative)
            return self._read(tenant, relative)

    def _read(self, tenant: str, relative: str) -> Secret:
        response = self._call(
            "get",
            lambda: self._hvac.secrets.kv.v2.read_secret_version(
                self._kv_path(tenant, relative),
                mount_point=self._layout.kv_mount,
                raise_on_deleted_version=True,
            ),
            relative,
        )
        return secret_from_response(relative, response)

    def put(self, path: str, value: Mapping[str, Any]) -> int:
        """Store ``value`` (a JSON object) as a new version at ``path``; returns the version.

        Raises:
            VaultPathError: the path was rejected before any request.
            VaultError: the value is not a JSON object of bounded size, or the call failed.
            PolicyDenied: the server's policy does not let this workload write there.
        """
        with self._measure("put"):
            tenant = self.tenant
            relative = normalize_path(path, tenant)
            fields = checked_value(value)
            response = self._call(
                "put",
                lambda: self._hvac.secrets.kv.v2.create_or_update_secret(
                    self._kv_path(tenant, relative),
                    secret=fields,
                    mount_point=self._layout.kv_mount,
                ),
                relative,
            )
            version = (response.get("data") or {}).get("version")
            return int(version) if isinstance(version, int) else 0

    def list(self, prefix: str = "") -> list[str]:
        """Names directly under tenant-relative ``prefix`` (folders end with ``/``).

        Raises:
            VaultPathError: the prefix was rejected before any request.
            PolicyDenied: the server's policy does not let this workload list it.
            VaultError: login or transport failed.
        """
        with self._measure("list"):
            tenant = self.tenant
            relative = normalize_prefix(prefix, tenant)
            try:
                response = self._call(
                    "list",
                    lambda: self._hvac.secrets.kv.v2.list_secrets(
                        self._kv_path(tenant, relative).rstrip("/"),
                        mount_point=self._layout.kv_mount,
                    ),
                    relative,
                )
            except SecretNotFound:
                return []
            keys = (response.get("data") or {}).get("keys") or []
            return sorted(str(k) for k in keys)

    def encrypt(self, plaintext: bytes | str, *, context: bytes | None = None) -> str:
        """Encrypt with the tenant's transit key (AES-256-GCM); returns ``vault:v<n>:...``.

        Raises:
            VaultError: input too large, or the call failed.
            PolicyDenied: the workload may not use the tenant's key.
        """
        with self._measure("encrypt"):
            tenant = self.tenant
            raw = plaintext.encode() if isinstance(plaintext, str) else bytes(plaintext)
            if len(raw) > MAX_PLAINTEXT_BYTES:
                raise VaultError(f"plaintext is larger than {MAX_PLAINTEXT_BYTES} bytes")
            extra = {"context": base64.b64encode(context).decode()} if context else {}
            response = self._call(
                "encrypt",
                lambda: self._hvac.secrets.transit.encrypt_data(
                    self._layout.transit_key(tenant),
                    plaintext=base64.b64encode(raw).decode(),
                    mount_point=self._layout.transit_mount,
                    **extra,
                ),
            )
            return str(response["data"]["ciphertext"])

    def decrypt(self, ciphertext: str, *, context: bytes | None = None) -> bytes:
        """Decrypt a `encrypt` result with the tenant's transit key.

        Raises:
            VaultError: malformed or oversized ciphertext, or the call failed.
            PolicyDenied: the workload may not use the tenant's key.
        """
        with self._measure("decrypt"):
            tenant = self.tenant
            if (
                not isinstance(ciphertext, str)
                or not ciphertext.startswith("vault:v")
                or len(ciphertext) > MAX_CIPHERTEXT_CHARS
            ):
                raise VaultError("ciphertext is not a bounded 'vault:v<n>:...' string")
            extra = {"context": base64.b64encode(context).decode()} if context else {}
            response = self._call(
                "decrypt",
                lambda: self._hvac.secrets.transit.decrypt_data(
                    self._layout.transit_key(tenant),
                    ciphertext=ciphertext,
                    mount_point=self._layout.transit_mount,
                    **extra,
                ),
            )
            try:
                return base64.b64decode(response["data"]["plaintext"], validate=True)
            except (KeyError, TypeError, binascii.Error):
                raise VaultError("vault decrypt returned a malformed plaintext") from None

    def read_credential(self, tenant: str, name: str) -> Secret:
        """A provider credential ``tenants/<tenant>/credentials/<name>`` (injector use).

        Only the credential-injector service's policy allows this read.

        Raises:
            VaultPathError: invalid tenant or name.
            SecretNotFound: no such credential.
            PolicyDenied: this workload may not read credentials.
        """
        with self._measure("read_credential"):
            check_name("tenant", tenant)
            relative = normalize_path(f"credentials/{name}", tenant)
            return self._read(tenant, relative)

    def close(self) -> None:
        """Release the HTTP session (the vault token simply expires)."""
        self._hvac.adapter.close()

    def __repr__(self) -> str:
        return f"VaultClient(addr={display_addr(self._config.addr)!r})"


def checked_value(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` as a dict if it is a bounded JSON object; errors never quote it.

    Raises:
        VaultError: not a non-empty mapping of string keys, too many fields, too large,
            or not JSON-serializable.
    """
    if not isinstance(value, Mapping) or not value:
        raise VaultError("secret value must be a non-empty mapping of field names to values")
    if len(value) > MAX_FIELDS:
        raise VaultError(f"secret value has more than {MAX_FIELDS} fields")
    fields = dict(value)
    if not all(isinstance(k, str) for k in fields):
        raise VaultError("secret field names must be strings")
    try:
        size = len(json.dumps(fields))
    except (TypeError, ValueError, RecursionError):  # RecursionError: nested too deep
        # No chaining: the original error could quote part of the value.
        raise VaultError("secret value must be JSON-serializable") from None
    if size > MAX_VALUE_BYTES:
        raise VaultError(f"secret value is larger than {MAX_VALUE_BYTES} bytes")
    return fields


def secret_from_response(path: str, response: Mapping[str, Any]) -> Secret:
    """The `Secret` in a KV v2 ``read_secret_version`` response, as ``path``.

    Raises:
        SecretNotFound: the response holds no secret data.
    """
    data = response.get("data") or {}
    fields = data.get("data")
    if not isinstance(fields, dict):
        raise SecretNotFound("vault get: no secret at that path")
    version = (data.get("metadata") or {}).get("version")
    return Secret(path, fields, version if isinstance(version, int) else None)
