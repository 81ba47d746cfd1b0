"""`hexr_tool`: an authenticated client for a service, with no key in code or env."""

from __future__ import annotations

import re
import threading
import time
from typing import TYPE_CHECKING, Any

from hexr import _env
from hexr.errors import ConfigError
from hexr.telemetry import get_tracer
from hexr.telemetry._exceptions import scrubbed_span
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_TOOL_INVOKE

if TYPE_CHECKING:
    from hexr.credentials._broker import CredentialBroker
    from hexr.credentials._model import Credential, Lookup

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
    from hexr.credentials._broker import CredentialBroker
    from hexr.credentials._exchange import InjectorClient
    from hexr.credentials._model import injector_audience
    from hexr.credentials._shared import SealedStore
    from hexr.endpoints import check_bearer_url, resolve_endpoint, with_valkey_credentials

    url = resolve_endpoint(_env.HEXR_INJECTOR_URL)
    if not url:
        raise ConfigError(f"{_env.HEXR_INJECTOR_URL} is not set and no local platform runs")
    check_bearer_url(url, _env.HEXR_INJECTOR_URL)
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
    shared = SealedStore(with_valkey_credentials(valkey_url)) if valkey_url else None
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
    _check(service, region)
    with _ToolCall(service, region, broker) as call:
        return call.build(call.broker.lookup(service, region), client_kwargs)


async def ahexr_tool(
    service: str,
    *,
    region: str = "us-east-1",
    broker: CredentialBroker | None = None,
    **client_kwargs: Any,
) -> Any:
    """Async twin of `hexr_tool`: a miss never blocks the event loop.

    HTTP services give an `httpx.AsyncClient` whose auth awaits the cache on every request;
    ``aws_*`` services give the same boto3 client as `hexr_tool` (boto3 is synchronous).

    Raises:
        ConfigError: bad service/region name, or no injector configured.
        PolicyDenied: policy does not grant this identity the credential.
        CredentialError: the credential could not be obtained.
        ImportError: an AWS service without boto3 installed (``pip install 'hexr[aws]'``).
    """
    _check(service, region)
    with _ToolCall(service, region, broker) as call:
        return call.build(await call.broker.alookup(service, region), client_kwargs, aio=True)


class _ToolCall:
    """The ``hexr.tool.invoke`` span and tool metrics around one call (sync or async)."""

    def __init__(self, service: str, region: str, broker: CredentialBroker | None) -> None:
        self._service, self._region, self._explicit = service, region, broker
        self._status = "error"

    def __enter__(self) -> _ToolCall:
        self._start = time.perf_counter()
        # A failure reaching __exit__ is recorded scrubbed by the scope (event and status).
        self._scope = scrubbed_span(_tracer, SPAN_TOOL_INVOKE)
        self._span = self._scope.__enter__()
        self._span.set_attribute("service", self._service)
        self._span.set_attribute("region", self._region)
        try:
            self.broker = self._explicit or default_broker()
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._span.set_attribute(ATTR_SPIFFE_ID, self.broker.spiffe_id)
        self._span.set_attribute(ATTR_TENANT, self.broker.tenant)
        return self

    def build(self, lookup: Lookup, client_kwargs: dict[str, Any], *, aio: bool = False) -> Any:
        """The client for ``lookup``'s credential; records which tier served it."""
        from hexr.credentials._clients import (
            aws_service_name,
            build_async_httpx_client,
            build_boto3_client,
            build_httpx_client,
        )

        self._span.set_attribute("cache_tier", lookup.tier)
        broker, service, region = self.broker, self._service, self._region

        def fetch() -> Credential:
            return broker.lookup(service, region).credential

        async def afetch() -> Credential:
            return (await broker.alookup(service, region)).credential

        if aws_service_name(service) is not None:
            client = build_boto3_client(service, region, lookup.credential, fetch, **client_kwargs)
        elif aio:
            client = build_async_httpx_client(lookup.credential, afetch, **client_kwargs)
        else:
            client = build_httpx_client(lookup.credential, fetch, **client_kwargs)
        self._status = "ok"
        return client

    def __exit__(self, *exc_info: Any) -> None:
        from hexr.credentials._telemetry import tool_duration, tool_invocations

        attrs = {"service": self._service, "status": self._status}
        tool_invocations.add(1, attrs)
        tool_duration.record(time.perf_counter() - self._start, attrs)
        self._scope.__exit__(*exc_info)
