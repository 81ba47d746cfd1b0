from __future__ import annotations

import socket

import pytest

from hexr.errors import ConfigError
from hexr_platform import allocate_ports, configured_ports


def test_configured_ports_parses_names_and_roles() -> None:
    parsed = configured_ports(" valkey=6379, collector.grpc=4317 ,")
    assert parsed == {"valkey": 6379, "collector.grpc": 4317}


def test_configured_ports_reads_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXR_DEV_PORTS", "openbao=8200")
    assert configured_ports() == {"openbao": 8200}


@pytest.mark.parametrize("raw", ["valkey", "valkey=", "=1", "valkey=abc", "valkey=0", "v=70000"])
def test_configured_ports_rejects_malformed(raw: str) -> None:
    with pytest.raises(ConfigError, match="HEXR_DEV_PORTS"):
        configured_ports(raw)


def test_configured_ports_bounds_entry_count() -> None:
    with pytest.raises(ConfigError, match="more than"):
        configured_ports(",".join(f"c{i}=1{i:03d}" for i in range(65)))


def test_allocate_ports_gives_distinct_free_ports() -> None:
    ports = allocate_ports([("a", ("grpc", "http")), ("b", ("port",))], {})
    values = [ports["a"]["grpc"], ports["a"]["http"], ports["b"]["port"]]
    assert len(set(values)) == 3
    for port in values:  # each is bindable right now
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_allocate_ports_honours_configured_main_and_role() -> None:
    ports = allocate_ports(
        [("valkey", ("port",)), ("collector", ("grpc", "http"))],
        {"valkey": 16379, "collector.http": 14318},
    )
    assert ports["valkey"] == {"port": 16379}
    assert ports["collector"]["http"] == 14318
    assert ports["collector"]["grpc"] not in (16379, 14318)
