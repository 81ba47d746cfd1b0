"""Prometheus, Alertmanager and Pushgateway from Debian's packages (optional).

Only what the platform uses is on: Prometheus serves reads (no lifecycle endpoints, no
remote-write receiver, no admin API), Alertmanager and the Pushgateway require basic auth
(`hexr_platform._webauth`), so a local user can neither silence alerts nor push series.
The Pushgateway persists to its own data directory, never Debian's shared default file.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

from hexr import env as _env
from hexr_platform._prometheus import prepare_alertmanager, prometheus_preparer
from hexr_platform._webauth import WEB_USER, auth_header, web_config, web_password
from hexr_platform.component import (
    ComponentContext,
    ComponentSpec,
    HealthCheck,
    http_ok,
    system_binary,
)

__all__ = ["PROMETHEUS_INSTALL_HINT", "alertmanager_spec", "prometheus_spec", "pushgateway_spec"]

PROMETHEUS_INSTALL_HINT = (
    "apt-get install prometheus prometheus-alertmanager prometheus-pushgateway"
)


def _ready_with_auth(protected: bool) -> HealthCheck:
    """``GET /-/ready`` answering 2xx, authenticated when the component is protected."""
    if not protected:
        return http_ok("/-/ready")

    def check(ctx: ComponentContext) -> bool:
        try:
            response = httpx.get(
                f"http://{ctx.host}:{ctx.port}/-/ready", headers=auth_header(ctx), timeout=0.5
            )
        except httpx.HTTPError:
            return False
        return response.is_success

    return check


def _web_args(ctx: ComponentContext, protected: bool) -> list[str]:
    return [f"--web.config.file={web_config(ctx)}"] if protected else []


def prometheus_spec(
    scrape_interval: str = "5s", *, lifecycle: bool = False, authenticated_peers: bool = True
) -> ComponentSpec:
    """Prometheus scraping the platform (file_sd) and alerting to Alertmanager.

    ``lifecycle`` enables ``POST /-/reload`` and ``authenticated_peers=False`` reaches
    Alertmanager and the Pushgateway without credentials (test fixtures, whose peers are
    open); the platform reloads on SIGHUP and authenticates.
    """
    return ComponentSpec(
        name="prometheus",
        locate=system_binary("prometheus"),
        argv=lambda ctx, exe: [
            exe,
            f"--config.file={ctx.data_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={ctx.data_dir / 'tsdb'}",
            f"--web.listen-address={ctx.host}:{ctx.port}",
            *(["--web.enable-lifecycle"] if lifecycle else []),
        ],
        health=http_ok("/-/ready"),
        prepare=prometheus_preparer(scrape_interval, authenticated_peers=authenticated_peers),
        publish=lambda ctx: {_env.HEXR_PROMETHEUS_URL: f"http://{ctx.host}:{ctx.port}"},
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=60,
    )


def alertmanager_spec(*, protected: bool = True) -> ComponentSpec:
    """Alertmanager receiving the local Prometheus' alerts (basic auth unless not ``protected``).

    Its own metrics are scraped by a Prometheus job with the credentials (see
    `hexr_platform._prometheus.prometheus_config`), not through the file_sd targets.
    """
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
            *_web_args(ctx, protected),
        ],
        health=_ready_with_auth(protected),
        prepare=prepare_alertmanager,
        metrics_path=None if protected else "/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=70,
    )


def _pushgateway_url(ctx: ComponentContext, protected: bool) -> str:
    if not protected:
        return f"http://{ctx.host}:{ctx.port}"
    # Agents push with these credentials (platform.json is 0600; `hexr dev run` hands the
    # URL to agents of other uids through their environment).
    password = quote(web_password(ctx.home, ctx.name), safe="")
    return f"http://{WEB_USER}:{password}@{ctx.host}:{ctx.port}"


def pushgateway_spec(*, protected: bool = True) -> ComponentSpec:
    """Pushgateway for metrics of processes that exit before a scrape.

    Persists to ``data/pushgateway/pushgateway.data`` (one file per HEXR_HOME); pushes
    need basic auth unless not ``protected``.
    """
    return ComponentSpec(
        name="pushgateway",
        locate=system_binary("prometheus-pushgateway"),
        argv=lambda ctx, exe: [
            exe,
            f"--web.listen-address={ctx.host}:{ctx.port}",
            # Debian's default is one shared /var/lib file: series would leak between
            # platforms, test sessions and users.
            f"--persistence.file={ctx.data_dir / 'pushgateway.data'}",
            *_web_args(ctx, protected),
        ],
        health=_ready_with_auth(protected),
        publish=lambda ctx: {_env.HEXR_PUSHGATEWAY_URL: _pushgateway_url(ctx, protected)},
        address=lambda ctx: f"http://{ctx.host}:{ctx.port}",
        metrics_path=None if protected else "/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
        order=80,
    )
