"""``python -m hexr_gateway``: serve the gateway (MCP at ``/mcp``) over HTTP.

The process should run as the registered workload ``spiffe://{td}/service/gateway``: its
SVID logs it in to the vault (read-only on ``tenants/*/upstreams/*``) and supplies the
trust bundle JWT-SVIDs are verified against, unless the config names a ``jwks_url``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from typing import Any

import uvicorn

from hexr import env as _env
from hexr.errors import HexrError
from hexr.logs import configure_logging
from hexr_gateway._config import GatewaySettings, load_config
from hexr_gateway.app import build_service, create_app


def _setup_telemetry() -> None:
    from hexr.telemetry import setup

    setup(service_name=os.environ.get(_env.OTEL_SERVICE_NAME) or "hexr-gateway")


def _listen_socket(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP so asyncio sets TCP_NODELAY on accepted connections (no 40 ms Nagle stall).
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    # Listening before the URL is printed: a client connecting at once is queued, not refused.
    sock.listen(2048)
    return sock


def _jwks_from_workload_api() -> Any:
    import anyio.to_thread

    from hexr.identity import default_source

    source = default_source()

    async def jwks() -> dict[str, object]:
        return await anyio.to_thread.run_sync(source.jwt_bundle_jwks)

    return jwks


def main(argv: list[str] | None = None) -> int:
    """Run the gateway until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m hexr_gateway", description=__doc__)
    parser.add_argument("--config", help="YAML config (default: $HEXR_GATEWAY_CONFIG)")
    parser.add_argument("--port", type=int, help="port (default: $HEXR_GATEWAY_PORT, 8450)")
    parser.add_argument("--host", help="bind address (default: 127.0.0.1)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        settings = GatewaySettings(**overrides)
        if settings.config is None:
            parser.error("no config: pass --config or set HEXR_GATEWAY_CONFIG")
        config = load_config(settings.config)
        configure_logging("gateway", spiffe_id=config.resolved_audience)
        _setup_telemetry()
        jwks = None if config.jwks_url else _jwks_from_workload_api()
        service = build_service(config, jwks=jwks)
    except HexrError as exc:
        print(f"hexr-gateway: {exc}", file=sys.stderr)
        return 2
    uv_config = uvicorn.Config(
        create_app(settings, service=service),
        log_level="warning",
        access_log=False,
        # uvicorn's own handlers would print tracebacks past Hexr's scrubbing JSON logs.
        log_config=None,
    )
    sock = _listen_socket(settings.host, settings.port)
    port = sock.getsockname()[1]
    print(json.dumps({"url": f"http://{settings.host}:{port}", "tools": {
        t: len(service.catalog.tools(t)) for t in service.catalog.tenants()
    }}), flush=True)
    uvicorn.Server(uv_config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
