import asyncio
import threading
import time

import pytest

from hexr.credentials._cache import CacheTTL, CredentialCache
from hexr.credentials._model import CacheKey, Credential, Lookup
from hexr.errors import CredentialError

KEY = CacheKey("spiffe://hexr.local/agent/acme/bot/main", "aws_s3", "us-east-1")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def cred(expires_at: float, token: str = "t") -> Credential:  # noqa: S107
    return Credential("token", {"token": token}, expires_at)


class CountingLoader:
    def __init__(self, clock: Clock, lifetime: float = 3600.0, delay: float = 0.0) -> None:
        self.clock, self.lifetime, self.delay = clock, lifetime, delay
        self.calls = 0
        self.beats: list[float | None] = []
        self.lock = threading.Lock()

    def __call__(self, key: CacheKey, beat: float | None) -> Lookup:
        with self.lock:
            self.calls += 1
            n = self.calls
        self.beats.append(beat)
        if self.delay:
            time.sleep(self.delay)
        return Lookup(cred(self.clock() + self.lifetime, f"t{n}"), "L3")


def test_miss_loads_then_hits_from_memory() -> None:
    clock = Clock()
    loader = CountingLoader(clock)
    cache = CredentialCache(clock=clock)
    first = cache.get(KEY, loader)
    second = cache.get(KEY, loader)
    assert (first.tier, second.tier) == ("L3", "L1")
    assert second.credential is first.credential
    assert loader.calls == 1


def test_entry_expires_at_expiry_minus_buffer() -> None:
    clock = Clock()
    loader = CountingLoader(clock, lifetime=3600)
    cache = CredentialCache(CacheTTL(buffer_seconds=600, refresh_window=(0.99, 0.99)), clock=clock)
    cache.get(KEY, loader)
    clock.now += 3600 - 600 - 1
    assert cache.peek(KEY) is not None
    clock.now += 2
    assert cache.peek(KEY) is None
    assert cache.get(KEY, loader).tier == "L3"
    assert loader.calls == 2


def test_short_lived_credential_keeps_half_its_life() -> None:
    clock = Clock()
    cache = CredentialCache(CacheTTL(buffer_seconds=600), clock=clock)
    cache.get(KEY, CountingLoader(clock, lifetime=300))
    clock.now += 149
    assert cache.peek(KEY) is not None
    clock.now += 2
    assert cache.peek(KEY) is None


def test_concurrent_thread_misses_make_one_load() -> None:
    clock = Clock()
    loader = CountingLoader(clock, delay=0.2)
    cache = CredentialCache(clock=clock)
    barrier = threading.Barrier(50)
    results: list[Lookup] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get(KEY, loader))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loader.calls == 1
    assert len(results) == 50
    assert len({id(r.credential) for r in results}) == 1


async def test_concurrent_task_misses_make_one_load_without_blocking_loop() -> None:
    clock = Clock()
    loader = CountingLoader(clock, delay=0.2)
    cache = CredentialCache(clock=clock)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    tick_task = asyncio.create_task(ticker())
    results = await asyncio.gather(*(cache.aget(KEY, loader) for _ in range(50)))
    tick_task.cancel()
    assert loader.calls == 1
    assert {r.credential.values["token"] for r in results} == {"t1"}
    assert ticks >= 5  # the loop kept running while the load slept in a thread


async def test_threads_and_tasks_share_one_flight() -> None:
    clock = Clock()
    loader = CountingLoader(clock, delay=0.2)
    cache = CredentialCache(clock=clock)
    thread_results: list[Lookup] = []
    threads = [
        threading.Thread(target=lambda: thread_results.append(cache.get(KEY, loader)))
        for _ in range(10)
    ]
    for t in threads:
        t.start()
    task_results = await asyncio.gather(*(cache.aget(KEY, loader) for _ in range(10)))
    for t in threads:
        t.join()
    assert loader.calls == 1
    assert len(thread_results) + len(task_results) == 20


async def test_cancelled_waiter_does_not_break_the_flight() -> None:
    clock = Clock()
    loader = CountingLoader(clock, delay=0.2)
    cache = CredentialCache(clock=clock)
    doomed = asyncio.create_task(cache.aget(KEY, loader))
    await asyncio.sleep(0.05)
    survivor = asyncio.create_task(cache.aget(KEY, loader))
    await asyncio.sleep(0.01)
    doomed.cancel()
    result = await survivor
    assert result.credential.values["token"] == "t1"
    assert loader.calls == 1


def test_failure_reaches_every_waiter_and_is_not_cached() -> None:
    clock = Clock()
    calls = 0

    def failing(key: CacheKey, beat: float | None) -> Lookup:
        nonlocal calls
        calls += 1
        time.sleep(0.1)
        raise CredentialError("injector down")

    cache = CredentialCache(clock=clock)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            cache.get(KEY, failing)
        except CredentialError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == 1
    assert len(errors) == 10
    assert cache.get(KEY, CountingLoader(clock)).tier == "L3"


def test_waiter_times_out_with_credential_error() -> None:
    clock = Clock()
    cache = CredentialCache(clock=clock, wait_timeout=0.05)
    slow = CountingLoader(clock, delay=0.5)
    leader = threading.Thread(target=cache.get, args=(KEY, slow))
    leader.start()
    time.sleep(0.02)
    with pytest.raises(CredentialError, match="timed out"):
        cache.get(KEY, slow)
    leader.join()


def test_refresh_ahead_serves_old_value_and_swaps_in_new_one() -> None:
    clock = Clock()
    loader = CountingLoader(clock, lifetime=3600, delay=0.05)
    cache = CredentialCache(CacheTTL(buffer_seconds=600, refresh_window=(0.8, 0.8)), clock=clock)
    first = cache.get(KEY, loader).credential
    clock.now += 3000 * 0.8 + 1  # past the refresh point, still fresh
    during = cache.get(KEY, loader)
    assert during.tier == "L1"
    assert during.credential is first
    deadline = time.monotonic() + 5
    while cache.peek(KEY) is first and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loader.calls == 2
    assert loader.beats == [None, first.expires_at]  # the refresh asks for a newer one
    assert cache.get(KEY, loader).credential.values["token"] == "t2"


def test_refresh_point_is_jittered() -> None:
    ttl = CacheTTL(buffer_seconds=600, refresh_window=(0.75, 0.9))
    points = {round(ttl.refresh_at(3000.0, 0.0), 3) for _ in range(50)}
    assert len(points) > 10
    assert all(0.75 * 3000 <= p <= 0.9 * 3000 for p in points)


def test_size_is_bounded_oldest_evicted() -> None:
    clock = Clock()
    cache = CredentialCache(clock=clock, max_entries=3)
    loader = CountingLoader(clock)
    keys = [CacheKey("spiffe://hexr.local/agent/a/b/main", f"svc{i}", "r") for i in range(5)]
    for key in keys:
        cache.get(key, loader)
    assert len(cache) == 3
    assert cache.peek(keys[0]) is None
    assert cache.peek(keys[4]) is not None


def test_credential_repr_hides_values() -> None:
    c = Credential("aws", {"access_key_id": "AKIAXXXX", "secret_access_key": "s3cr3t"}, 1.0)
    assert "s3cr3t" not in repr(c)
    assert "s3cr3t" not in str(c)
    assert "AKIAXXXX" not in repr(c)
