"""The component fixtures start real, usable components and keep their contracts."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import hvac
import pytest
import valkey

from hexr_platform import Platform, ProcessRef
from tests.fixtures.platform import CollectorHandle, ComponentHandle, OpenBaoHandle

# A minimal, valid OTLP/JSON export request: one span.
_SPAN_JSON = {
    "resourceSpans": [
        {
            "resource": {"attributes": []},
            "scopeSpans": [
                {
                    "spans": [
                        {
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "name": "fixture-test",
                            "kind": 1,
                            "startTimeUnixNano": "1544712660000000000",
                            "endTimeUnixNano": "1544712661000000000",
                        }
                    ]
                }
            ],
        }
    ]
}


def _eventually_contains(path: Path, needle: str, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if needle in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def test_valkey_server_serves_commands(valkey_server: ComponentHandle) -> None:
    assert valkey_server.url == f"valkey://127.0.0.1:{valkey_server.port}"
    client = valkey.Valkey.from_url(valkey_server.url)
    client.set("fixture-key", "v")
    assert client.get("fixture-key") == b"v"
    assert ProcessRef.of(valkey_server.pid) is not None


def test_valkey_factory_restarts_on_same_port(
    valkey_server_factory: Callable[[], ComponentHandle],
) -> None:
    server = valkey_server_factory()
    port, first_pid = server.port, server.pid
    server.stop()
    with pytest.raises(valkey.ConnectionError):
        valkey.Valkey.from_url(server.url, socket_timeout=1).ping()
    server.start()
    assert server.port == port
    assert server.pid != first_pid
    assert valkey.Valkey.from_url(server.url).ping()


def test_openbao_server_accepts_root_token(openbao_server: OpenBaoHandle) -> None:
    client = hvac.Client(url=openbao_server.url, token=openbao_server.root_token)
    assert client.is_authenticated()
    client.secrets.kv.v2.create_or_update_secret(path="fixture", secret={"k": "v"})
    read = client.secrets.kv.v2.read_secret_version(path="fixture", raise_on_deleted_version=True)
    assert read["data"]["data"] == {"k": "v"}
    assert not hvac.Client(url=openbao_server.url, token="wrong").is_authenticated()


def test_collector_accepts_otlp(collector: CollectorHandle) -> None:
    assert collector.otlp_grpc_endpoint.startswith("http://127.0.0.1:")
    response = httpx.post(f"{collector.otlp_http_endpoint}/v1/traces", json=_SPAN_JSON)
    assert response.status_code == 200


def test_collector_factory_forwards_to_another_collector(
    collector: CollectorHandle, collector_factory: Callable[[list[str]], CollectorHandle]
) -> None:
    receiver = collector_factory(
        ["--exporter", "blackhole", "--debug-log", "traces", "--debug-log-verbosity", "detailed"]
    )
    grpc_target = receiver.otlp_grpc_endpoint
    forwarder = collector_factory(["--exporter", "otlp", "--otlp-exporter-endpoint", grpc_target])
    response = httpx.post(f"{forwarder.otlp_http_endpoint}/v1/traces", json=_SPAN_JSON)
    assert response.status_code == 200
    # The receiver's debug log shows the span once the forwarder's batch is exported.
    assert _eventually_contains(receiver.log_path, "fixture-test")


def test_prometheus_scrapes_itself_and_sees_alertmanager(
    prometheus_server: ComponentHandle, alertmanager_server: ComponentHandle
) -> None:
    for _ in range(100):
        result = httpx.get(f"{prometheus_server.url}/api/v1/query", params={"query": "up"})
        series = result.json()["data"]["result"]
        if series:
            break
        time.sleep(0.1)
    assert any(s["metric"]["job"] == "prometheus" for s in series)
    ams = httpx.get(f"{prometheus_server.url}/api/v1/alertmanagers").json()["data"]
    urls = [am["url"] for am in ams["activeAlertmanagers"]]
    assert any(str(alertmanager_server.port) in url for url in urls)


def test_pushgateway_accepts_pushes(pushgateway_server: ComponentHandle) -> None:
    body = "# TYPE fixture_metric counter\nfixture_metric 3\n"
    response = httpx.put(f"{pushgateway_server.url}/metrics/job/fixture", content=body)
    assert response.status_code == 200
    assert "fixture_metric" in httpx.get(f"{pushgateway_server.url}/metrics").text


def test_first_start_moves_off_a_port_taken_meanwhile(tmp_path: Path) -> None:
    from hexr_platform.builtin.valkey import valkey_spec

    handle = ComponentHandle(valkey_spec(), tmp_path, {})
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", handle.port))
        squatter.listen()
        taken = handle.port
        try:
            handle.start()
            assert handle.port != taken
            assert valkey.Valkey.from_url(handle.url).ping()
        finally:
            handle.stop()


def test_local_platform_publishes_every_endpoint(local_platform: Platform) -> None:
    from hexr._settings import published_env

    env = published_env(local_platform.home)
    assert valkey.Valkey.from_url(env["HEXR_VALKEY_URL"]).ping()
    assert httpx.get(f"{env['HEXR_VAULT_ADDR']}/v1/sys/health").status_code == 200
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://127.0.0.1:")
