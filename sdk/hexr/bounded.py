"""Reading a body with a size bound, for every HTTP edge (requests served, answers read).

An HTTP server or client that reads a whole body before looking at its size lets a peer
that sends without end hold the process's memory. `read_bounded` and `aread_bounded` take
the body's chunks (``request.stream()``, ``response.iter_bytes()``/``aiter_bytes()``) and
its declared ``Content-Length`` and stop at the bound: a declared size past it, or one that
is not a number, is refused before a byte is read. Callers turn `BodyTooLarge` into their
own error (413 for a request, a provider failure for an upstream answer).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable

__all__ = ["BodyTooLarge", "aread_bounded", "read_bounded"]


class BodyTooLarge(ValueError):
    """The body is (or declares itself) larger than the bound, or its length is malformed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes")
        self.limit = limit


class _Bound:
    """The size bookkeeping the sync and async readers share (no I/O)."""

    __slots__ = ("chunks", "limit", "size")

    def __init__(self, limit: int, declared: str | None) -> None:
        # A Content-Length that is not a plain number is malformed: refuse it rather than
        # guess (RFC 9110 8.6), and never read a body that announces more than the bound.
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise BodyTooLarge(limit)
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        self.chunks.append(chunk)

    def body(self) -> bytes:
        return b"".join(self.chunks)


def read_bounded(chunks: Iterable[bytes], limit: int, declared: str | None = None) -> bytes:
    """The body made of ``chunks``, reading no more than ``limit`` bytes of it.

    Args:
        chunks: The body as it arrives (decoded, for a compressed answer).
        limit: The most bytes accepted.
        declared: The ``Content-Length`` header, if any.

    Raises:
        BodyTooLarge: declared or actual size above ``limit``, or a malformed length.
    """
    bound = _Bound(limit, declared)
    for chunk in chunks:
        bound.add(chunk)
    return bound.body()


async def aread_bounded(
    chunks: AsyncIterable[bytes], limit: int, declared: str | None = None
) -> bytes:
    """`read_bounded` for a body that arrives asynchronously.

    Raises:
        BodyTooLarge: declared or actual size above ``limit``, or a malformed length.
    """
    bound = _Bound(limit, declared)
    async for chunk in chunks:
        bound.add(chunk)
    return bound.body()
