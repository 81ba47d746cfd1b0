"""L2 against a real Valkey: sealing at rest, expiry, locks, degraded mode and recovery."""

from __future__ import annotations

import os
import time
from typing import Any

import valkey

from hexr.credentials._model import CacheKey, Credential
from hexr.credentials._shared import SealedStore


def key(tenant: str = "acme", service: str = "aws_s3") -> CacheKey:
    return CacheKey(f"spiffe://hexr.local/agent/{tenant}/bot/{os.urandom(3).hex()}", service, "r1")


def cred(ttl: float = 3600) -> Credential:
    return Credential(
        "aws",
        {"access_key_id": "ASIAPLAIN", "secret_access_key": "plain-secret-" + os.urandom(4).hex()},
        time.time() + ttl,
    )


def test_put_get_roundtrip_sealed_at_rest_with_expiry(valkey_server: Any) -> None:
    store = SealedStore(valkey_server.url)
    raw = valkey.Valkey.from_url(valkey_server.url)
    k, c, sk = key(), cred(ttl=120), os.urandom(32)
    store.put(k, c, sk)
    assert store.get(k, sk) == c
    at_rest = raw.get(k.storage_key())
    assert at_rest is not None
    assert c.values["secret_access_key"].encode() not in at_rest
    assert b"ASIAPLAIN" not in at_rest
    ttl_ms = raw.pttl(k.storage_key())
    assert 110_000 < ttl_ms <= 120_000


def test_other_sealing_key_or_moved_value_reads_as_miss(valkey_server: Any) -> None:
    store = SealedStore(valkey_server.url)
    raw = valkey.Valkey.from_url(valkey_server.url)
    mine, theirs = key("acme"), key("beta")
    sk = os.urandom(32)
    store.put(mine, cred(), sk)
    assert store.get(mine, os.urandom(32)) is None
    # An attacker with Valkey write access copies acme's value under beta's key.
    raw.set(theirs.storage_key(), raw.get(mine.storage_key()))
    assert store.get(theirs, sk) is None


def test_expired_credential_is_not_stored(valkey_server: Any) -> None:
    store = SealedStore(valkey_server.url)
    k = key()
    store.put(k, cred(ttl=-1), os.urandom(32))
    assert valkey.Valkey.from_url(valkey_server.url).exists(k.storage_key()) == 0


def test_lock_is_exclusive_and_released_only_by_owner(valkey_server: Any) -> None:
    a, b = SealedStore(valkey_server.url), SealedStore(valkey_server.url)
    k = key()
    token = a.try_lock(k, 5000)
    assert token is not None
    assert b.try_lock(k, 5000) is None
    assert b.locked(k)
    b.unlock(k, "not-the-token")
    assert a.locked(k)
    a.unlock(k, token)
    assert not a.locked(k)
    assert b.try_lock(k, 5000) is not None


def test_valkey_down_degrades_fast_and_recovers(valkey_server_factory: Any) -> None:
    server = valkey_server_factory()
    store = SealedStore(server.url, backoff=(0.2, 0.2))
    k, c, sk = key(), cred(), os.urandom(32)
    store.put(k, c, sk)
    assert not store.degraded
    server.stop()
    start = time.monotonic()
    assert store.get(k, sk) is None
    assert store.degraded
    assert store.errors == 1
    # While degraded, calls skip Valkey entirely (no new errors, no waiting).
    assert store.get(k, sk) is None
    store.put(k, c, sk)
    assert store.errors == 1
    assert time.monotonic() - start < 1.0
    server.start()
    time.sleep(0.3)
    store.put(k, c, sk)
    assert store.get(k, sk) == c
    assert not store.degraded
