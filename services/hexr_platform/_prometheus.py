"""Generated configuration of the local Prometheus and Alertmanager.

Prometheus discovers scrape targets through ``file_sd``: every JSON file in
``$HEXR_HOME/prometheus/targets/`` is a target group, so a component (or a later service)
adds itself by dropping one file there, without a restart. Alert and recording rules are
loaded from ``$HEXR_HOME/prometheus/rules/*.yml``, which starts with the deployment's
rules (``deploy/prometheus/*-rules.yml``).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import yaml

from hexr_platform._webauth import WEB_USER, web_password, web_password_file
from hexr_platform.component import ComponentContext

__all__ = [
    "prepare_alertmanager",
    "prometheus_config",
    "prometheus_preparer",
    "rules_dir",
    "targets_dir",
    "write_targets",
]

_DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_ALERTMANAGER_TEMPLATE = _DEPLOY / "local" / "alertmanager.yml"
_RULE_FILES = ("hexr-rules.yml", "cost-rules.yml")
"""The deployment's recording and alert rules, loaded by the local Prometheus too."""
_DEFAULT_ALERTMANAGER = """\
route:
  receiver: local
receivers:
  - name: local
"""


def targets_dir(home: Path) -> Path:
    """Directory of file_sd target files the local Prometheus watches."""
    return home / "prometheus" / "targets"


def rules_dir(home: Path) -> Path:
    """Directory of rule files (``*.yml``) the local Prometheus loads."""
    return home / "prometheus" / "rules"


def write_targets(
    home: Path, job: str, targets: list[str], metrics_path: str = "/metrics"
) -> Path:
    """Atomically write the file_sd group for ``job`` and return its path.

    ``metrics_path`` may carry a query string (``/v1/sys/metrics?format=prometheus``).
    """
    directory = targets_dir(home)
    directory.mkdir(parents=True, exist_ok=True)
    path_only, _, query = metrics_path.partition("?")
    labels = {"job": job, "__metrics_path__": path_only}
    # Query parameters (e.g. OpenBao's ?format=prometheus) travel as __param_ labels.
    labels.update({f"__param_{k}": v for k, v in urllib.parse.parse_qsl(query)})
    group = [{"targets": targets, "labels": labels}]
    path = directory / f"{job}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(group))
    os.replace(tmp, path)  # Prometheus must never read a half-written file
    return path


def prometheus_config(
    ctx: ComponentContext, interval: str = "5s", *, authenticated_peers: bool = True
) -> dict[str, object]:
    """The Prometheus configuration for ``ctx``'s platform (scrape/evaluate every ``interval``).

    With ``authenticated_peers`` (the platform) Alertmanager and the Pushgateway are reached
    with their basic-auth credentials, each scraped by a job of its own.
    """
    config: dict[str, object] = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(rules_dir(ctx.home) / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "hexr",
                "file_sd_configs": [
                    {"files": [str(targets_dir(ctx.home) / "*.json")], "refresh_interval": "5s"}
                ],
                # Pushed groups carry the pushing job's labels; keep them.
                "honor_labels": True,
            }
        ],
    }
    alertmanager = ctx.peers.get("alertmanager")
    if alertmanager is not None:
        target: dict[str, object] = {
            "static_configs": [{"targets": [f"{alertmanager.host}:{alertmanager.port}"]}]
        }
        if authenticated_peers:
            target.update(_basic_auth(alertmanager))
        config["alerting"] = {"alertmanagers": [target]}
    scrapes = config["scrape_configs"]
    assert isinstance(scrapes, list)  # noqa: S101 (built just above)
    for name in ("alertmanager", "pushgateway"):
        peer = ctx.peers.get(name)
        if peer is not None and authenticated_peers:
            # Protected components are scraped with their credentials, by their own job.
            scrapes.append(
                {
                    "job_name": name,
                    "static_configs": [{"targets": [f"{peer.host}:{peer.port}"]}],
                    "honor_labels": True,
                    **_basic_auth(peer),
                }
            )
    return config


def _basic_auth(peer: ComponentContext) -> dict[str, object]:
    web_password(peer.home, peer.name)  # the peer may start after this config is written
    path = web_password_file(peer.home, peer.name)
    return {"basic_auth": {"username": WEB_USER, "password_file": str(path)}}


def prometheus_preparer(
    interval: str = "5s", *, authenticated_peers: bool = True
) -> Callable[[ComponentContext], None]:
    """A ``prepare`` hook writing ``prometheus.yml`` and the rule/target directories."""

    def prepare(ctx: ComponentContext) -> None:
        rules_dir(ctx.home).mkdir(parents=True, exist_ok=True)
        targets_dir(ctx.home).mkdir(parents=True, exist_ok=True)
        for name in _RULE_FILES:  # absent when installed as a wheel without deploy/
            source = _DEPLOY / "prometheus" / name
            if source.is_file():
                shutil.copyfile(source, rules_dir(ctx.home) / name)
        write_targets(ctx.home, "prometheus", [f"{ctx.host}:{ctx.port}"])
        (ctx.data_dir / "prometheus.yml").write_text(
            yaml.safe_dump(
                prometheus_config(ctx, interval, authenticated_peers=authenticated_peers),
                sort_keys=False,
            )
        )

    return prepare


def prepare_alertmanager(ctx: ComponentContext) -> None:
    """Copy the local Alertmanager configuration into the data directory."""
    target = ctx.data_dir / "alertmanager.yml"
    if _ALERTMANAGER_TEMPLATE.is_file():
        shutil.copyfile(_ALERTMANAGER_TEMPLATE, target)
    else:  # installed as a wheel without the repo's deploy/ directory
        target.write_text(_DEFAULT_ALERTMANAGER)
