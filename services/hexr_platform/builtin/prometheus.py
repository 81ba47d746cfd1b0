"""Prometheus, Alertmanager and Pushgateway from Debian's packages (optional)."""

from __future__ import annotations

from hexr import _env
from hexr_platform._prometheus import prepare_alertmanager, prometheus_preparer
from hexr_platform.component import ComponentSpec, http_ok, system_binary

__all__ = ["PROMETHEUS_INSTALL_HINT", "alertmanager_spec", "prometheus_spec", "pushgateway_spec"]

PROMETHEUS_INSTALL_HINT = (
    "apt-get install prometheus prometheus-alertmanager prometheus-pushgateway"
)


def prometheus_spec(scrape_interval: str = "5s") -> ComponentSpec:
    """Prometheus scraping the platform (file_sd) and alerting to Alertmanager."""
    return ComponentSpec(
        name="prometheus",
        locate=system_binary("prometheus"),
        argv=lambda ctx, exe: [
            exe,
            f"--config.file={ctx.data_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={ctx.data_dir / 'tsdb'}",
            f"--web.listen-address={ctx.host}:{ctx.port}",
            "--web.enable-lifecycle",
            "--web.enable-remote-write-receiver",
        ],
        health=http_ok("/-/ready"),
        prepare=prometheus_preparer(scrape_interval),
        publish=lambda ctx: {_env.HEXR_PROMETHEUS_URL: f"http://{ctx.host}:{ctx.port}"},
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=60,
    )


def alertmanager_spec() -> ComponentSpec:
    """Alertmanager receiving the local Prometheus' alerts."""
    return ComponentSpec(
        name="alertmanager",
        locate=system_binary("prometheus-alertmanager"),
        argv=lambda ctx, exe: [
            exe,
            f"--config.file={ctx.data_dir / 'alertmanager.yml'}",
            f"--storage.path={ctx.data_dir}",
            f"--web.listen-address={ctx.host}:{ctx.port}",
            # Empty disables clustering (gossip on a fixed public port otherwise).
            "--cluster.listen-address=",
        ],
        health=http_ok("/-/ready"),
        prepare=prepare_alertmanager,
        metrics_path="/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=70,
    )


def pushgateway_spec() -> ComponentSpec:
    """Pushgateway for metrics of processes that exit before a scrape."""
    return ComponentSpec(
        name="pushgateway",
        locate=system_binary("prometheus-pushgateway"),
        argv=lambda ctx, exe: [exe, f"--web.listen-address={ctx.host}:{ctx.port}"],
        health=http_ok("/-/ready"),
        publish=lambda ctx: {_env.HEXR_PUSHGATEWAY_URL: f"http://{ctx.host}:{ctx.port}"},
        metrics_path="/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=80,
    )
