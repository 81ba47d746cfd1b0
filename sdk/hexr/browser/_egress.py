"""The browser's egress boundary: an allowlisting HTTP(S) proxy Chromium is forced through.

Chromium gets ``--proxy-server`` pointing here and ``--proxy-bypass-list=<-loopback>`` (so
loopback goes through the proxy too), with background networking, DNS prefetch and
non-proxied WebRTC switched off. The proxy resolves every destination itself, checks each
address against the allowlist and connects to the address it checked (no DNS rebinding
between check and connect). Loopback, private, link-local (cloud metadata), reserved and
multicast addresses are refused unless an allow entry names that address or network.
Each plain-HTTP request gets its own connection, so a redirect target or a reused
connection to another host is checked again; HTTPS is a CONNECT tunnel checked at setup.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["DENIED_HEADER", "EgressPolicy", "EgressProxy"]

DENIED_HEADER = "X-Hexr-Egress"
_MAX_HEAD = 64 * 1024
_CONNECT_TIMEOUT_S = 10.0
_IDLE_TIMEOUT_S = 60.0
_METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class _Entry:
    host: str | None = None
    network: _Network | None = None
    port: int | None = None

    def matches_host(self, host: str, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is None:
            return False
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host

    def covers(self, address: _Address, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        return self.network is not None and address in self.network


def _entry(text: str) -> _Entry:
    value = text.strip().lower()
    port: int | None = None
    if value.startswith("["):  # [v6]:port
        addr, _, rest = value[1:].partition("]")
        value, port = addr, int(rest[1:]) if rest.startswith(":") else None
    elif value.count(":") == 1:
        value, _, port_text = value.partition(":")
        port = int(port_text)
    try:
        return _Entry(network=ipaddress.ip_network(value, strict=False), port=port)
    except ValueError:
        if not value or "/" in value:
            raise ValueError(f"egress entry {text!r} is neither a host nor a network") from None
        return _Entry(host=value, port=port)


@dataclass(frozen=True)
class EgressPolicy:
    """Destinations the browser may reach: ``host``, ``*.domain``, IP or CIDR, each ``[:port]``."""

    allow: tuple[str, ...] = ()
    _entries: tuple[_Entry, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entries", tuple(_entry(a) for a in self.allow))

    def decide(self, host: str, port: int, addresses: Sequence[_Address]) -> bool:
        """Whether ``host:port``, resolved to ``addresses``, may be reached."""
        host = host.lower().rstrip(".")
        if not addresses:
            return False
        named = any(e.matches_host(host, port) for e in self._entries)
        for address in addresses:
            covered = any(e.covers(address, port) for e in self._entries)
            if _special(address):
                if not covered:  # a name never unlocks a special address, only the address
                    return False
            elif not (covered or named):
                return False
        return True


def _special(address: _Address) -> bool:
    return (
        address in _METADATA
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


class EgressProxy:
    """An asyncio forward proxy on loopback enforcing an `EgressPolicy`."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy
        self.blocked = 0
        """Requests refused so far."""
        self.blocked_hosts: list[str] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, unix_path: str | None = None) -> None:
        """Listen on an ephemeral loopback port, or on ``unix_path`` (for a namespaced browser)."""
        if unix_path is not None:
            self._server = await asyncio.start_unix_server(self._handle, unix_path)
            os.chmod(unix_path, 0o600)
            return
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening and drop open tunnels."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _resolve(self, host: str, port: int) -> list[_Address]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            return []
        found: list[_Address] = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in found:
                found.append(address)
        return found

    async def _allowed(self, host: str, port: int) -> _Address | None:
        addresses = await self._resolve(host, port)
        if not self.policy.decide(host, port, addresses):
            self.blocked += 1
            if len(self.blocked_hosts) < 100:
                self.blocked_hosts.append(f"{host}:{port}")
            return None
        return addresses[0]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _IDLE_TIMEOUT_S)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            writer.close()
            return
        try:
            if len(head) > _MAX_HEAD:
                await _refuse(writer, 431, "request head too large")
                return
            line, _, rest = head.decode("latin-1").partition("\r\n")
            parts = line.split(" ")
            if len(parts) != 3:
                await _refuse(writer, 400, "bad request")
                return
            method, target, version = parts
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward(method, target, version, rest, reader, writer)
        except (OSError, ValueError, TimeoutError):
            pass
        finally:
            writer.close()

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, port = _split_host_port(target, 443)
        address = await self._allowed(host, port)
        if address is None:
            await _refuse(writer, 403, "egress denied")
            return
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(str(address), port), _CONNECT_TIMEOUT_S
        )
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await _relay(reader, writer, up_reader, up_writer)

    async def _forward(
        self,
        method: str,
        target: str,
        version: str,
        rest: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        if not target.startswith("http://"):
            await _refuse(writer, 400, "absolute http URL expected")
            return
        authority, slash, path = target[len("http://") :].partition("/")
        host, port = _split_host_port(authority.rpartition("@")[2], 80)
        address = await self._allowed(host, port)
        if address is None:
            await _refuse(writer, 403, "egress denied")
            return
        headers = [
            h
            for h in rest.split("\r\n")
            if h and not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))
        ]
        request = f"{method} {slash}{path} {version}\r\n" + "\r\n".join(
            [*headers, "Connection: close"]
        )
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(str(address), port), _CONNECT_TIMEOUT_S
        )
        up_writer.write(request.encode("latin-1") + b"\r\n\r\n")
        await up_writer.drain()
        await _relay(reader, writer, up_reader, up_writer)


def _split_host_port(authority: str, default: int) -> tuple[str, int]:
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default
    host, sep, port = authority.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return authority, default


async def _refuse(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = f"hexr browser: {reason}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n{DENIED_HEADER}: denied\r\n"
        f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    with contextlib.suppress(OSError):
        await writer.drain()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await asyncio.wait_for(reader.read(65536), _IDLE_TIMEOUT_S)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (OSError, TimeoutError):
        pass
    finally:
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()


async def _relay(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    upload = asyncio.ensure_future(_pipe(reader, up_writer))
    try:
        await _pipe(up_reader, writer)
    finally:
        upload.cancel()
        up_writer.close()
