"""Calling an upstream operation: the request is built from scratch from the tool's
bindings, the validated arguments and the credential, never from the caller's request.

So the caller's ``Authorization``, cookies and other headers cannot reach the upstream:
there is no code path that copies them. Path arguments are percent-encoded whole (a
``../admin`` argument stays inside its segment), redirects are not followed (they could
carry the credential to another host), and the answer is read with a timeout and a size
bound. Whatever the answer, the credential values are scrubbed from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from hexr_gateway._bounded import AnswerTooLarge, read_limited
from hexr_gateway._credentials import AppliedCredential
from hexr_gateway.errors import (
    InvalidArguments,
    UpstreamFailed,
    UpstreamTimeout,
    UpstreamTooLarge,
)
from hexr_gateway.openapi import ToolDef

__all__ = ["UpstreamAnswer", "UpstreamClient"]

_REDACTED = "[REDACTED]"
_USER_AGENT = "hexr-gateway"


@dataclass(frozen=True)
class UpstreamAnswer:
    """The upstream's answer: status, media type and the decoded (scrubbed) body."""

    status: int
    content_type: str
    body: Any

    @property
    def is_error(self) -> bool:
        """Whether the upstream answered with a 4xx/5xx status."""
        return self.status >= 400


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _header_value(name: str, value: Any, forbidden: str = "\r\n\x00") -> str:
    text = _scalar(value)
    if any(c in text for c in forbidden):
        # A CR/LF would start a header of the caller's choosing (request smuggling).
        raise InvalidArguments(f"invalid arguments at {name}: control characters")
    return text


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, _REDACTED)
    return text


class UpstreamClient:
    """One upstream's HTTP client (pooled connections), timeout and answer bound."""

    def __init__(self, base_url: str, *, timeout: float, max_response_bytes: int) -> None:
        self.base_url = base_url.rstrip("/")
        self._max = max_response_bytes
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": _USER_AGENT},
        )

    def build(
        self, tool: ToolDef, arguments: Mapping[str, Any], credential: AppliedCredential,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """The upstream request for a call with already validated ``arguments``.

        Raises:
            InvalidArguments: a header or cookie argument holds control characters.
        """
        path = tool.path
        query: list[tuple[str, str | int | float | bool | None]] = []
        headers: dict[str, str] = {"accept": "application/json, */*;q=0.5"}
        cookies: dict[str, str] = {}
        content: bytes | None = None
        fields: dict[str, Any] = {}
        for binding in tool.bindings:
            if binding.argument not in arguments:
                continue
            value = arguments[binding.argument]
            if binding.location == "path":
                path = path.replace("{" + binding.wire_name + "}", quote(_scalar(value), safe=""))
            elif binding.location == "query":
                items = value if isinstance(value, list) else [value]
                query.extend((binding.wire_name, _scalar(v)) for v in items)
            elif binding.location == "header":
                headers[binding.wire_name] = _header_value(binding.argument, value)
            elif binding.location == "cookie":
                cookies[binding.wire_name] = _header_value(
                    binding.argument, value, "\r\n\x00;"
                )
            elif tool.flat_body:
                fields[binding.wire_name] = value
            else:
                content = self._body(tool.content_type, value)
        if fields:
            content = self._body(tool.content_type, fields)
        if content is not None:
            headers["content-type"] = tool.content_type or "application/json"
        # The credential last: nothing an argument sets can replace it.
        headers.update(extra_headers or {})
        headers.update(credential.headers)
        query.extend(credential.query.items())
        cookies.update(credential.cookies)
        if cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        return self._client.build_request(
            tool.method, self.base_url + path, params=query, headers=headers, content=content
        )

    @staticmethod
    def _body(content_type: str | None, value: Any) -> bytes:
        if content_type == "application/x-www-form-urlencoded" and isinstance(value, dict):
            return httpx.QueryParams({k: _scalar(v) for k, v in value.items()}).__str__().encode()
        if content_type == "text/plain":
            return _scalar(value).encode()
        return json.dumps(value).encode()

    async def send(self, request: httpx.Request, secrets: tuple[str, ...]) -> UpstreamAnswer:
        """Send ``request`` and read its bounded answer.

        Raises:
            UpstreamTimeout: no complete answer within the timeout.
            UpstreamTooLarge: the answer exceeds the bound.
            UpstreamFailed: connection refused, reset or broken off mid-answer.
        """
        try:
            response = await self._client.send(request, stream=True)
            try:
                raw = await read_limited(response, self._max)
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout() from exc
        except AnswerTooLarge as exc:
            raise UpstreamTooLarge(f"upstream answer larger than {self._max} bytes") from exc
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"upstream request failed ({type(exc).__name__})") from exc
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        text = _scrub(raw.decode("utf-8", errors="replace"), secrets)
        body: Any = text
        if media == "application/json" or media.endswith("+json"):
            try:
                body = json.loads(text)
            except ValueError:
                body = text  # declared JSON but is not: tolerated, returned as text
        elif raw and not media.startswith("text/") and "\ufffd" in text:
            body = f"<{len(raw)} bytes of {media or 'binary data'}>"
        return UpstreamAnswer(response.status_code, media, body)

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()
