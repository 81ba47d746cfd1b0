"""The gateway's `hexr dev up` entry and the client span's content rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hexr import _env
from hexr.gateway._telemetry import describe_call
from hexr_gateway.platform import gateway_spec
from hexr_platform import ComponentContext, components


def _context(home: Path) -> ComponentContext:
    peers: dict[str, ComponentContext] = {}
    peers["identity"] = ComponentContext("identity", {"http": 41001}, home, peers)
    peers["openbao"] = ComponentContext("openbao", {"port": 41002}, home, peers)
    peers["valkey"] = ComponentContext("valkey", {"port": 41005}, home, peers)
    peers["gateway"] = ComponentContext("gateway", {"metrics": 41004, "http": 41003}, home,
                                        peers)
    return peers["gateway"]


def test_registered_through_the_entry_point_after_its_dependencies() -> None:
    names = [spec.name for spec in components()]
    assert names.count("gateway") == 1
    assert names.index("gateway") > names.index("identity")


def test_runs_as_the_gateway_identity_with_a_deny_all_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_env.HEXR_GATEWAY_CONFIG, raising=False)
    monkeypatch.delenv(_env.HEXR_TRUST_DOMAIN, raising=False)
    ctx = _context(tmp_path)
    spec = gateway_spec()
    argv = spec.argv(ctx, "/usr/bin/python3")
    assert "spiffe://hexr.local/service/gateway" in argv
    assert argv[argv.index("--port") + 1] == "41003"
    assert spec.prepare is not None
    spec.prepare(ctx)
    config = yaml.safe_load((ctx.data_dir / "gateway.yaml").read_text())
    assert config["grants"] == []
    assert config["upstreams"] == []
    assert config["valkey_url"] == "valkey://127.0.0.1:41005"
    assert spec.publish is not None
    assert spec.publish(ctx) == {_env.HEXR_GATEWAY_URL: "http://127.0.0.1:41003"}


@pytest.mark.parametrize("capture", [False, True])
def test_arguments_reach_the_span_only_when_captured_and_redacted(capture: bool) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("hexr.gateway.call") as span:
        describe_call(span, "shop_op", {"city": "Oslo", "api_key": "sk-live-abc123"}, capture)
    (finished,) = exporter.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert attributes["tool_name"] == "shop_op"
    if not capture:
        assert "arguments" not in attributes
    else:
        assert "Oslo" in str(attributes["arguments"])
        assert "sk-live-abc123" not in str(attributes["arguments"])
