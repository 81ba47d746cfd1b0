"""Clients built on a credential: boto3 for ``aws_*`` services, httpx for HTTP APIs.

Both read the credential through a callback into the cache on use, not once at build
time, so a long-lived client keeps working across rotations.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

import httpx

from hexr.credentials._model import Credential
from hexr.errors import ConfigError, CredentialError

__all__ = [
    "CredentialAuth",
    "aws_service_name",
    "build_async_httpx_client",
    "build_boto3_client",
    "build_httpx_client",
]

CredentialFetcher = Callable[[], Credential]
AsyncCredentialFetcher = Callable[[], Awaitable[Credential]]

_AWS_PREFIX = "aws_"


def aws_service_name(service: str) -> str | None:
    """The boto3 service name of a Hexr service (``aws_s3`` → ``s3``), else None."""
    if not service.startswith(_AWS_PREFIX):
        return None
    return service[len(_AWS_PREFIX) :].replace("_", "-")


def _boto3() -> Any:
    try:
        import boto3
        import botocore.credentials
        import botocore.session
    except ImportError as exc:
        raise ImportError(
            "AWS clients need boto3: pip install 'hexr[aws]'", name=exc.name
        ) from exc
    return boto3, botocore


def build_boto3_client(
    service: str, region: str, initial: Credential, fetch: CredentialFetcher, **client_kwargs: Any
) -> Any:
    """A boto3 client starting with ``initial``, whose credentials refresh through ``fetch``.

    Raises:
        ImportError: boto3 is missing (names the ``hexr[aws]`` extra).
        CredentialError: ``fetch`` returned a non-AWS credential.
    """
    boto3, botocore = _boto3()
    name = aws_service_name(service)
    if name is None:
        raise ConfigError(f"{service!r} is not an AWS service (expected an 'aws_' prefix)")

    def metadata(credential: Credential | None = None) -> dict[str, str]:
        credential = credential or fetch()
        if credential.kind != "aws":
            raise CredentialError(f"{service} needs an AWS credential, got {credential.kind}")
        expiry = dt.datetime.fromtimestamp(credential.expires_at, tz=dt.UTC)
        return {
            "access_key": credential.values["access_key_id"],
            "secret_key": credential.values["secret_access_key"],
            "token": credential.values.get("session_token", ""),
            "expiry_time": expiry.isoformat(),
        }

    refreshable = botocore.credentials.RefreshableCredentials.create_from_metadata(
        metadata=metadata(initial), refresh_using=metadata, method="hexr"
    )
    session = botocore.session.Session()
    # Share the model loader: each session would otherwise re-read the service JSON
    # models, which dominates client creation (~100 ms of CPU).
    session.register_component("data_loader", _shared_loader(botocore))
    # The documented extension point for credentials: a resolver with our one provider,
    # so no key from the environment, a profile or instance metadata is ever used.
    provider = _StaticProvider(refreshable, botocore.credentials.CredentialProvider)
    session.register_component(
        "credential_provider", botocore.credentials.CredentialResolver(providers=[provider])
    )
    return boto3.Session(botocore_session=session).client(
        name, region_name=region, **client_kwargs
    )


_loader_lock = threading.Lock()
_loader: Any = None


def _shared_loader(botocore: Any) -> Any:
    global _loader
    with _loader_lock:
        if _loader is None:
            _loader = botocore.session.Session().get_component("data_loader")
        return _loader


def _StaticProvider(credentials: Any, base: type) -> Any:
    class Provider(base):  # type: ignore[misc]
        METHOD = "hexr"
        CANONICAL_NAME = "hexr"

        def load(self) -> Any:
            return credentials

    return Provider()


class CredentialAuth(httpx.Auth):
    """httpx auth that presents the current token credential on every request.

    The header logic is shared; the sync flow reads the cache with ``fetch`` and the async
    flow awaits ``afetch``, so an `httpx.AsyncClient` never blocks its event loop on a
    cache miss.
    """

    def __init__(
        self, fetch: CredentialFetcher | None = None, afetch: AsyncCredentialFetcher | None = None
    ) -> None:
        self._fetch = fetch
        self._afetch = afetch

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the credential header, read from the cache per request."""
        if self._fetch is None:
            raise CredentialError("this credential auth is for an httpx.AsyncClient")
        _present(request, self._fetch())
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Set the credential header, awaiting the cache per request."""
        if self._afetch is None:
            raise CredentialError("this credential auth is for an httpx.Client")
        _present(request, await self._afetch())
        yield request


def _present(request: httpx.Request, credential: Credential) -> None:
    if credential.kind != "token":
        raise CredentialError(f"HTTP APIs need a token credential, got {credential.kind}")
    header = credential.values.get("header", "authorization")
    prefix = credential.values.get("prefix", "Bearer ")
    request.headers[header] = f"{prefix}{credential.values['token']}"


def _with_base_url(initial: Credential, client_kwargs: dict[str, Any]) -> dict[str, Any]:
    base_url = initial.values.get("base_url")
    if base_url and "base_url" not in client_kwargs:
        client_kwargs["base_url"] = base_url
    return client_kwargs


def build_httpx_client(
    initial: Credential, fetch: CredentialFetcher, **client_kwargs: Any
) -> httpx.Client:
    """An httpx client authenticated with the service's token; ``base_url`` from the injector."""
    return httpx.Client(auth=CredentialAuth(fetch), **_with_base_url(initial, client_kwargs))


def build_async_httpx_client(
    initial: Credential, afetch: AsyncCredentialFetcher, **client_kwargs: Any
) -> httpx.AsyncClient:
    """The `httpx.AsyncClient` twin of `build_httpx_client` (its auth awaits the cache)."""
    return httpx.AsyncClient(
        auth=CredentialAuth(afetch=afetch), **_with_base_url(initial, client_kwargs)
    )
