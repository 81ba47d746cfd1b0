"""`GatewayService`: list and call tools for a verified caller, register specs.

A call goes: tool set of the caller's tenant → policy (Rego) → argument validation
against the tool's schema → rate limit (Valkey) → credential (vault) → upstream →
serialization. Every refusal happens before the upstream is contacted. Each stage is an
event on the ``hexr.gateway.call`` span and a ``hexr.stage.duration`` sample.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from hexr.telemetry import record_error, stage_recorder
from hexr.telemetry.names import (
    ATTR_AGENT_NAME,
    ATTR_ERROR_TYPE,
    ATTR_GATEWAY_TOOL_NAME,
    ATTR_GATEWAY_UPSTREAM_STATUS,
    ATTR_SPIFFE_ID,
    ATTR_TENANT,
    SPAN_GATEWAY_CALL,
    STAGE_CREDENTIAL,
    STAGE_POLICY,
    STAGE_SERIALIZATION,
    STAGE_UPSTREAM,
)
from hexr_gateway import _telemetry as tel
from hexr_gateway._auth import Caller, JwtVerifier
from hexr_gateway._catalog import (
    BoundTool,
    Catalog,
    LoadedUpstream,
    check_registered_host,
    spec_base_url,
)
from hexr_gateway._config import GatewayConfig, UpstreamConfig
from hexr_gateway._credentials import CredentialCache, apply_credential
from hexr_gateway._policy import ToolPolicy
from hexr_gateway._ratelimit import LimitChecker
from hexr_gateway._specstore import SpecStore, VersionWatch
from hexr_gateway._upstream import UpstreamAnswer, UpstreamClient
from hexr_gateway.errors import (
    GatewayError,
    InvalidArguments,
    PermissionDenied,
    RateLimited,
    SpecRejected,
    Unavailable,
    UnknownTool,
    error_code,
)
from hexr_gateway.openapi import SpecError, ToolDef, parse_spec

__all__ = ["CallOutcome", "GatewayService"]

_log = logging.getLogger("hexr_gateway")
_MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class CallOutcome:
    """A finished call: the upstream's answer as JSON text and structured content."""

    text: str
    structured: dict[str, Any]
    is_error: bool


class GatewayService:
    """The gateway's decisions and calls; transports (MCP, HTTP) only translate."""

    def __init__(
        self,
        config: GatewayConfig,
        verifier: JwtVerifier,
        policy: ToolPolicy,
        catalog: Catalog,
        limits: LimitChecker,
        credentials: CredentialCache,
        specs: SpecStore,
    ) -> None:
        self._config = config
        self._verifier = verifier
        self._policy = policy
        self.catalog = catalog
        self._limits = limits
        self._credentials = credentials
        self._specs = specs
        self._watch = VersionWatch()
        self._validators: dict[int, jsonschema.protocols.Validator] = {}
        self._publish_tool_counts()

    # --- identity -----------------------------------------------------------------------

    async def authenticate(self, authorization: str | None) -> Caller:
        """The verified caller of a request.

        Raises:
            Unauthenticated: no valid JWT-SVID for the gateway's audience.
        """
        return await self._verifier.verify(authorization)

    @staticmethod
    def _agent(caller: Caller) -> tuple[str, str]:
        if caller.tenant is None or caller.agent is None:
            raise PermissionDenied("only agent identities have tool sets")
        return caller.tenant, caller.agent

    # --- registered specs ---------------------------------------------------------------

    async def refresh(self, *, force: bool = False) -> None:
        """Reload registered specs if another replica (or this one) changed them."""
        if not (force or self._watch.due()):
            return
        try:
            version = await self._specs.version()
            if version == self._watch.seen:
                return
            entries = await self._specs.all()
        except Unavailable:
            _log.warning("registered-spec store unavailable; serving the last tool sets")
            return
        loaded: list[LoadedUpstream] = []
        for entry in entries:
            try:
                spec = parse_spec(entry["spec"])
                upstream = UpstreamConfig(name=entry["name"], spec="registered",
                                          base_url=entry["base_url"], tenants=[entry["tenant"]])
            except (SpecError, KeyError, TypeError, ValidationError):
                continue
            client = UpstreamClient(upstream.base_url or "", timeout=upstream.timeout_seconds,
                                    max_response_bytes=upstream.max_response_bytes)
            loaded.append(LoadedUpstream(upstream, spec, client))
        previous = self.catalog.set_registered(loaded)
        for old in previous:
            await old.client.aclose()
        self._validators.clear()
        self._watch.seen = version
        self._publish_tool_counts()

    def _publish_tool_counts(self) -> None:
        for tenant in self.catalog.tenants():
            tel.TOOLS.set(len(self.catalog.tools(tenant)), {"tenant": tenant})

    async def register_spec(
        self, caller: Caller, name: str, spec: Any, base_url: str | None, tenant: str | None
    ) -> dict[str, Any]:
        """Register ``spec`` as upstream ``name`` of ``tenant`` (default: the caller's).

        Raises:
            PermissionDenied: policy does not allow this caller to register for the tenant.
            SpecRejected: not OpenAPI 3.x, no usable base URL, or a host not allowed.
        """
        target = tenant or caller.tenant
        if not target:
            raise SpecRejected("a service identity must name the tenant to register for")
        from hexr.vault import VaultLayout  # name rules shared with the vault layout

        try:
            VaultLayout.tenant_root(target)
            VaultLayout.tenant_root(name)
        except Exception:  # noqa: BLE001 (any invalid name is one answer)
            raise SpecRejected("invalid tenant or upstream name") from None
        if not self._policy.allows(caller, "register", name, target_tenant=target):
            tel.DENIALS.add(1, {"tenant": target, "agent_name": caller.agent or "",
                                "tool": "*", "action": "register"})
            raise PermissionDenied()
        try:
            document = parse_spec(spec)
        except SpecError as exc:
            raise SpecRejected(str(exc)) from None
        base = base_url or spec_base_url(document, None)
        if not base or not base.startswith(("http://", "https://")):
            raise SpecRejected("the spec needs an absolute servers URL or a base_url")
        check_registered_host(base, self._config.registered_spec_hosts)
        # The name picks the vault credential (tenants/<t>/upstreams/<name>): taking over a
        # configured or someone else's upstream would send its credential to a new host.
        if name in {u.name for u in self._config.upstreams}:
            raise SpecRejected("a configured upstream has this name")
        existing = await self._specs.get(target, name)
        operator = caller.spiffe_id in self._config.operators
        if existing is not None and existing.get("registered_by") != caller.spiffe_id and (
            not operator
        ):
            raise SpecRejected("another identity registered this upstream name")
        await self._specs.put({"tenant": target, "name": name, "spec": document,
                               "base_url": base, "registered_by": caller.spiffe_id})
        await self.refresh(force=True)
        tools = [t for t in self.catalog.tools(target).values() if t.tool.upstream == name]
        return {"tenant": target, "upstream": name, "tools": [b.tool.name for b in tools]}

    # --- listing ------------------------------------------------------------------------

    async def list_tools(self, caller: Caller, tenant: str | None = None) -> list[ToolDef]:
        """The tools ``caller`` may list (another tenant's only for an operator).

        Raises:
            PermissionDenied: a cross-tenant listing the policy does not allow.
        """
        await self.refresh()
        target = tenant or caller.tenant
        if target is None:
            raise PermissionDenied("only agent identities have tool sets")
        labels = {"tenant": target, "agent_name": caller.agent or "", "action": "list"}
        if target != caller.tenant and not self._policy.allows(
            caller, "list", "*", target_tenant=target
        ):
            tel.DENIALS.add(1, {**labels, "tool": "*"})
            raise PermissionDenied()
        allowed: list[ToolDef] = []
        for bound in self.catalog.tools(target).values():
            if self._policy.may_list(caller, bound.tool.name, bound.tool.upstream, target):
                allowed.append(bound.tool)
            else:
                tel.DENIALS.add(1, {**labels, "tool": bound.tool.name})
        return allowed

    def _tool(self, tenant: str, name: str) -> BoundTool:
        bound = self.catalog.tools(tenant).get(name)
        if bound is None:
            raise UnknownTool(f"unknown tool {name[:80]!r}")
        return bound

    def _validate(self, tool: ToolDef, arguments: Mapping[str, Any]) -> None:
        validator = self._validators.get(id(tool))
        if validator is None:
            cls = jsonschema.validators.validator_for(tool.input_schema,
                                                      jsonschema.Draft202012Validator)
            validator = cls(tool.input_schema)
            self._validators[id(tool)] = validator
        error = jsonschema.exceptions.best_match(validator.iter_errors(dict(arguments)))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "arguments"
            raise InvalidArguments(f"invalid arguments at {where}: {error.message}"
                                   [:_MAX_ERROR_CHARS])

    # --- calling ------------------------------------------------------------------------

    async def call_tool(
        self, caller: Caller, name: str, arguments: Mapping[str, Any] | None,
        parent: Context | None = None,
    ) -> CallOutcome:
        """Call tool ``name`` for ``caller``.

        Raises:
            GatewayError: any refusal or failure (see `ERROR_TABLE`); the message is safe.
        """
        stages = stage_recorder()
        started = time.perf_counter()
        tenant, agent = caller.tenant or "", caller.agent or ""
        labels = {"tenant": tenant, "agent_name": agent, "tool": "unknown"}
        status = "error"
        with tel.TRACER.start_as_current_span(
            SPAN_GATEWAY_CALL, context=parent, kind=SpanKind.SERVER,
            record_exception=False, set_status_on_exception=False,
        ) as span:
            span.set_attribute(ATTR_SPIFFE_ID, caller.spiffe_id)
            try:
                tenant, agent = self._agent(caller)
                span.set_attribute(ATTR_TENANT, tenant)
                span.set_attribute(ATTR_AGENT_NAME, agent)
                await self.refresh()
                bound = self._tool(tenant, name)
                tool = bound.tool
                labels["tool"] = tool.name
                span.set_attribute(ATTR_GATEWAY_TOOL_NAME, tool.name)
                args = dict(arguments or {})
                with stages.stage(tel.COMPONENT, STAGE_POLICY, span):
                    allowed = self._policy.allows(caller, "call", tool.name,
                                                  upstream=tool.upstream, arguments=args)
                if not allowed:
                    tel.DENIALS.add(1, {**labels, "action": "call"})
                    raise PermissionDenied("policy denies this tool to the caller")
                self._validate(tool, args)
                try:
                    await self._limits.check(tenant, agent, tool.name)
                except RateLimited:
                    tel.RATE_LIMITED.add(1, labels)
                    raise
                with stages.stage(tel.COMPONENT, STAGE_CREDENTIAL, span):
                    fields = None
                    if tool.security and all(tool.security):
                        fields = await self._credentials.get(tenant, tool.upstream)
                    credential = apply_credential(tool, fields)
                with stages.stage(tel.COMPONENT, STAGE_UPSTREAM, span):
                    carrier: dict[str, str] = {}
                    from opentelemetry import propagate

                    propagate.inject(carrier)
                    request = bound.client.build(tool, args, credential, carrier)
                    answer = await bound.client.send(request, credential.secrets)
                span.set_attribute(ATTR_GATEWAY_UPSTREAM_STATUS, answer.status)
                with stages.stage(tel.COMPONENT, STAGE_SERIALIZATION, span):
                    outcome = _outcome(answer)
                status = "ok" if not outcome.is_error else "error"
                if outcome.is_error:
                    tel.CALL_ERRORS.add(1, {**labels, "error_type": f"upstream_{answer.status}"})
                return outcome
            except GatewayError as exc:
                code = error_code(exc)
                span.set_attribute(ATTR_ERROR_TYPE, code)
                record_error(span, exc)
                tel.CALL_ERRORS.add(1, {**labels, "error_type": code})
                # The code only: messages can quote the caller's arguments (content).
                _log.warning("tool call refused: %s tool=%s caller=%s",
                             code, labels["tool"], caller.spiffe_id)
                raise
            except Exception as exc:
                record_error(span, exc)
                tel.CALL_ERRORS.add(1, {**labels, "error_type": "internal"})
                _log.error("tool call failed: %s tool=%s", type(exc).__name__, labels["tool"])
                raise GatewayError() from exc
            finally:
                tel.CALLS.add(1, {**labels, "status": status})
                tel.CALL_DURATION.record(time.perf_counter() - started, labels)

    async def aclose(self) -> None:
        """Close upstream clients and stores."""
        await self.catalog.aclose()
        await self._limits.aclose()
        await self._specs.aclose()


def _outcome(answer: UpstreamAnswer) -> CallOutcome:
    if answer.status >= 500:
        # A server error's body is the upstream's internals (traces, hosts): not returned.
        structured: dict[str, Any] = {"status": answer.status, "body": None}
        return CallOutcome(f"upstream answered HTTP {answer.status}", structured, True)
    structured = {"status": answer.status, "body": answer.body}
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    if answer.is_error:
        text = f"upstream answered HTTP {answer.status}: {text}"
    return CallOutcome(text, structured, answer.is_error)

