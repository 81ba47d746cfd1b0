"""deploy/: the protected-scrape Prometheus config and the ServiceMonitor.

The scrape config is checked with ``promtool`` and then run for real: Prometheus scrapes a
protected ``/metrics`` with the shipped basic-auth and bearer jobs (``up == 1``) while the
same target without credentials is refused (``up == 0``).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from hexr.telemetry._metrics_auth import MetricsGuard, wsgi_middleware

ROOT = Path(__file__).resolve().parents[3]
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "scrape-protected.yml"
SERVICE_MONITOR = ROOT / "deploy" / "kubernetes" / "servicemonitor.yaml"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PASSWORD = "scrape-password-42"
TOKEN = "scrape-token-0123456789abcdef"


def test_service_monitor_has_the_required_structure() -> None:
    (doc,) = list(yaml.safe_load_all(SERVICE_MONITOR.read_text()))
    assert doc["apiVersion"] == "monitoring.coreos.com/v1"
    assert doc["kind"] == "ServiceMonitor"
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", doc["metadata"]["name"])
    spec = doc["spec"]
    assert spec["selector"]["matchLabels"]
    assert spec["namespaceSelector"]["matchNames"]
    assert spec["endpoints"]
    for endpoint in spec["endpoints"]:
        assert endpoint["port"] == "metrics"
        assert endpoint["path"] == "/metrics"
        assert re.fullmatch(r"\d+[smh]", endpoint["interval"])
        # Credentials come from a Secret reference, never inline.
        assert "bearerToken" not in endpoint
        assert "bearerTokenFile" not in endpoint
        credentials = endpoint["authorization"]["credentials"]
        assert set(credentials) == {"name", "key"}
        assert endpoint["authorization"]["type"] == "Bearer"
        for relabel in endpoint.get("relabelings", []):
            assert relabel["targetLabel"] in {"tenant", "agent"}


def _localized(tmp_path: Path, target: str | None = None) -> dict[str, Any]:
    """The shipped config with credential files (and optionally targets) made local."""
    config: dict[str, Any] = yaml.safe_load(SCRAPE_CONFIG.read_text())
    secrets = tmp_path / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "password").write_text(PASSWORD)
    (secrets / "token").write_text(TOKEN)
    for job in config["scrape_configs"]:
        if "basic_auth" in job:
            job["basic_auth"]["password_file"] = str(secrets / "password")
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(secrets / "token")
        if target is not None:
            for group in job["static_configs"]:
                group["targets"] = [target]
    return config


def test_shipped_scrape_config_shows_basic_auth_and_bearer() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["hexr-basic-auth"]["basic_auth"]["password_file"]
    assert "password" not in jobs["hexr-basic-auth"]["basic_auth"]
    assert jobs["hexr-bearer"]["authorization"]["type"] == "Bearer"
    assert jobs["hexr-bearer"]["authorization"]["credentials_file"]
    assert "credentials" not in jobs["hexr-bearer"]["authorization"]


def test_scrape_config_passes_promtool(tmp_path: Path) -> None:
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(_localized(tmp_path)))
    result = subprocess.run(
        [PROMTOOL, "check", "config", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def protected_target() -> Iterator[str]:
    registry = CollectorRegistry()
    Counter("hexr_deploy_probe", "Scraped by the deploy test.", registry=registry).inc()
    guard = MetricsGuard(basic_auth=("prometheus", PASSWORD), bearer_token=TOKEN)
    app = wsgi_middleware(guard)(make_wsgi_app(registry))
    server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def prometheus(tmp_path: Path, protected_target: str) -> Iterator[str]:
    config = _localized(tmp_path, protected_target)
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    # The same target without credentials: Prometheus must be refused.
    anonymous = copy.deepcopy(config["scrape_configs"][1])
    anonymous["job_name"] = "anonymous"
    anonymous.pop("authorization")
    config["scrape_configs"].append(anonymous)
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = _free_port()
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={path}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        log.close()


def _up(base: str) -> dict[str, float]:
    try:
        response = httpx.get(f"{base}/api/v1/query", params={"query": "up"}, timeout=2)
        results = response.json()["data"]["result"]
    except (httpx.HTTPError, KeyError, ValueError):
        return {}
    return {r["metric"]["job"]: float(r["value"][1]) for r in results}


def test_prometheus_scrapes_protected_metrics_only_with_credentials(prometheus: str) -> None:
    deadline = time.monotonic() + 30
    up: dict[str, float] = {}
    while time.monotonic() < deadline:
        up = _up(prometheus)
        if len(up) == 3:
            break
        time.sleep(0.5)
    assert up == {"hexr-basic-auth": 1.0, "hexr-bearer": 1.0, "anonymous": 0.0}
    probe = httpx.get(
        f"{prometheus}/api/v1/query", params={"query": "hexr_deploy_probe_total"}, timeout=5
    ).json()["data"]["result"]
    assert {r["metric"]["job"] for r in probe} == {"hexr-basic-auth", "hexr-bearer"}


COST_RULES = ROOT / "deploy" / "prometheus" / "cost-rules.yml"


def test_cost_rules_pass_promtool_check() -> None:
    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(COST_RULES)], capture_output=True, text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_cost_rules_compute_hourly_cost_budget_burn_and_alert(tmp_path: Path) -> None:
    # Tenant "example" (budget 5 USD/h) spends 0.125 USD per minute = 7.5 USD/h: burn 1.5.
    # Tenant "frugal" has no budget rule: no burn series, no alert. (Binary fractions keep
    # promtool's exact float comparison exact.)
    tests = {
        "rule_files": [str(COST_RULES)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": 'hexr_llm_cost_usd_total{tenant="example",agent_name="a"}',
                 "values": "0+0.0625x120"},
                {"series": 'hexr_llm_cost_usd_total{tenant="example",agent_name="b"}',
                 "values": "0+0.0625x120"},
                {"series": 'hexr_llm_cost_usd_total{tenant="frugal",agent_name="c"}',
                 "values": "0+0.015625x120"},
                {"series": 'hexr_llm_unpriced_calls_total{tenant="frugal",'
                           'gen_ai_request_model="mystery"}',
                 "values": "0+1x120"},
                {"series": 'hexr_agent_sessions_total{tenant="example",status="completed"}',
                 "values": "0+3x120"},
                {"series": 'hexr_agent_sessions_total{tenant="example",status="failed"}',
                 "values": "0+1x120"},
            ],
            "promql_expr_test": [
                {"expr": "hexr:llm_cost_usd:increase1h", "eval_time": "90m",
                 "exp_samples": [{"labels": 'hexr:llm_cost_usd:increase1h{tenant="example"}',
                                  "value": 7.5},
                                 {"labels": 'hexr:llm_cost_usd:increase1h{tenant="frugal"}',
                                  "value": 0.9375}]},
                {"expr": "hexr:llm_budget_burn:ratio1h", "eval_time": "90m",
                 "exp_samples": [{"labels": 'hexr:llm_budget_burn:ratio1h{tenant="example"}',
                                  "value": 1.5}]},
                {"expr": "hexr:agent_session_completion:ratio1h", "eval_time": "90m",
                 "exp_samples": [{"labels":
                                  'hexr:agent_session_completion:ratio1h{tenant="example"}',
                                  "value": 0.75}]},
            ],
            "alert_rule_test": [
                {"eval_time": "90m", "alertname": "HexrTenantLLMBudgetExceeded",
                 "exp_alerts": [{
                     "exp_labels": {"severity": "warning", "tenant": "example",
                                    "team": "finance", "component": "llm"},
                     "exp_annotations": {
                         "summary": "Tenant example spent more than its hourly LLM budget",
                         "description": "LLM cost over the last hour is 150% of the tenant's"
                         " hourly budget (hexr:tenant_llm_budget_usd:hourly).",
                     },
                 }]},
                {"eval_time": "90m", "alertname": "HexrLLMUnpricedCalls",
                 "exp_alerts": [{
                     "exp_labels": {"severity": "info", "tenant": "frugal",
                                    "team": "finance", "component": "llm",
                                    "gen_ai_request_model": "mystery"},
                     "exp_annotations": {
                         "summary": "Model mystery has no price; its cost is not counted",
                         "description": "Add the model to the price table (HEXR_PRICES_FILE)"
                         " so tenant frugal's spend is complete.",
                     },
                 }]},
            ],
        }],
    }
    path = tmp_path / "cost-rules-test.yml"
    path.write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
