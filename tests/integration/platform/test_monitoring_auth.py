"""Issue 17, findings 8 and 9: the platform's Prometheus is read-only, its Alertmanager and
Pushgateway refuse unauthenticated writes, the platform's own clients authenticate, and
the Pushgateway persists per HEXR_HOME. Real Debian binaries, started from the specs."""

from __future__ import annotations

import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from hexr.telemetry._prometheus import push_metrics
from hexr_platform.builtin.prometheus import alertmanager_spec, prometheus_spec, pushgateway_spec
from hexr_platform.component import ComponentContext
from tests.fixtures.platform import ComponentHandle, _started

SILENCE = {
    "matchers": [{"name": "alertname", "value": "HexrDown", "isRegex": False}],
    "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
    "createdBy": "attacker", "comment": "shh",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ComponentHandle]]:
    home = tmp_path_factory.mktemp("monitoring")
    peers: dict[str, ComponentContext] = {}
    handles = {
        "alertmanager": ComponentHandle(alertmanager_spec(), home, peers),
        "pushgateway": ComponentHandle(pushgateway_spec(), home, peers),
    }
    handles["prometheus"] = ComponentHandle(prometheus_spec(scrape_interval="1s"), home, peers)
    started = [_started(h) for h in handles.values()]
    for gen in started:
        next(gen)
    try:
        yield handles
    finally:
        for gen in started:
            next(gen, None)


def _published_push_url(handle: ComponentHandle) -> str:
    return handle.spec.publish(handle.ctx)["HEXR_PUSHGATEWAY_URL"]


def test_prometheus_offers_no_write_or_lifecycle_endpoint(stack) -> None:
    url = stack["prometheus"].url
    assert httpx.post(f"{url}/-/reload", timeout=5).status_code in (403, 404, 405)
    assert httpx.post(f"{url}/-/quit", timeout=5).status_code in (403, 404, 405)
    assert httpx.post(f"{url}/api/v1/write", content=b"x", timeout=5).status_code in (404, 405)
    snapshot = httpx.post(f"{url}/api/v1/admin/tsdb/snapshot", timeout=5)
    assert snapshot.status_code in (403, 404, 405, 500) or "admin APIs disabled" in snapshot.text
    assert httpx.get(f"{url}/-/ready", timeout=5).status_code == 200  # reads stay open


def test_alertmanager_refuses_an_anonymous_silence(stack) -> None:
    am = stack["alertmanager"]
    anonymous = httpx.post(f"{am.url}/api/v2/silences", json=SILENCE, timeout=5)
    assert anonymous.status_code == 401
    assert httpx.get(f"{am.url}/api/v2/silences", timeout=5).status_code == 401
    assert am.spec.health(am.ctx)  # the platform's own check authenticates


def test_pushgateway_takes_only_authenticated_pushes_and_prometheus_scrapes_it(stack) -> None:
    pg, prom = stack["pushgateway"], stack["prometheus"]
    forged = httpx.put(f"{pg.url}/metrics/job/forged", content=b"injected_series 1\n", timeout=5)
    assert forged.status_code == 401
    registry = CollectorRegistry()
    Counter("hexr_auth_probe", "probe", registry=registry).inc()
    assert push_metrics(_published_push_url(pg), "authprobe", registry, {"instance": "t"}, 5)
    deadline = time.monotonic() + 30
    found: list[object] = []
    while time.monotonic() < deadline and not found:
        answer = httpx.get(f"{prom.url}/api/v1/query", timeout=5,
                           params={"query": 'hexr_auth_probe_total{job="authprobe"}'}).json()
        found = answer["data"]["result"]
        time.sleep(0.5)
    assert found, "Prometheus did not scrape the authenticated Pushgateway"
    up = httpx.get(f"{prom.url}/api/v1/query", params={"query": 'up{job="pushgateway"}'},
                   timeout=5).json()["data"]["result"]
    assert [r["value"][1] for r in up] == ["1"]
    forged_seen = httpx.get(f"{prom.url}/api/v1/query", params={"query": "injected_series"},
                            timeout=5).json()["data"]["result"]
    assert forged_seen == []


def test_credentials_are_private_and_hashed(stack) -> None:
    pg = stack["pushgateway"]
    password_file = pg.home / "secrets" / "pushgateway-web.password"
    web = pg.ctx.data_dir / "web.yml"
    for path in (password_file, web):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password_file.read_text() not in web.read_text()
    assert "$2b$" in web.read_text()  # bcrypt
    cmdline = Path(f"/proc/{pg.pid}/cmdline").read_bytes().decode()
    assert password_file.read_text() not in cmdline


def test_pushgateway_persists_in_its_own_home(stack, tmp_path: Path) -> None:
    pg = stack["pushgateway"]
    registry = CollectorRegistry()
    Counter("hexr_persist_probe", "probe", registry=registry).inc()
    assert push_metrics(_published_push_url(pg), "persist", registry, {"instance": "t"}, 5)
    other = ComponentHandle(pushgateway_spec(), tmp_path / "other-home", {})
    for _ in _started(other):
        url = _published_push_url(other)
        base, auth = url.split("@")[1], url.split("//")[1].split("@")[0]
        user, password = auth.split(":", 1)
        listing = httpx.get(f"http://{base}/metrics", auth=(user, password), timeout=5).text
        assert "hexr_persist_probe" not in listing  # another platform starts empty
        assert "hexr_auth_probe" not in listing
    cmdline = Path(f"/proc/{pg.pid}/cmdline").read_bytes().decode()
    assert f"--persistence.file={pg.ctx.data_dir}" in cmdline
