import base64
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter, make_asgi_app, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from hexr.config import load_observability_config
from hexr.telemetry._metrics_auth import AsgiMetricsGuard, MetricsGuard, wsgi_middleware

TOKEN = "scrape-token-0123456789"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def guard() -> MetricsGuard:
    return MetricsGuard(basic_auth=("prom", "s3cret"), bearer_token=TOKEN)


def test_open_when_nothing_configured() -> None:
    guard = MetricsGuard()
    assert not guard.enabled
    assert guard.check(None, None).allowed


@pytest.mark.parametrize(
    "authorization",
    [_basic("prom", "s3cret"), f"Bearer {TOKEN}", f"bearer   {TOKEN}", "BASIC " + _basic(
        "prom", "s3cret").split()[1]],
)
def test_valid_credentials_pass(guard: MetricsGuard, authorization: str) -> None:
    assert guard.check("10.0.0.1", authorization).status == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        _basic("prom", "wrong"),
        _basic("other", "s3cret"),
        _basic("prom", "s3cret2"),
        "Basic !!notbase64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        f"Bearer {TOKEN}x",
        "Bearer ",
        f"Token {TOKEN}",
        "Bearer " + "a" * 5000,
    ],
)
def test_missing_or_wrong_credentials_get_401(
    guard: MetricsGuard, authorization: str | None
) -> None:
    verdict = guard.check("10.0.0.1", authorization)
    assert verdict.status == 401
    assert ("WWW-Authenticate", 'Basic realm="metrics", charset="UTF-8"') in verdict.headers
    assert ("WWW-Authenticate", 'Bearer realm="metrics"') in verdict.headers


def test_bearer_only_does_not_accept_basic() -> None:
    guard = MetricsGuard(bearer_token=TOKEN)
    assert guard.check(None, _basic("prom", TOKEN)).status == 401
    assert guard.check(None, f"Bearer {TOKEN}").allowed


@pytest.mark.parametrize(
    ("peer", "allowed"),
    [
        ("127.0.0.1", True),
        ("10.2.3.4", True),
        ("::ffff:10.2.3.4", True),
        ("::1", True),
        ("192.168.1.1", False),
        ("fe80::1%eth0", False),
        ("not-an-ip", False),
        (None, False),
        ("", False),
    ],
)
def test_allowlist(peer: str | None, allowed: bool) -> None:
    guard = MetricsGuard(allow_cidrs=["127.0.0.0/8", "10.0.0.0/8", "::1/128"])
    assert guard.check(peer, None).status == (200 if allowed else 403)


def test_allowlist_is_checked_before_credentials() -> None:
    guard = MetricsGuard(bearer_token=TOKEN, allow_cidrs=["10.0.0.0/8"])
    assert guard.check("192.168.0.1", f"Bearer {TOKEN}").status == 403
    assert guard.check("10.0.0.1", None).status == 401
    assert guard.check("10.0.0.1", f"Bearer {TOKEN}").allowed


def test_from_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    cfg = load_observability_config(environ={
        "HEXR_HOME": str(tmp_path),
        "HEXR_METRICS_BASIC_AUTH_USERNAME": "prom",
        "HEXR_METRICS_BASIC_AUTH_PASSWORD": "${PW}",
        "PW": "from-env",
        "HEXR_METRICS_ALLOW_CIDRS": "127.0.0.1/32",
    })
    guard = MetricsGuard.from_config(cfg.metrics.protection)
    assert guard.check("127.0.0.1", _basic("prom", "from-env")).allowed
    assert guard.check("127.0.0.1", _basic("prom", "${PW}")).status == 401
    assert guard.check("127.0.0.2", _basic("prom", "from-env")).status == 403


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("hexr_test_scrapes", "A metric to see in the body.", registry=registry).inc()
    return registry


def _serve(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def protected_url(registry: CollectorRegistry, guard: MetricsGuard) -> Iterator[str]:
    yield from _serve(wsgi_middleware(guard)(make_wsgi_app(registry)))


def test_real_wsgi_server_refuses_unauthenticated_scrape(protected_url: str) -> None:
    response = httpx.get(protected_url)
    assert response.status_code == 401
    assert "hexr_test_scrapes" not in response.text
    assert response.headers.get_list("www-authenticate") == [
        'Basic realm="metrics", charset="UTF-8"', 'Bearer realm="metrics"'
    ]
    assert httpx.get(protected_url, auth=("prom", "nope")).status_code == 401


def test_real_wsgi_server_serves_authenticated_scrape(protected_url: str) -> None:
    by_basic = httpx.get(protected_url, auth=("prom", "s3cret"))
    assert by_basic.status_code == 200
    assert "hexr_test_scrapes_total 1.0" in by_basic.text
    by_bearer = httpx.get(protected_url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_bearer.status_code == 200


def test_real_wsgi_server_allowlist_uses_socket_peer(registry: CollectorRegistry) -> None:
    guard = MetricsGuard(allow_cidrs=["10.0.0.0/8"])
    for url in _serve(wsgi_middleware(guard)(make_wsgi_app(registry))):
        # A forged forwarding header does not help: the socket peer is 127.0.0.1.
        response = httpx.get(url, headers={"X-Forwarded-For": "10.0.0.1"})
        assert response.status_code == 403


def test_unprotected_wrapper_is_the_app_itself(registry: CollectorRegistry) -> None:
    app = make_wsgi_app(registry)
    assert wsgi_middleware(MetricsGuard())(app) is app


async def test_asgi_guard(registry: CollectorRegistry, guard: MetricsGuard) -> None:
    app = AsgiMetricsGuard(make_asgi_app(registry), guard, path="/metrics")

    async def other(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        denied = await client.get("/metrics")
        assert denied.status_code == 401
        assert "hexr_test_scrapes" not in denied.text
        assert len(denied.headers.get_list("www-authenticate")) == 2
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert "hexr_test_scrapes_total" in ok.text

    passthrough = AsgiMetricsGuard(other, guard, path="/metrics")
    transport = httpx.ASGITransport(app=passthrough, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/healthz")).status_code == 204


async def test_asgi_guard_covers_what_is_mounted_below_the_path(
    registry: CollectorRegistry, guard: MetricsGuard
) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    # The usual mount: Starlette redirects /metrics to /metrics/, served by the mount.
    service = Starlette(routes=[Mount("/metrics", make_asgi_app(registry))])
    app = AsgiMetricsGuard(service, guard, path="/metrics")
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for url in ("/metrics/", "/metrics/x"):
            response = await client.get(url)
            assert response.status_code == 401, url
            assert "hexr_test_scrapes" not in response.text
        followed = await client.get("/metrics", follow_redirects=True)
        assert followed.status_code == 401
        ok = await client.get("/metrics/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert "hexr_test_scrapes_total" in ok.text
        # A sibling path that merely starts with the same letters is not the metrics path.
        assert (await client.get("/metricsfoo")).status_code == 404


def test_asgi_guard_behind_a_real_uvicorn_server(
    registry: CollectorRegistry, guard: MetricsGuard
) -> None:
    import socket
    import time

    import uvicorn

    app = AsgiMetricsGuard(make_asgi_app(registry), guard, path="/metrics")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(url).status_code == 401
        ok = httpx.get(url, auth=("prom", "s3cret"))
        assert ok.status_code == 200
        assert "hexr_test_scrapes_total" in ok.text
    finally:
        server.should_exit = True
        thread.join(10)
