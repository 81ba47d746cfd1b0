"""The console's REST API (``/api/v1``): read-only views over the platform, as JSON.

Every endpoint documents itself in its docstring (after ``---``), from which
``/api/v1/openapi.json`` is generated. Errors are ``{"error": {"code", "message"}}`` with a
4xx/503 status, never a stack trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from hexr_console._dashboards import Dashboard, expand, legend
from hexr_console._prometheus import PrometheusClient, PrometheusUnavailable
from hexr_console._sources import PlatformSource
from hexr_console._views import CREDENTIAL_QUERIES, DENIAL_QUERIES, USAGE_QUERIES, Query

__all__ = ["ConsoleState", "create_api_routes", "error"]

_LABEL_VALUE = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_MAX_POINTS = 720


class ConsoleState:
    """What the API reads from: the platform, Prometheus and the dashboards."""

    def __init__(
        self,
        platform: PlatformSource,
        prometheus: Callable[[], PrometheusClient],
        dashboards: Callable[[], dict[str, Dashboard]],
    ) -> None:
        self.platform = platform
        self.prometheus = prometheus
        self.dashboards = dashboards


class PanelQuery(BaseModel):
    """Query parameters of a panel's data: time window and template variables."""

    minutes: int = Field(30, ge=1, le=7 * 24 * 60)
    step: int | None = Field(None, ge=1, le=3600)
    tenant: str | None = Field(None, pattern=_LABEL_VALUE)
    agent: str | None = Field(None, pattern=_LABEL_VALUE)


def error(status: int, code: str, message: str) -> JSONResponse:
    """The console's JSON error body."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _state(request: Request) -> ConsoleState:
    state: ConsoleState = request.app.state.console
    return state


def _instant(client: PrometheusClient, queries: Sequence[Query]) -> dict[str, Any]:
    return {
        q.name: [{"labels": s.labels, "value": s.value} for s in client.query(q.expr)]
        for q in queries
    }


async def _prometheus_view(request: Request, queries: Sequence[Query]) -> JSONResponse:
    client = _state(request).prometheus()
    try:
        return JSONResponse(await run_in_threadpool(_instant, client, queries))
    except PrometheusUnavailable as exc:
        return error(503, "prometheus_unavailable", str(exc))


async def components(request: Request) -> JSONResponse:
    """The platform's components and their health.

    ---
    summary: Components and their health
    responses:
      200:
        description: "`{components: [{name, state, pid, address, uptime_s, hint}]}`"
    """
    rows = await run_in_threadpool(_state(request).platform.components)
    return JSONResponse({"components": rows})


async def identities(request: Request) -> JSONResponse:
    """Tenants, agents and the SPIFFE IDs of their running processes.

    ---
    summary: Registered workloads by tenant
    responses:
      200:
        description: "`{tenants: {tenant: [{spiffe_id, agent, role, pid, uid}]}, services: [...]}`"
      503:
        description: The identity service is not running.
    """
    try:
        return JSONResponse(await run_in_threadpool(_state(request).platform.identities))
    except OSError:
        return error(503, "identity_unavailable", "the identity service is not running")


async def usage(request: Request) -> JSONResponse:
    """Cost, tokens, LLM calls and invocations per tenant and agent.

    ---
    summary: Cost and tokens per tenant and agent
    responses:
      200:
        description: "`{cost_usd: [{labels, value}], input_tokens: [...], ...}`"
      503:
        description: Prometheus is not reachable.
    """
    return await _prometheus_view(request, USAGE_QUERIES)


async def credentials(request: Request) -> JSONResponse:
    """Credential lookups by cache tier and exchanges at the injector.

    ---
    summary: Credential cache tiers and exchanges
    responses:
      200:
        description: "`{hits: [{labels: {tier}, value}], misses: [...], exchanges: [...]}`"
      503:
        description: Prometheus is not reachable.
    """
    return await _prometheus_view(request, CREDENTIAL_QUERIES)


async def denials(request: Request) -> JSONResponse:
    """Refusals of the injector, the vault, A2A and the gateway: who, what and why.

    ---
    summary: Policy denials by component
    responses:
      200:
        description: "`{injector: [{labels: {service, reason}, value}], vault: [...], ...}`"
      503:
        description: Prometheus is not reachable.
    """
    return await _prometheus_view(request, DENIAL_QUERIES)


async def dashboards(request: Request) -> JSONResponse:
    """The dashboards and their panels (the same panels as Grafana).

    ---
    summary: Dashboards and panels
    responses:
      200:
        description: "`{dashboards: [{uid, title, panels: [{id, title, type, unit, targets}]}]}`"
    """
    found = await run_in_threadpool(_state(request).dashboards)
    return JSONResponse({"dashboards": [asdict(d) for d in found.values()]})


def _panel_data(
    client: PrometheusClient, dashboard: Dashboard, panel_id: int, params: PanelQuery
) -> dict[str, Any]:
    panel = dashboard.panel(panel_id)
    if panel is None:
        raise HTTPException(404, "no such panel")
    variables = {"tenant": params.tenant or ".*", "agent": params.agent or ".*"}
    end = time.time()
    start = end - params.minutes * 60
    step = params.step or max(15, params.minutes * 60 // 240)
    step = max(step, int((end - start) / _MAX_POINTS) + 1)
    variables |= {"__rate_interval": f"{max(60, 4 * step)}s", "__interval": f"{step}s",
                  "__range": f"{params.minutes * 60}s"}
    series: list[dict[str, Any]] = []
    for target in panel.targets:
        expr = expand(target.expr, variables)
        if panel.instant:
            for sample in client.query(expr):
                series.append({"name": legend(target.legend, sample.labels),
                               "labels": sample.labels, "value": sample.value})
        else:
            for item in client.query_range(expr, start, end, step):
                series.append({"name": legend(target.legend, item.labels), "labels": item.labels,
                               "t": item.timestamps, "v": item.values})
    return {"id": panel.id, "title": panel.title, "type": panel.type, "unit": panel.unit,
            "instant": panel.instant, "series": series}


async def panel_data(request: Request) -> JSONResponse:
    """Evaluate one panel's own PromQL against the local Prometheus.

    ---
    summary: One panel's data
    parameters:
      - {name: uid, in: path, required: true, schema: {type: string}}
      - {name: panel_id, in: path, required: true, schema: {type: integer}}
      - {name: minutes, in: query, schema: {type: integer, minimum: 1, maximum: 10080}}
      - {name: step, in: query, schema: {type: integer, minimum: 1, maximum: 3600}}
      - {name: tenant, in: query, schema: {type: string}}
      - {name: agent, in: query, schema: {type: string}}
    responses:
      200:
        description: "`{id, title, type, unit, instant, series: [{name, labels, t|value, v}]}`"
      404:
        description: No such dashboard or panel.
      422:
        description: Invalid query parameters.
      503:
        description: Prometheus is not reachable.
    """
    state = _state(request)
    try:
        params = PanelQuery.model_validate(dict(request.query_params))
        panel_id = int(request.path_params["panel_id"])
    except (ValidationError, ValueError):
        return error(422, "invalid_request", "invalid query parameters")
    dashboard = (await run_in_threadpool(state.dashboards)).get(request.path_params["uid"])
    if dashboard is None:
        return error(404, "not_found", "no such dashboard")
    try:
        data = await run_in_threadpool(
            _panel_data, state.prometheus(), dashboard, panel_id, params
        )
    except PrometheusUnavailable as exc:
        return error(503, "prometheus_unavailable", str(exc))
    return JSONResponse(data)


def create_api_routes() -> list[BaseRoute]:
    """The ``/api/v1`` routes (authentication is the app's middleware)."""
    return [
        Route("/api/v1/components", components, methods=["GET"]),
        Route("/api/v1/identities", identities, methods=["GET"]),
        Route("/api/v1/usage", usage, methods=["GET"]),
        Route("/api/v1/credentials", credentials, methods=["GET"]),
        Route("/api/v1/denials", denials, methods=["GET"]),
        Route("/api/v1/dashboards", dashboards, methods=["GET"]),
        Route("/api/v1/dashboards/{uid}/panels/{panel_id}", panel_data, methods=["GET"]),
    ]
