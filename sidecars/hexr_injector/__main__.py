"""``python -m hexr_injector``: serve the injector over mTLS with the process's SVID.

The process must run as a registered workload (its identity is the injector's service
SPIFFE ID). JWT-SVIDs are verified against the trust bundle from the Workload API unless
the config names a ``jwks_url``. Clients are authorized by trust domain at the TLS layer.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from typing import Any

import anyio.to_thread
import uvicorn

from hexr.errors import HexrError
from hexr.identity import authorize_trust_domain, default_source
from hexr.logs import configure_logging
from hexr_injector._config import InjectorSettings, load_config
from hexr_injector._connection_limits import BoundedServer, ConnectionLimits, bounded_protocol
from hexr_injector.app import build_service, create_app


def _setup_telemetry() -> None:
    # The same observability config as every Hexr process (YAML + HEXR_* + OTEL_*): spans
    # go to the configured backend (OTLP to the local collector by default), so the
    # exchange span joins the caller's trace there.
    from hexr import env as _env
    from hexr.telemetry import setup

    service = os.environ.get(_env.OTEL_SERVICE_NAME) or "hexr-credential-injector"
    setup(service_name=service)


def _listen_socket(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP (not 0, as socket.create_server leaves it): asyncio sets
    # TCP_NODELAY on accepted connections only then, and without it every response waits
    # ~40 ms for a delayed ACK (Nagle).
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    return sock


def connection_limits(settings: InjectorSettings) -> ConnectionLimits:
    """The connection bounds named by the settings."""
    return ConnectionLimits(
        handshake_timeout=settings.handshake_timeout_s,
        header_timeout=settings.header_timeout_s,
        max_connections=settings.max_connections,
    )


def server_config(app: Any, settings: InjectorSettings) -> uvicorn.Config:
    """uvicorn's settings for the injector (TLS is set by the caller, after ``load``)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        # Carries the mTLS peer's SPIFFE ID into each request (token binding) and bounds
        # the header time and the connection count.
        http=bounded_protocol(connection_limits(settings)),
        timeout_keep_alive=settings.keep_alive_s,
        limit_concurrency=settings.max_connections,
        # Only the asyncio loop: BoundedServer adds the TLS handshake deadline to it.
        loop="asyncio",
        # No uvicorn logging config: its own handlers would print server errors (an ASGI
        # traceback) as plain text past Hexr's JSON pipeline and its credential scrubber.
        log_config=None,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the injector until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m hexr_injector", description=__doc__)
    parser.add_argument("--config", help="YAML config (default: $HEXR_INJECTOR_CONFIG)")
    parser.add_argument("--port", type=int, help="port (default: $HEXR_INJECTOR_PORT, 8442)")
    parser.add_argument("--host", help="bind address (default: 127.0.0.1)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    try:
        settings = InjectorSettings(**overrides)
        if settings.config is None:
            parser.error("no config: pass --config or set HEXR_INJECTOR_CONFIG")
        config = load_config(settings.config)
        configure_logging(
            "injector", spiffe_id=f"spiffe://{config.trust_domain}/service/credential-injector"
        )
        source = default_source()
        _setup_telemetry()
        if config.jwks_url:
            jwks = None
        else:

            async def jwks() -> dict[str, object]:
                return await anyio.to_thread.run_sync(source.jwt_bundle_jwks)

        service = build_service(settings, config, jwks=jwks, bind_to_peer=True)
        ssl_context = source.server_ssl_context(authorize_trust_domain(config.trust_domain))
    except HexrError as exc:
        print(f"hexr-injector: {exc}", file=sys.stderr)
        return 2
    uv_config = server_config(create_app(settings, service=service), settings)
    uv_config.load()
    # The identity SDK reloads this context in place on every SVID rotation.
    uv_config.ssl = ssl_context
    # Bind here so port 0 works and the ready line names the real port before serving.
    sock = _listen_socket(settings.host, settings.port)
    port = sock.getsockname()[1]
    print(json.dumps({"url": f"https://{settings.host}:{port}"}), flush=True)
    BoundedServer(uv_config, connection_limits(settings)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
