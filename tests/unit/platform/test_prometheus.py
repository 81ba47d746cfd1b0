from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from hexr_platform import ComponentContext, write_targets
from hexr_platform._prometheus import prepare_alertmanager, prometheus_config, prometheus_preparer


def _ctx(home: Path, name: str, port: int, peers: dict[str, ComponentContext]) -> ComponentContext:
    ctx = ComponentContext(name, {"port": port}, home, peers)
    peers[name] = ctx
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    return ctx


def test_generated_prometheus_config_is_valid(tmp_path: Path) -> None:
    peers: dict[str, ComponentContext] = {}
    _ctx(tmp_path, "alertmanager", 19093, peers)
    prom = _ctx(tmp_path, "prometheus", 19090, peers)
    prometheus_preparer("2s")(prom)
    config = prom.data_dir / "prometheus.yml"
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    check = subprocess.run([promtool, "check", "config", str(config)], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    alerting = prometheus_config(prom)["alerting"]
    assert "127.0.0.1:19093" in json.dumps(alerting)


def test_config_without_alertmanager_has_no_alerting(tmp_path: Path) -> None:
    prom = _ctx(tmp_path, "prometheus", 19090, {})
    assert "alerting" not in prometheus_config(prom)


def test_local_alertmanager_config_is_valid(tmp_path: Path) -> None:
    ctx = _ctx(tmp_path, "alertmanager", 19093, {})
    prepare_alertmanager(ctx)
    amtool = shutil.which("amtool") or "/usr/bin/amtool"
    check = subprocess.run(
        [amtool, "check-config", str(ctx.data_dir / "alertmanager.yml")], capture_output=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_write_targets_is_a_file_sd_group(tmp_path: Path) -> None:
    path = write_targets(tmp_path, "svc", ["127.0.0.1:1234"], "/m")
    assert json.loads(path.read_text()) == [
        {"targets": ["127.0.0.1:1234"], "labels": {"job": "svc", "__metrics_path__": "/m"}}
    ]
    assert not list(path.parent.glob("*.tmp"))
