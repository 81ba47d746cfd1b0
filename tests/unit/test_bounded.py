"""hexr.bounded: the one size-bounded body reader of every HTTP edge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from hexr.bounded import BodyTooLarge, aread_bounded, read_bounded


def _endless() -> Iterator[bytes]:
    while True:
        yield b"x" * 1024


async def _aendless() -> AsyncIterator[bytes]:
    while True:
        yield b"x" * 1024


def test_reads_a_body_within_the_bound() -> None:
    assert read_bounded([b"ab", b"cd"], 4, "4") == b"abcd"


@pytest.mark.parametrize("declared", ["5", "-1", "4 ", "0x10", "1e3"])
def test_a_declared_length_past_the_bound_or_malformed_is_refused_unread(declared: str) -> None:
    with pytest.raises(BodyTooLarge):
        read_bounded(_endless(), 4, declared)


def test_an_endless_body_stops_at_the_bound() -> None:
    with pytest.raises(BodyTooLarge, match="4096"):
        read_bounded(_endless(), 4096)


async def test_the_async_twin_applies_the_same_rules() -> None:
    async def two() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    assert await aread_bounded(two(), 4) == b"abcd"
    with pytest.raises(BodyTooLarge):
        await aread_bounded(_aendless(), 4096)
    with pytest.raises(BodyTooLarge):
        await aread_bounded(two(), 4, "abc")
