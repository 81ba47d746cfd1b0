"""`hexr_tool`: an authenticated client for a service, with no key in code or env."""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

from hexr import _env
from hexr.errors import ConfigError
from hexr.telemetry import get_tracer
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_TOOL_INVOKE

if TYPE_CHECKING:
    from hexr.credentials._broker import CredentialBroker
    from hexr.credentials._model import Lookup

__all__ = ["ahexr_tool", "default_broker", "hexr_tool", "set_default_broker"]

_SERVICE = re.compile(r"[a-z][a-z0-9_\-]{0,63}")
_REGION = re.compile(r"[a-z0-9][a-z0-9\-]{0,31}")

_tracer = get_tracer()
_lock = threading.Lock()
_broker: CredentialBroker | None = None


def set_default_broker(broker: CredentialBroker | None) -> CredentialBroker | None:
    """Install the process credential broker (None: rebuild from env); returns the old one."""
    global _broker
    with _lock:
        previous, _broker = _broker, broker
    return previous


def default_broker() -> CredentialBroker:
    """The process's broker, built once from the workload identity and ``HEXR_*`` endpoints.

    Raises:
        ConfigError: no credential injector is configured.
        IdentityError: the workload has no identity.
    """
    global _broker
    broker = _broker
    if broker is not None:
        return broker
    with _lock:
        if _broker is None:
            _broker = _build_default_broker()
        return _broker


def _build_default_broker() -> CredentialBroker:
    from hexr._settings import resolve_endpoint
    from hexr.credentials._broker import CredentialBroker
    from hexr.credentials._exchange import InjectorClient, injector_audience
    from hexr.credentials._shared import SealedStore

    url = resolve_endpoint(_env.HEXR_INJECTOR_URL)
    if not url:
        raise ConfigError(f"{_env.HEXR_INJECTOR_URL} is not set and no local platform runs")
    # Deferred: identity pulls in grpc, which `import hexr` must not load.
    from hexr.identity import authorize_id, default_source

    source = default_source()
    spiffe_id = source.spiffe_id
    audience = injector_audience(spiffe_id.trust_domain)
    ssl_context = None
    if url.startswith("https://"):
        # mTLS: the server must present exactly the injector's SVID.
        ssl_context = source.client_ssl_context(authorize_id(audience))
    injector = InjectorClient(url, source, audience=audience, ssl_context=ssl_context)
    valkey_url = resolve_endpoint(_env.HEXR_VALKEY_URL)
    shared = SealedStore(valkey_url) if valkey_url else None
    return CredentialBroker(str(spiffe_id), injector, shared=shared)


def _check(service: str, region: str) -> None:
    if not isinstance(service, str) or not _SERVICE.fullmatch(service):
        raise ConfigError("service must be 1-64 chars of [a-z0-9_-], starting with a letter")
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ConfigError("region must be 1-32 chars of [a-z0-9-]")


def hexr_tool(
    service: str,
    *,
    region: str = "us-east-1",
    broker: CredentialBroker | None = None,
    **client_kwargs: Any,
) -> Any:
    """A ready, authenticated client for ``service`` in ``region``.

    ``aws_*`` services give a boto3 client (``aws_s3`` → ``boto3.client("s3")``) whose
    credentials refresh from the cache; other services give an ``httpx.Client`` that
    presents the service's token. Extra keyword arguments go to the client constructor.

    Raises:
        ConfigError: bad service/region name, or no injector configured.
        PolicyDenied: policy does not grant this identity the credential.
        CredentialError: the credential could not be obtained.
        ImportError: an AWS service without boto3 installed (``pip install 'hexr[aws]'``).
    """
    return _invoke(service, region, broker, client_kwargs, None)


async def ahexr_tool(
    service: str,
    *,
    region: str = "us-east-1",
    broker: CredentialBroker | None = None,
    **client_kwargs: Any,
) -> Any:
    """Async twin of `hexr_tool`: a miss never blocks the event loop.

    Raises:
        ConfigError: bad service/region name, or no injector configured.
        PolicyDenied: policy does not grant this identity the credential.
        CredentialError: the credential could not be obtained.
        ImportError: an AWS service without boto3 installed (``pip install 'hexr[aws]'``).
    """
    _check(service, region)
    chosen = broker or default_broker()
    lookup = await chosen.alookup(service, region)
    return _invoke(service, region, chosen, client_kwargs, lookup)


def _invoke(
    service: str,
    region: str,
    broker: CredentialBroker | None,
    client_kwargs: dict[str, Any],
    prefetched: Lookup | None,
) -> Any:
    from hexr.credentials._clients import (
        aws_service_name,
        build_boto3_client,
        build_httpx_client,
    )
    from hexr.credentials._telemetry import tool_duration, tool_invocations

    _check(service, region)
    start = time.perf_counter()
    status = "error"
    with _tracer.start_as_current_span(SPAN_TOOL_INVOKE) as span:
        span.set_attribute("service", service)
        span.set_attribute("region", region)
        try:
            chosen = broker or default_broker()
            span.set_attribute(ATTR_SPIFFE_ID, chosen.spiffe_id)
            span.set_attribute(ATTR_TENANT, chosen.tenant)
            lookup = prefetched or chosen.lookup(service, region)
            span.set_attribute("cache_tier", lookup.tier)

            def fetch() -> Any:
                return chosen.lookup(service, region).credential

            if aws_service_name(service) is not None:
                client = build_boto3_client(
                    service, region, lookup.credential, fetch, **client_kwargs
                )
            else:
                client = build_httpx_client(lookup.credential, fetch, **client_kwargs)
            status = "ok"
            return client
        finally:
            attrs = {"service": service, "status": status}
            tool_invocations.add(1, attrs)
            tool_duration.record(time.perf_counter() - start, attrs)
