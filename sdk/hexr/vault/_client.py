"""`VaultClient`: tenant-scoped secrets and transit, logged in with the workload's JWT-SVID.

No static token: the client logs in at ``auth/<mount>/login`` with a JWT-SVID for the
vault audience, caches the vault token until 75 % of its lease, renews it when renewable
and logs in again otherwise. A request refused because the token was revoked or expired
is retried once after a fresh login; a refusal with a valid token is a `PolicyDenied`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import hvac
import hvac.exceptions

from hexr.errors import PolicyDenied, VaultError
from hexr.telemetry._exceptions import scrubbed_span
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_VAULT_GET
from hexr.vault import _telemetry as tel
from hexr.vault._base import (
    MAX_CIPHERTEXT_CHARS,
    MAX_PLAINTEXT_BYTES,
    IdentityProvider,
    VaultBase,
    check_ciphertext,
    plaintext_of,
    transit_context,
    transit_plaintext,
)
from hexr.vault._errors import (
    SecretNotFound,
    display_addr,
    translate_errors,
)
from hexr.vault._layout import (
    UPSTREAMS_PREFIX,
    VaultLayout,
    check_name,
)
from hexr.vault._paths import normalize_path, normalize_prefix
from hexr.vault._secret import Secret
from hexr.vault._token import Token as _Token
from hexr.vault._token import login_refusal, login_role

__all__ = [
    "MAX_CIPHERTEXT_CHARS",
    "MAX_PLAINTEXT_BYTES",
    "IdentityProvider",
    "VaultClient",
    "checked_value",
    "secret_from_response",
]

MAX_VALUE_BYTES = 256 * 1024
MAX_FIELDS = 128

T = TypeVar("T")


class VaultClient(VaultBase):
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
        super().__init__(
            addr, identity=identity, audience=audience, layout=layout, timeout=timeout,
            verify=verify,
        )
        self._lock = threading.Lock()
        # token="" keeps hvac from picking up VAULT_TOKEN or ~/.vault-token: never static.
        self._hvac = hvac.Client(
            url=self._config.addr,
            token="",
            timeout=self._config.timeout,
            verify=self._config.verify,
        )

    # --- token lifecycle ----------------------------------------------------------------

    @property
    def _token(self) -> _Token | None:
        # The shared state's token, under the name the client's tests inspect and set.
        return self._tokens.token

    @_token.setter
    def _token(self, token: _Token | None) -> None:
        self._tokens.token = token

    def _login(self) -> None:
        identity, workload = self._whoami()
        role = login_role(self._layout, workload)
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
                raise login_refusal(workload, role, reason) from None
            raise
        self._hvac.token = self._tokens.logged_in(response, time.monotonic())

    def _renew(self) -> bool:
        try:
            with translate_errors("renew", self._config.addr):
                response = self._hvac.auth.token.renew_self()
        except VaultError:
            return False
        return self._tokens.renewed(response, time.monotonic())

    def _ensure_token(self) -> None:
        with self._lock:
            due = self._tokens.due(time.monotonic())
            if due == "fresh" or (due == "renew" and self._renew()):
                return
            self._tokens.clear()
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
            self._tokens.invalidate(stale)

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
            self._tokens.clear()

    # --- operations ---------------------------------------------------------------------

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
            encoded = transit_plaintext(plaintext)
            extra = transit_context(context)
            response = self._call(
                "encrypt",
                lambda: self._hvac.secrets.transit.encrypt_data(
                    self._layout.transit_key(tenant),
                    plaintext=encoded,
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
            check_ciphertext(ciphertext)
            extra = transit_context(context)
            response = self._call(
                "decrypt",
                lambda: self._hvac.secrets.transit.decrypt_data(
                    self._layout.transit_key(tenant),
                    ciphertext=ciphertext,
                    mount_point=self._layout.transit_mount,
                    **extra,
                ),
            )
            return plaintext_of(response)

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

    def read_upstream_credential(self, tenant: str, upstream: str) -> Secret:
        """The gateway's credential ``tenants/<tenant>/upstreams/<upstream>`` (gateway use).

        Only the gateway service's policy allows this read.

        Raises:
            VaultPathError: invalid tenant or upstream name.
            SecretNotFound: no credential stored for this tenant and upstream.
            PolicyDenied: this workload may not read upstream credentials.
        """
        with self._measure("read_upstream_credential"):
            check_name("tenant", tenant)
            check_name("upstream", upstream)
            relative = normalize_path(f"{UPSTREAMS_PREFIX}/{upstream}", tenant)
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
