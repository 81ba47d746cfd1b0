"""Loopback port allocation: configured ports first, else free ones from the kernel."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterable, Mapping

from hexr import env as _env
from hexr.errors import ConfigError

__all__ = ["allocate_ports", "configured_ports", "free_port"]

_MAX_ENTRIES = 64


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def configured_ports(raw: str | None = None) -> dict[str, int]:
    """Parse ``HEXR_DEV_PORTS`` (``name=port`` or ``name.role=port``, comma-separated).

    Raises:
        ConfigError: An entry is malformed or a port is out of range.
    """
    text = os.environ.get(_env.HEXR_DEV_PORTS, "") if raw is None else raw
    result: dict[str, int] = {}
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    if len(entries) > _MAX_ENTRIES:
        raise ConfigError(f"{_env.HEXR_DEV_PORTS}: more than {_MAX_ENTRIES} entries")
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip().isdigit():
            raise ConfigError(f"{_env.HEXR_DEV_PORTS}: expected name=port, got {entry[:64]!r}")
        port = int(value)
        if not 1 <= port <= 65535:
            raise ConfigError(f"{_env.HEXR_DEV_PORTS}: port out of range in {entry[:64]!r}")
        result[key.strip()] = port
    return result


def allocate_ports(
    requests: Iterable[tuple[str, tuple[str, ...]]], configured: Mapping[str, int]
) -> dict[str, dict[str, int]]:
    """Ports for each ``(component, roles)``: configured, else distinct free ports.

    A component's main (first) role may be configured as ``name=port``; any role as
    ``name.role=port``.
    """
    held: list[socket.socket] = []
    result: dict[str, dict[str, int]] = {}
    try:
        for name, roles in requests:
            ports: dict[str, int] = {}
            for index, role in enumerate(roles):
                fixed = configured.get(f"{name}.{role}")
                if fixed is None and index == 0:
                    fixed = configured.get(name)
                if fixed is not None:
                    ports[role] = fixed
                    continue
                # Keep each probe socket bound until all are chosen, so the kernel
                # never hands the same free port to two roles.
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.append(sock)
                sock.bind(("127.0.0.1", 0))
                ports[role] = int(sock.getsockname()[1])
            result[name] = ports
    finally:
        for sock in held:
            with contextlib.suppress(OSError):
                sock.close()
    return result
