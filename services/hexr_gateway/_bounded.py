"""Bounded reads of HTTP answers (upstream APIs, the JWKS, specs fetched by URL).

httpx reads a whole body into memory before anyone can look at its size, so an upstream
that answers without end would hold the gateway's memory and the caller's request.
"""

from __future__ import annotations

import httpx

__all__ = ["AnswerTooLarge", "read_limited"]


class AnswerTooLarge(ValueError):
    """The answer is larger than the bound."""


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed ``response``, reading no more than ``limit`` bytes of it.

    Raises:
        AnswerTooLarge: declared or actual (decoded) size above ``limit``.
    """
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLarge(f"answer too large (over {limit} bytes)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge(f"answer too large (over {limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)
