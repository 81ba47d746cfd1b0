"""Health checks a spec can use: TCP, HTTP, Valkey PING, unix socket."""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from hexr_platform._spec import ComponentContext, HealthCheck

__all__ = ["http_ok", "tcp_ok", "unix_socket_ok", "valkey_ping"]

_TIMEOUT_S = 0.5


def tcp_ok(port_role: str | None = None) -> HealthCheck:
    """Healthy when the (main or named) port accepts a TCP connection."""

    def check(ctx: ComponentContext) -> bool:
        port = ctx.ports[port_role] if port_role else ctx.port
        try:
            with socket.create_connection((ctx.host, port), timeout=_TIMEOUT_S):
                return True
        except OSError:
            return False

    return check


def http_ok(
    path: str,
    *,
    method: str = "GET",
    port_role: str | None = None,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> HealthCheck:
    """Healthy when ``method path`` on the (main or named) port answers 2xx."""

    def check(ctx: ComponentContext) -> bool:
        port = ctx.ports[port_role] if port_role else ctx.port
        try:
            response = httpx.request(
                method,
                f"http://{ctx.host}:{port}{path}",
                content=body,
                headers=dict(headers or {}),
                timeout=_TIMEOUT_S,
            )
        except httpx.HTTPError:
            return False
        return response.is_success

    return check


def valkey_ping(ctx: ComponentContext) -> bool:
    """Healthy when Valkey answers ``PING`` with ``+PONG`` (it may load data first)."""
    try:
        with socket.create_connection((ctx.host, ctx.port), timeout=_TIMEOUT_S) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def unix_socket_ok(path_of: Callable[[ComponentContext], Path]) -> HealthCheck:
    """Healthy when the unix socket at ``path_of(ctx)`` accepts a connection."""

    def check(ctx: ComponentContext) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_TIMEOUT_S)
            try:
                sock.connect(str(path_of(ctx)))
            except OSError:
                return False
            return True

    return check
