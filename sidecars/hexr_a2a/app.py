"""``create_app``: the sidecar's ASGI application, assembled from a2a-sdk's routes.

Layers, outermost first: input limits and header fixes → caller policy → a2a-sdk's
agent-card, JSON-RPC and HTTP+JSON routes over ``DefaultRequestHandler`` with the Valkey
task store and event stream, and the bridge to the agent function.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr.a2a import AgentDeclaration
from hexr.identity import SpiffeId
from hexr_a2a._auth import PeerContextBuilder, PolicyMiddleware
from hexr_a2a._bridge import AgentBridge
from hexr_a2a._card import JSONRPC_PATH, REST_PATH, build_card
from hexr_a2a._limits import LimitsMiddleware
from hexr_a2a._metrics import SidecarMetrics
from hexr_a2a._push import RetryingPushSender, ValkeyPushConfigStore, push_url_validator
from hexr_a2a._store import ValkeyTaskEventStream, ValkeyTaskStore
from hexr_policy import PolicyEngine

__all__ = ["POLICY_FILE", "POLICY_RULE", "Sidecar", "build_policy", "create_sidecar"]

POLICY_FILE = Path(__file__).parent / "policy" / "a2a.rego"
POLICY_RULE = "data.hexr.a2a.allow"
CARD_CACHE_CONTROL = "public, max-age=300"


def build_policy(data: dict[str, Any] | None = None) -> PolicyEngine:
    """The caller policy with its allow lists (``callers``, ``cross_tenant``)."""
    return PolicyEngine.from_files([POLICY_FILE], POLICY_RULE, data or {"cross_tenant": []})


def key_prefix(me: SpiffeId) -> str:
    """Valkey key prefix of one agent's tasks (shared by all its replicas)."""
    return f"hexr:a2a:{me.tenant}:{me.agent}"


@dataclass
class Sidecar:
    """The assembled sidecar: the ASGI app and the parts its process manages."""

    app: Any
    handler: DefaultRequestHandler
    store: ValkeyTaskStore
    metrics: SidecarMetrics


def create_sidecar(
    func: Callable[..., Any],
    declaration: AgentDeclaration,
    me: SpiffeId,
    base_url: str,
    *,
    valkey: Any,
    valkey_factory: Callable[[], Any],
    policy: PolicyEngine,
    replica: str,
    max_body_bytes: int = 1 << 20,
    push: bool = True,
    push_allow: Sequence[str] = (),
) -> Sidecar:
    """Build the sidecar of agent ``me`` serving ``func``.

    ``push`` enables push notifications; ``push_allow`` lists ``host`` or ``host:port``
    push targets allowed although they are not public addresses.
    """
    metrics = SidecarMetrics(me.tenant or "", me.agent or "")
    store = ValkeyTaskStore(valkey, key_prefix(me), metrics, replica=replica)
    events = ValkeyTaskEventStream(valkey_factory, store, metrics)
    card = build_card(
        me.agent or "", declaration, base_url, mtls=base_url.startswith("https"), push=push
    )
    push_parts: dict[str, Any] = {}
    if push:
        validator = push_url_validator(push_allow)
        configs = ValkeyPushConfigStore(valkey, key_prefix(me))
        push_parts = {
            "push_config_store": configs,
            "push_sender": RetryingPushSender(configs, metrics, validator),
            "push_url_validator": validator,
        }
    handler = DefaultRequestHandler(
        agent_executor=AgentBridge(func, metrics, direct_messages=declaration.direct_messages),
        task_store=store,
        agent_card=card,
        event_stream=events,
        **push_parts,
    )
    builder = PeerContextBuilder()
    routes: list[Any] = [
        *create_agent_card_routes(card, cache_control=CARD_CACHE_CONTROL),
        *create_agent_card_routes(
            card, card_url="/.well-known/agent.json", cache_control=CARD_CACHE_CONTROL
        ),
        *create_jsonrpc_routes(handler, JSONRPC_PATH, builder, enable_v0_3_compat=True),
        *create_rest_routes(handler, builder, enable_v0_3_compat=True, path_prefix=REST_PATH),
        Route("/healthz", _healthz, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    guarded = PolicyMiddleware(app, policy, me, metrics)
    limited = LimitsMiddleware(
        _count_requests(guarded, metrics),
        jsonrpc_path=JSONRPC_PATH,
        rest_path=REST_PATH,
        max_body_bytes=max_body_bytes,
        started=time.time(),
    )
    return Sidecar(app=limited, handler=handler, store=store, metrics=metrics)


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


_RPC_ERROR = re.compile(rb'"error"\s*:\s*\{[^}]*?"code"\s*:\s*(-?\d{1,6})')


def _rest_method(scope: Any) -> str:
    # /a2a/rest/message:send → message:send; /a2a/rest/tasks/{id} → tasks (never the id).
    tail = scope["path"].removeprefix(REST_PATH).strip("/")
    head = tail.split("/", 1)[0]
    verb = tail.rsplit(":", 1)[-1] if ":" in tail else ""
    return f"{scope['method']} {head}{':' + verb if verb and head != tail else ''}"[:48]


def _count_requests(app: Any, metrics: SidecarMetrics) -> Any:
    """Count requests by protocol method and outcome (``ok`` or the error code); SSE
    answers also move the open-stream gauge."""

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(("/a2a/", "/.well-known")):
            await app(scope, receive, send)
            return
        opened = False
        status = 0
        counted_once = False

        def method() -> str:
            if scope["path"].startswith(JSONRPC_PATH):
                return str(scope.get("hexr.method", "invalid"))
            if scope["path"].startswith(REST_PATH):
                return _rest_method(scope)
            return "GetAgentCard"

        async def watch(message: dict[str, Any]) -> None:
            nonlocal opened, status, counted_once
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(b"text/event-stream"):
                    opened = True
                    metrics.sse(1)
            elif message["type"] == "http.response.body" and not counted_once:
                counted_once = True
                code = "ok" if status < 400 else str(status)
                # JSON-RPC errors travel in 200 answers: their code is in the body.
                found = (
                    None
                    if opened or status >= 400
                    else _RPC_ERROR.search(message.get("body", b"")[:2048])
                )
                if found:
                    code = found.group(1).decode()
                metrics.request(method(), code)
            await send(message)

        try:
            await app(scope, receive, watch)
        finally:
            if opened:
                metrics.sse(-1)

    return counted
