"""``python -m hexr_a2a --agent pkg.module:function``: serve one agent over A2A (mTLS).

The process must run as the agent's registered ``a2a`` workload
(``spiffe://{td}/agent/{tenant}/{agent}/a2a``): tenant and agent come from its own
X.509-SVID, never from flags. It imports the ``@serves_a2a`` function, serves it on
mTLS with that SVID, and prints one ready line ``{"url": ...}`` on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import socket
import sys
import uuid
from collections.abc import Callable
from typing import Any

import uvicorn
import yaml

from hexr import env as _env
from hexr.a2a import RegistryEntry, declaration_of
from hexr.endpoints import with_valkey_credentials
from hexr.errors import ConfigError, HexrError
from hexr.identity import authorize_trust_domain, default_source
from hexr.logs import configure_logging
from hexr_a2a._auth import PeerIdentityH11Protocol
from hexr_a2a._lifecycle import Lifecycle
from hexr_a2a.app import build_policy, create_sidecar, key_prefix

DEFAULT_VALKEY_URL = "redis://127.0.0.1:6379/0"


def load_function(spec: str) -> Callable[..., Any]:
    """Import ``module:function``.

    Raises:
        ConfigError: not importable, or not marked ``@serves_a2a``.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"--agent must be module:function, got {spec!r}")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import agent function {spec!r}: {exc}") from exc
    if declaration_of(func) is None:
        raise ConfigError(f"{spec} is not marked @serves_a2a")
    return func  # type: ignore[no-any-return]


def _listen_socket(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (no 40 ms Nagle).
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    # Listen now: the registry entry and the ready line go out before uvicorn serves, and
    # callers that connect in between must queue, not be refused.
    sock.listen(2048)
    return sock


def _policy_data(path: str | None) -> dict[str, Any]:
    if not path:
        return {"cross_tenant": []}
    try:
        with open(path) as handle:
            document = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read A2A policy data {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise ConfigError("A2A policy data must be a mapping")
    document.setdefault("cross_tenant", [])
    return document


async def _serve(args: argparse.Namespace) -> int:
    import valkey.asyncio as valkey_asyncio

    from hexr.telemetry import setup

    source = default_source()
    me = source.spiffe_id
    if me.kind != "agent":
        raise ConfigError(f"the A2A sidecar must run as an agent identity, not {me}")
    configure_logging("a2a", spiffe_id=str(me))
    os.environ.setdefault(_env.OTEL_SERVICE_NAME, f"hexr-a2a-{me.agent}")
    setup(agent_name=me.agent, tenant=me.tenant, role=me.role or "a2a")
    func = load_function(args.agent)
    declaration = declaration_of(func)
    assert declaration is not None  # noqa: S101 - checked by load_function
    # The platform publishes the URL without a password: the sidecar, a process of the
    # platform's user, takes the shared user's from the secrets directory.
    url = with_valkey_credentials(
        args.valkey_url or os.environ.get(_env.HEXR_VALKEY_URL) or DEFAULT_VALKEY_URL
    )
    valkey = valkey_asyncio.Valkey.from_url(url)

    sock = _listen_socket(args.host, args.port)
    base_url = f"https://{args.host}:{sock.getsockname()[1]}"
    replica = uuid.uuid4().hex[:12]
    sidecar = create_sidecar(
        func,
        declaration,
        me,
        base_url,
        valkey=valkey,
        valkey_factory=lambda: valkey_asyncio.Valkey.from_url(url),
        policy=build_policy(_policy_data(args.policy_data)),
        replica=replica,
        push=not args.no_push,
        push_allow=[h for value in args.push_allow for h in value.split(",") if h],
    )
    lifecycle = Lifecycle(
        valkey,
        sidecar.store,
        prefix=key_prefix(me),
        replica=replica,
        tenant=me.tenant or "",
        agent=me.agent or "",
        entry=RegistryEntry(url=base_url, spiffe_id=str(me)),
    )
    config = uvicorn.Config(
        sidecar.app,
        log_level="warning",
        access_log=False,
        http=PeerIdentityH11Protocol,
        log_config=None,
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    config.load()
    # The identity SDK reloads this context in place on every SVID rotation.
    config.ssl = source.server_ssl_context(authorize_trust_domain(me.trust_domain))
    await lifecycle.start()
    await lifecycle.sweep()  # fail what a killed predecessor left running, before serving
    print(json.dumps({"url": base_url, "spiffe_id": str(me)}), flush=True)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        await lifecycle.stop()
        await sidecar.handler.aclose()
        await valkey.aclose()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the sidecar until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m hexr_a2a", description=__doc__)
    parser.add_argument(
        "--agent",
        default=os.environ.get(_env.HEXR_A2A_AGENT),
        help="module:function of the @serves_a2a agent",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get(_env.HEXR_A2A_PORT, "0")))
    parser.add_argument("--valkey-url", help="default: $HEXR_VALKEY_URL")
    parser.add_argument(
        "--policy-data",
        default=os.environ.get(_env.HEXR_A2A_POLICY),
        help="YAML: callers, cross_tenant allow lists",
    )
    parser.add_argument("--no-push", action="store_true", help="turn push notifications off")
    parser.add_argument(
        "--push-allow",
        action="append",
        default=[v for v in [os.environ.get(_env.HEXR_A2A_PUSH_ALLOW, "")] if v],
        help="host or host:port allowed as a push target although not public (repeatable)",
    )
    args = parser.parse_args(argv)
    if not args.agent:
        parser.error("no agent: pass --agent module:function or set HEXR_A2A_AGENT")
    try:
        return asyncio.run(_serve(args))
    except HexrError as exc:
        print(f"hexr-a2a: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
