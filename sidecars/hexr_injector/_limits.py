"""Bounded reads of upstream answers (token endpoints, the JWKS).

httpx reads a whole body into memory before anyone can look at its size, so an upstream
that answers without end would hold the injector's memory and the caller's request.
"""

from __future__ import annotations

import httpx

from hexr.bounded import BodyTooLarge, aread_bounded

__all__ = ["AnswerTooLarge", "read_limited"]


class AnswerTooLarge(ValueError):
    """The upstream answer is larger than the bound."""


async def read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed ``response``, reading no more than ``limit`` bytes of it.

    Raises:
        AnswerTooLarge: declared or actual (decoded) size above ``limit``.
    """
    try:
        return await aread_bounded(
            response.aiter_bytes(), limit, response.headers.get("content-length")
        )
    except BodyTooLarge:
        raise AnswerTooLarge(f"answer too large (over {limit} bytes)") from None
