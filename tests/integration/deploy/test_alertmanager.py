"""The deployment's Alertmanager config: valid, routed by team and severity, inhibiting
the alerts of a down component's dependants (checked on a real Alertmanager)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "deploy" / "alertmanager" / "alertmanager.yml"
AMTOOL = shutil.which("amtool") or "/usr/bin/amtool"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


def test_config_passes_amtool_check() -> None:
    result = subprocess.run(
        [AMTOOL, "check-config", str(CONFIG)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["team=platform", "severity=critical"], "pagerduty-platform"),
        (["team=platform", "severity=warning"], "slack-platform"),
        (["team=platform", "severity=info"], "slack-platform-info"),
        (["team=finance", "severity=critical"], "pagerduty-finance,slack-finance"),
        (["team=finance", "severity=warning"], "slack-finance"),
        (["severity=critical"], "slack-platform"),  # unlabelled team: the default
    ],
)
def test_routes_by_team_and_severity(labels: list[str], receivers: str) -> None:
    result = subprocess.run(
        [AMTOOL, "config", "routes", "test", f"--config.file={CONFIG}", *labels],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == receivers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def deployed_alertmanager(tmp_path: Path) -> Iterator[str]:
    """A real Alertmanager running the deploy config (secret files in ``tmp_path``)."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for name in ("slack-webhook-url", "pagerduty-platform-key", "pagerduty-finance-key"):
        (secrets / name).write_text("https://127.0.0.1:9/unused\n")
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.read_text().replace("/etc/alertmanager/secrets", str(secrets)))
    port = _free_port()
    proc = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def _alert(name: str, **labels: str) -> dict[str, object]:
    return {"labels": {"alertname": name, **labels}, "annotations": {"summary": name}}


def test_component_down_inhibits_its_dependants(deployed_alertmanager: str) -> None:
    url = deployed_alertmanager
    alerts = [
        _alert("HexrComponentDown", component="identity", team="platform", severity="critical"),
        _alert("HexrCredentialExchangeFailing", component="injector", team="platform",
               severity="critical"),
        _alert("HexrCacheHitRatioDrop", component="valkey", team="platform", severity="warning",
               tier="L2"),
        _alert("HexrTokenBudgetFastBurn", component="llm", team="finance", severity="critical",
               tenant="acme"),
    ]
    httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5).raise_for_status()
    state: dict[str, str] = {}
    for _ in range(100):  # inhibition is computed asynchronously after ingestion
        got = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
        state = {a["labels"]["alertname"]: a["status"]["state"] for a in got}
        if len(state) == 4 and state["HexrCredentialExchangeFailing"] == "suppressed":
            break
        time.sleep(0.1)
    assert state == {
        "HexrComponentDown": "active",
        "HexrCredentialExchangeFailing": "suppressed",  # the injector depends on identity
        "HexrCacheHitRatioDrop": "active",  # valkey does not
        "HexrTokenBudgetFastBurn": "active",
    }


def test_local_alertmanager_inhibits_like_the_deployment() -> None:
    import yaml

    local = ROOT / "deploy" / "local" / "alertmanager.yml"
    result = subprocess.run(
        [AMTOOL, "check-config", str(local)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (yaml.safe_load(local.read_text())["inhibit_rules"]
            == yaml.safe_load(CONFIG.read_text())["inhibit_rules"])
