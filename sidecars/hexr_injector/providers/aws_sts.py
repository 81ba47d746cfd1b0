"""AWS STS AssumeRoleWithWebIdentity, with the caller's JWT-SVID as the web identity token.

The role comes from a template filled with the *verified* tenant and agent, so a caller
can never name another tenant's role. The request is unsigned (the token is the proof).
"""

from __future__ import annotations

import re
import string
import threading
from typing import Any, ClassVar, Literal

import anyio.to_thread
from pydantic import Field, field_validator

from hexr.credentials import Credential
from hexr_injector._bounded import LruDict
from hexr_injector.errors import InvalidRequest, ProviderFailed
from hexr_injector.providers._base import ExchangeRequest, Provider, ProviderOptions

__all__ = ["AwsStsOptions", "AwsStsProvider", "known_sts_regions", "role_session_name"]

_SESSION_UNSAFE = re.compile(r"[^\w+=,.@-]")
_PLACEHOLDERS = frozenset({"tenant", "agent"})


class AwsStsOptions(ProviderOptions):
    """Options of the ``aws_sts`` provider."""

    provider: Literal["aws_sts"]
    role_arn: str = Field(min_length=20, max_length=2048)
    """Template with ``{tenant}`` and ``{agent}``, e.g. ``arn:aws:iam::1:role/hexr-{tenant}``."""

    @field_validator("role_arn")
    @classmethod
    def _only_tenant_and_agent(cls, template: str) -> str:
        # Checked here so a typo fails at startup, not as a 502 on every exchange.
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError as exc:
            raise ValueError("role_arn is not a valid template") from exc
        for _, name, spec, conversion in fields:
            if name is not None and (name not in _PLACEHOLDERS or spec or conversion):
                raise ValueError("role_arn may only use the placeholders {tenant} and {agent}")
        return template
    endpoint_url: str | None = None
    """STS endpoint (tests: a moto server); default: the regional AWS endpoint."""
    duration_seconds: int = Field(default=3600, ge=900, le=43200)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    regions: list[str] | None = Field(default=None, min_length=1, max_length=256)
    """Regions callers may name; default: every region botocore knows for STS (offline)."""
    max_clients: int = Field(default=16, ge=1, le=1024)
    """STS clients kept (one per region, least recently used dropped; ~8 MB each)."""


def role_session_name(spiffe_id: str) -> str:
    """A RoleSessionName (2-64 chars of ``[\\w+=,.@-]``) that names the SPIFFE ID's path."""
    path = spiffe_id.split("://", 1)[-1].split("/", 1)[-1]
    return _SESSION_UNSAFE.sub("-", path.replace("/", "."))[:64] or "hexr"


def known_sts_regions() -> frozenset[str]:
    """Every STS region of every partition in botocore's bundled endpoint data (no network)."""
    import botocore.session

    session = botocore.session.get_session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("sts", partition_name=partition))
    return frozenset(regions)


class AwsStsProvider(Provider):
    """Exchanges a JWT-SVID for temporary AWS credentials."""

    name: ClassVar[str] = "aws_sts"

    def __init__(self, options: AwsStsOptions) -> None:
        try:
            import boto3
            from botocore import UNSIGNED
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError("the aws_sts provider needs boto3: pip install 'hexr[aws]'") from exc
        self._options = options
        self._boto3 = boto3
        self._config = Config(
            signature_version=UNSIGNED,
            connect_timeout=options.timeout_seconds,
            read_timeout=options.timeout_seconds,
            retries={"max_attempts": 2, "mode": "standard"},
        )
        # A caller names the region: only real ones, and never more clients than the bound
        # (each botocore client holds ~8 MB of service model and connection pool).
        self._regions = frozenset(options.regions or known_sts_regions())
        self._clients: LruDict[str, Any] = LruDict(options.max_clients)
        self._lock = threading.Lock()

    def _client(self, region: str) -> Any:
        if region not in self._regions:
            raise InvalidRequest(f"region {region!r} is not a known AWS region for this service")
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                client = self._boto3.session.Session().client(
                    "sts",
                    region_name=region,
                    endpoint_url=self._options.endpoint_url,
                    config=self._config,
                )
                self._clients.put(region, client)
            return client

    async def exchange(self, request: ExchangeRequest) -> Credential:
        """AssumeRoleWithWebIdentity for the caller's tenant/agent role."""
        caller = request.caller
        role_arn = self._options.role_arn.format(tenant=caller.tenant, agent=caller.agent)
        client = self._client(request.region)

        def call() -> Any:
            return client.assume_role_with_web_identity(
                RoleArn=role_arn,
                RoleSessionName=role_session_name(caller.spiffe_id),
                WebIdentityToken=request.subject_token,
                DurationSeconds=self._options.duration_seconds,
            )

        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = await anyio.to_thread.run_sync(call)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise ProviderFailed(f"AWS STS refused the exchange ({str(code)[:64]})") from exc
        except BotoCoreError as exc:
            raise ProviderFailed(f"AWS STS unreachable ({type(exc).__name__})") from exc
        try:
            raw = answer["Credentials"]
            return Credential(
                kind="aws",
                values={
                    "access_key_id": str(raw["AccessKeyId"]),
                    "secret_access_key": str(raw["SecretAccessKey"]),
                    "session_token": str(raw["SessionToken"]),
                },
                expires_at=raw["Expiration"].timestamp(),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderFailed("AWS STS answered without credentials") from exc
