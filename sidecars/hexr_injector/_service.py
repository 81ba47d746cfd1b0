"""The exchange itself: verify the JWT-SVID, ask the policy, run the provider.

Tenant and agent always come from the verified SPIFFE ID; the body only names the
service and region, and anything else in it is rejected.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.context import Context
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hexr.telemetry import get_meter, get_tracer, record_error, stage_recorder
from hexr.telemetry.names import (
    ATTR_SPIFFE_ID,
    ATTR_TENANT,
    METRIC_CREDENTIAL_EXCHANGES,
    METRIC_CREDENTIAL_FAILURES,
    METRIC_CREDENTIAL_RATE_LIMITED,
    SPAN_CREDENTIAL_EXCHANGE,
    STAGE_AUTHENTICATION,
    STAGE_POLICY,
    STAGE_SERIALIZATION,
    STAGE_UPSTREAM,
)
from hexr_injector._auth import JwtVerifier
from hexr_injector._ratelimit import RateLimiter, retry_after_seconds
from hexr_injector._sealing import SealingKeys
from hexr_injector._spiffe import Caller
from hexr_injector.errors import (
    ERROR_TABLE,
    BadRequest,
    InjectorError,
    InvalidRequest,
    PolicyDenied,
    ProviderFailed,
    RateLimited,
    Unauthenticated,
    UnknownService,
)
from hexr_injector.providers import ExchangeRequest, Provider
from hexr_policy import PolicyEngine

__all__ = ["CredentialService", "ExchangeBody"]

_log = logging.getLogger(__name__)
_COMPONENT = "injector"
_tracer = get_tracer()
_meter = get_meter()
_exchanges = _meter.create_counter(
    METRIC_CREDENTIAL_EXCHANGES, description="Credential exchanges by provider, service, status"
)
_failures = _meter.create_counter(
    METRIC_CREDENTIAL_FAILURES, description="Failed credential exchanges by reason"
)
_rate_limited = _meter.create_counter(
    METRIC_CREDENTIAL_RATE_LIMITED, description="Exchanges refused by the per-identity rate limit"
)


class ExchangeBody(BaseModel):
    """``POST /exchange`` body."""

    model_config = ConfigDict(extra="forbid", strict=True)

    service: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")
    region: str = Field(default="us-east-1", pattern=r"^[a-z0-9][a-z0-9\-]{0,31}$")


class CredentialService:
    """Verifies callers and exchanges their identity for credentials."""

    def __init__(
        self,
        verifier: JwtVerifier,
        policy: PolicyEngine,
        providers: Mapping[str, Provider],
        sealing: SealingKeys,
        *,
        bind_to_peer: bool = False,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._bind_to_peer = bind_to_peer
        self._limiter = limiter
        self._verifier = verifier
        self._policy = policy
        self._providers = dict(providers)
        self._sealing = sealing

    async def _caller(self, authorization: str | None, peer: str | None) -> tuple[Caller, str]:
        caller, token = await self._verifier.verify(authorization)
        if peer is None and self._bind_to_peer:
            raise Unauthenticated("no mTLS client identity to bind the JWT-SVID to")
        if peer is not None and peer != caller.spiffe_id:
            # A bearer token presented over another workload's channel: leaked or replayed.
            raise Unauthenticated("JWT-SVID subject does not match the mTLS client identity")
        return caller, token

    async def exchange(
        self,
        authorization: str | None,
        body: bytes,
        parent: Context | None,
        peer: str | None = None,
    ) -> bytes:
        """Answer of ``POST /exchange`` as JSON: the credential, its expiry, the sealing key.

        Each stage (authentication, policy, upstream exchange, serialization) is an event
        on the exchange span and a ``hexr.stage.duration`` sample, so one trace shows where
        the time went.

        Raises:
            InjectorError: any refusal or failure, mapped to a status by `ERROR_TABLE`.
        """
        stages = stage_recorder()
        # The SDK would record the exception chain and status verbatim, and a provider's own
        # error (the cause of ProviderFailed) can quote a key or token: record it scrubbed.
        with _tracer.start_as_current_span(
            SPAN_CREDENTIAL_EXCHANGE,
            context=parent,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            provider_name, service, status = "none", "unknown", "error"
            caller_id = "unauthenticated"
            try:
                with stages.stage(_COMPONENT, STAGE_AUTHENTICATION, span):
                    caller, token = await self._caller(authorization, peer)
                caller_id = caller.spiffe_id
                span.set_attribute("spiffe_id", caller.spiffe_id)
                span.set_attribute(ATTR_SPIFFE_ID, caller.spiffe_id)
                span.set_attribute(ATTR_TENANT, caller.tenant)
                self._throttle(caller)
                request = _parse(body)
                provider = self._providers.get(request.service)
                if provider is None:
                    raise UnknownService(
                        f"service {request.service!r} is not configured: add it under"
                        " 'services:' (and a grant under 'grants:') in the injector's YAML"
                        " config named by HEXR_INJECTOR_CONFIG (see docs/injector-config.md)"
                    )
                service, provider_name = request.service, provider.name
                span.set_attribute("service", service)
                span.set_attribute("provider", provider_name)
                span.set_attribute("region", request.region)
                with stages.stage(_COMPONENT, STAGE_POLICY, span):
                    self._authorize(caller, request)
                try:
                    with stages.stage(_COMPONENT, STAGE_UPSTREAM, span):
                        credential = await provider.exchange(
                            ExchangeRequest(caller, request.service, request.region, token)
                        )
                except InjectorError:
                    raise
                except Exception as exc:
                    # A provider bug must still answer 502 with a safe message.
                    raise ProviderFailed() from exc
                with stages.stage(_COMPONENT, STAGE_SERIALIZATION, span):
                    answer = json.dumps(
                        {
                            "service": request.service,
                            "region": request.region,
                            "provider": provider_name,
                            "credential": {
                                "kind": credential.kind,
                                "values": dict(credential.values),
                                "expires_at": credential.expires_at,
                            },
                            "sealing_key": self._sealing_key(caller),
                        }
                    ).encode()
                status = "ok"
                _log.info(
                    "credential issued: service=%s provider=%s caller=%s",
                    service, provider_name, caller.spiffe_id,
                )
            except InjectorError as exc:
                reason = next(ERROR_TABLE[c].code for c in type(exc).__mro__ if c in ERROR_TABLE)
                record_error(span, exc)
                span.set_attribute("error.type", reason)
                _failures.add(1, {"provider": provider_name, "service": service, "reason": reason})
                # The safe message only: never the token, the body or the provider's answer.
                _log.warning(
                    "credential exchange refused: %s (%s) service=%s caller=%s",
                    reason, exc.message, service, caller_id,
                )
                raise
            except Exception as exc:
                record_error(span, exc)
                raise
            finally:
                _exchanges.add(
                    1, {"provider": provider_name, "service": service, "status": status}
                )
        return answer

    async def sealing_key(
        self, authorization: str | None, peer: str | None = None
    ) -> dict[str, Any]:
        """Answer of ``POST /sealing-key``: the caller's L2 sealing key.

        Raises:
            Unauthenticated: no valid JWT-SVID, or not the mTLS client's.
        """
        caller, _ = await self._caller(authorization, peer)
        return {"sealing_key": self._sealing_key(caller)}

    def _throttle(self, caller: Caller) -> None:
        if self._limiter is None:
            return
        wait = self._limiter.acquire(caller.spiffe_id)
        if wait > 0:
            _rate_limited.add(1, {"tenant": caller.tenant})
            raise RateLimited(retry_after_seconds(wait))

    def _authorize(self, caller: Caller, request: ExchangeBody) -> None:
        decision_input = {
            "spiffe_id": caller.spiffe_id,
            "tenant": caller.tenant,
            "agent": caller.agent,
            "service": request.service,
            "region": request.region,
        }
        if not self._policy.allows(decision_input):
            raise PolicyDenied(
                f"policy denies {request.service} in {request.region} to this identity"
            )

    def _sealing_key(self, caller: Caller) -> str:
        return base64.b64encode(self._sealing.for_identity(caller.spiffe_id)).decode()

    async def aclose(self) -> None:
        """Close every provider."""
        for provider in self._providers.values():
            await provider.aclose()


def _parse(body: bytes) -> ExchangeBody:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the decoder's limit, well within 16 KiB.
        raise BadRequest("body is not JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    try:
        return ExchangeBody.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "body" for e in exc.errors())
        raise InvalidRequest(f"invalid fields: {fields}"[:200]) from None

