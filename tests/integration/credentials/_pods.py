"""Build "pods": brokers with their own L1, sharing an identity, injector and Valkey."""

from __future__ import annotations

import threading
from typing import Any

from hexr.credentials._broker import CredentialBroker
from hexr.credentials._cache import CredentialCache
from hexr.credentials._exchange import InjectorClient
from hexr.credentials._model import Credential
from hexr.credentials._shared import SealedStore
from hexr.identity import IdentitySource, authorize_id


class CountingInjectorClient(InjectorClient):
    """The real client; counts the exchanges it performs (calls go through unchanged)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exchanges = 0
        self._count_lock = threading.Lock()

    def exchange(self, service: str, region: str) -> tuple[Credential, bytes | None]:
        with self._count_lock:
            self.exchanges += 1
        return super().exchange(service, region)


def make_pod(
    source: IdentitySource,
    injector: Any,
    valkey_url: str | None = None,
    *,
    backoff: tuple[float, float] = (0.2, 0.5),
) -> tuple[CredentialBroker, CountingInjectorClient]:
    ssl_context = source.client_ssl_context(authorize_id(injector.audience))
    client = CountingInjectorClient(
        injector.url, source, audience=injector.audience, ssl_context=ssl_context
    )
    shared = SealedStore(valkey_url, backoff=backoff) if valkey_url else None
    broker = CredentialBroker(str(source.spiffe_id), client, shared=shared, cache=CredentialCache())
    return broker, client
