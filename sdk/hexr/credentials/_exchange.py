"""L3: exchange a JWT-SVID for a credential at the credential injector.

The hop is mTLS with X.509-SVIDs (when the URL is ``https``) and the request is
authenticated by the caller's JWT-SVID for the injector's audience. The W3C trace context
goes along, so the injector's ``hexr.credential.exchange`` span joins the caller's trace.
"""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any, Protocol

import httpx
from opentelemetry import propagate

from hexr.bounded import BodyTooLarge, read_bounded
from hexr.credentials._model import Credential
from hexr.credentials._sealing import KEY_BYTES
from hexr.errors import CredentialError, PolicyDenied

__all__ = ["InjectorClient", "JwtSource"]

_MAX_RESPONSE_BYTES = 64 * 1024
_MAX_MESSAGE_CHARS = 200


class JwtSource(Protocol):
    """What the exchange needs from the workload identity."""

    def jwt_svid(self, audience: str) -> str:
        """A JWT-SVID for ``audience``."""
        ...


class InjectorClient:
    """Synchronous client of the injector's ``/exchange`` and ``/sealing-key`` routes."""

    def __init__(
        self,
        base_url: str,
        identity: JwtSource,
        *,
        audience: str,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise CredentialError("injector URL must be http:// or https://")
        self._identity = identity
        self._audience = audience
        self._http = httpx.Client(
            base_url=base_url,
            verify=ssl_context if ssl_context is not None else True,
            timeout=timeout,
            headers={"user-agent": "hexr-credentials"},
        )

    def exchange(self, service: str, region: str) -> tuple[Credential, bytes | None]:
        """A fresh credential for ``service``/``region``, and this identity's sealing key.

        Raises:
            PolicyDenied: the injector's policy refused this identity the credential.
            CredentialError: any other failure (transport, auth, provider, bad answer).
        """
        body = self._post("/exchange", {"service": service, "region": region})
        credential = Credential.from_mapping(body.get("credential"))
        return credential, _decode_key(body.get("sealing_key"))

    def sealing_key(self) -> bytes:
        """This identity's L2 sealing key (derived by the injector, never stored in Valkey).

        Raises:
            CredentialError: the injector did not answer with a key.
        """
        key = _decode_key(self._post("/sealing-key", {}).get("sealing_key"))
        if key is None:
            raise CredentialError("injector answered without a sealing key")
        return key

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def _post(self, path: str, payload: dict[str, str]) -> dict[str, Any]:
        try:
            token = self._identity.jwt_svid(self._audience)
        except Exception as exc:
            raise CredentialError(f"no JWT-SVID for the injector: {type(exc).__name__}") from exc
        headers = {"authorization": f"Bearer {token}"}
        propagate.inject(headers)
        try:
            # Streamed so an answer past the bound is never read whole into memory.
            with self._http.stream("POST", path, json=payload, headers=headers) as response:
                content = _read_limited(response)
        except httpx.HTTPError as exc:
            raise CredentialError(f"credential injector unreachable: {type(exc).__name__}") from exc
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):  # RecursionError: nesting past the decoder's limit
            body = None
        if response.status_code != 200:
            message = _safe_message(body)
            if response.status_code == 403:
                raise PolicyDenied(f"credential injector denied the request: {message}")
            raise CredentialError(
                f"credential injector answered {response.status_code}: {message}"
            )
        if not isinstance(body, dict):
            raise CredentialError("credential injector answer is not a JSON object")
        return body


def _read_limited(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length")
    try:
        return read_bounded(response.iter_bytes(), _MAX_RESPONSE_BYTES, declared)
    except BodyTooLarge:
        raise CredentialError("credential injector answer too large") from None


def _safe_message(body: object) -> str:
    # The injector's errors are already safe; still bound what goes into an exception.
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = body["error"].get("message")
        if isinstance(message, str):
            return message[:_MAX_MESSAGE_CHARS]
    return "no details"


def _decode_key(value: object) -> bytes | None:
    if value is None:
        return None
    try:
        key = base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise CredentialError("sealing key is not base64") from exc
    if len(key) != KEY_BYTES:
        raise CredentialError("sealing key has the wrong length")
    return key
