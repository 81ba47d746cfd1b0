"""`AsyncVaultClient`: the async twin of `VaultClient`, on httpx, for async agents.

It speaks the Vault HTTP API directly (hvac is synchronous): JWT login, token renewal,
KV v2 and transit. The token decisions (`TokenState`), role names, path checks, value
checks and response decoding are the sync client's; only the I/O differs. The JWT-SVID
fetch (in-process cache, a Workload API call on a miss) runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from hexr.errors import PolicyDenied, VaultError
from hexr.telemetry._exceptions import scrubbed_span
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_VAULT_GET
from hexr.vault import _telemetry as tel
from hexr.vault._base import (
    MAX_PLAINTEXT_BYTES,
    IdentityProvider,
    VaultBase,
    check_ciphertext,
    plaintext_of,
    transit_context,
    transit_plaintext,
)
from hexr.vault._client import checked_value, secret_from_response
from hexr.vault._errors import SecretNotFound, VaultUnavailable, display_addr
from hexr.vault._layout import VaultLayout, check_name
from hexr.vault._paths import normalize_path, normalize_prefix
from hexr.vault._secret import Secret
from hexr.vault._token import login_refusal, login_role

__all__ = ["AsyncVaultClient"]

_MAX_ANSWER_BYTES = 2 * MAX_PLAINTEXT_BYTES + 64 * 1024


class _Refused(VaultError):
    """A 400 answer (a login the vault refused carries its reason here)."""

    def __init__(self, op: str, reason: str) -> None:
        super().__init__(f"vault {op} failed (InvalidRequest)")
        self.reason = reason


def _raise_for(op: str, response: httpx.Response, body: Mapping[str, Any]) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 403:
        raise PolicyDenied(f"vault denied {op}")
    if status == 404:
        raise SecretNotFound(f"vault {op}: no secret at that path")
    if status == 429 or status >= 500:
        raise VaultUnavailable(f"vault {op} failed: server unavailable (HTTP {status})")
    errors = body.get("errors") if isinstance(body, Mapping) else None
    reason = ", ".join(str(e) for e in errors)[:200] if isinstance(errors, list) else ""
    if status == 400:
        raise _Refused(op, reason)
    raise VaultError(f"vault {op} failed (HTTP {status})")


class AsyncVaultClient(VaultBase):
    """Secrets of the calling workload's tenant, for asyncio code (see `VaultClient`).

    Safe for concurrent tasks of one event loop. Use ``async with`` or `aclose`.
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
        self._lock = asyncio.Lock()
        tls: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=self._config.verify)
            if isinstance(self._config.verify, str)
            else self._config.verify
        )
        self._http = httpx.AsyncClient(
            base_url=f"{self._config.addr}/v1/", timeout=self._config.timeout, verify=tls,
            trust_env=False,
        )

    async def __aenter__(self) -> AsyncVaultClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Release the HTTP connections (the vault token simply expires)."""
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncVaultClient(addr={display_addr(self._config.addr)!r})"

    # --- I/O ----------------------------------------------------------------------------

    async def _send(
        self, op: str, method: str, path: str, *, token: str | None, json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {"X-Vault-Token": token} if token else {}
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            raise VaultUnavailable(
                f"vault {op} failed: server unavailable ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise VaultError(f"vault {op} failed ({type(exc).__name__})") from exc
        if len(response.content) > _MAX_ANSWER_BYTES:
            raise VaultError(f"vault {op} answer is too large")
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        _raise_for(op, response, body if isinstance(body, dict) else {})
        if not isinstance(body, dict):
            raise VaultError(f"vault {op} answer is not a JSON object")
        return body

    async def _login(self) -> str:
        identity, workload = self._whoami()
        role = login_role(self._layout, workload)
        svid = await asyncio.to_thread(identity.jwt_svid, self._config.audience)
        try:
            response = await self._send(
                "login", "POST", f"auth/{self._layout.auth_mount}/login", token=None,
                json={"role": role, "jwt": svid},
            )
        except _Refused as exc:
            raise login_refusal(workload, role, exc.reason) from None
        return self._tokens.logged_in(response, time.monotonic())

    async def _renew(self, token: str) -> bool:
        try:
            response = await self._send("renew", "POST", "auth/token/renew-self", token=token)
        except VaultError:
            return False
        return self._tokens.renewed(response, time.monotonic())

    async def _ensure_token(self) -> str:
        async with self._lock:
            due = self._tokens.due(time.monotonic())
            current = self._tokens.value
            if current is not None and (
                due == "fresh" or (due == "renew" and await self._renew(current))
            ):
                return current
            self._tokens.clear()
            return await self._login()

    async def _token_still_valid(self, token: str) -> bool:
        try:
            await self._send("lookup-self", "GET", "auth/token/lookup-self", token=token)
        except PolicyDenied:
            return False
        return True

    async def _call(self, op: str, request: Callable[[str], Awaitable[dict[str, Any]]]) -> Any:
        token = await self._ensure_token()
        try:
            return await request(token)
        except PolicyDenied:
            # As in the sync client: a denial with a token that is still valid is final;
            # one with a revoked or expired token means log in again and retry once.
            if self._tokens.value == token and await self._token_still_valid(token):
                raise
        async with self._lock:
            self._tokens.invalidate(token)
        return await request(await self._ensure_token())

    def invalidate_token(self) -> None:
        """Forget the cached vault token; the next call logs in again."""
        self._tokens.clear()

    # --- operations ---------------------------------------------------------------------

    def _kv(self, kind: str, tenant: str, relative: str) -> str:
        path = quote(self._kv_path(tenant, relative).rstrip("/"))
        return f"{self._layout.kv_mount}/{kind}/{path}"

    async def get(self, path: str) -> Secret:
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
            relative = normalize_path(path, tenant)
            if span.is_recording():
                span.set_attribute("path", relative)
            return await self._read(tenant, relative)

    async def _read(self, tenant: str, relative: str) -> Secret:
        response = await self._call(
            "get",
            lambda token: self._send("get", "GET", self._kv("data", tenant, relative),
                                     token=token),
        )
        metadata = (response.get("data") or {}).get("metadata") or {}
        if metadata.get("deletion_time") or metadata.get("destroyed"):
            raise SecretNotFound("vault get: no secret at that path")
        return secret_from_response(relative, response)

    async def put(self, path: str, value: Mapping[str, Any]) -> int:
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
            response = await self._call(
                "put",
                lambda token: self._send("put", "POST", self._kv("data", tenant, relative),
                                         token=token, json={"data": fields}),
            )
            version = (response.get("data") or {}).get("version")
            return int(version) if isinstance(version, int) else 0

    async def list(self, prefix: str = "") -> list[str]:
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
                response = await self._call(
                    "list",
                    lambda token: self._send(
                        "list", "GET", self._kv("metadata", tenant, relative), token=token,
                        params={"list": "true"},
                    ),
                )
            except SecretNotFound:
                return []
            keys = (response.get("data") or {}).get("keys") or []
            return sorted(str(k) for k in keys)

    async def encrypt(self, plaintext: bytes | str, *, context: bytes | None = None) -> str:
        """Encrypt with the tenant's transit key (AES-256-GCM); returns ``vault:v<n>:...``.

        Raises:
            VaultError: input too large, or the call failed.
            PolicyDenied: the workload may not use the tenant's key.
        """
        with self._measure("encrypt"):
            tenant = self.tenant
            body = {"plaintext": transit_plaintext(plaintext), **transit_context(context)}
            key = self._layout.transit_key(tenant)
            response = await self._call(
                "encrypt",
                lambda token: self._send(
                    "encrypt", "POST", f"{self._layout.transit_mount}/encrypt/{key}",
                    token=token, json=body,
                ),
            )
            return str(response["data"]["ciphertext"])

    async def decrypt(self, ciphertext: str, *, context: bytes | None = None) -> bytes:
        """Decrypt a `encrypt` result with the tenant's transit key.

        Raises:
            VaultError: malformed or oversized ciphertext, or the call failed.
            PolicyDenied: the workload may not use the tenant's key.
        """
        with self._measure("decrypt"):
            tenant = self.tenant
            body = {"ciphertext": check_ciphertext(ciphertext), **transit_context(context)}
            key = self._layout.transit_key(tenant)
            response = await self._call(
                "decrypt",
                lambda token: self._send(
                    "decrypt", "POST", f"{self._layout.transit_mount}/decrypt/{key}",
                    token=token, json=body,
                ),
            )
            return plaintext_of(response)

    async def read_credential(self, tenant: str, name: str) -> Secret:
        """A provider credential ``tenants/<tenant>/credentials/<name>`` (injector use).

        Raises:
            VaultPathError: invalid tenant or name.
            SecretNotFound: no such credential.
            PolicyDenied: this workload may not read credentials.
        """
        with self._measure("read_credential"):
            check_name("tenant", tenant)
            return await self._read(tenant, normalize_path(f"credentials/{name}", tenant))

