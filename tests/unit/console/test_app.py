"""The console's authentication, CSRF and error contract, in-process (no platform)."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hexr_console import load_or_create_token, token_path
from hexr_console._app import ConsoleSettings, create_app

_DASHBOARD = {
    "uid": "d1",
    "title": "One",
    "panels": [{"type": "timeseries", "title": "a", "targets": [{"expr": "up", "refId": "A"}]}],
}
_ORIGIN = "http://testserver"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "d1.json").write_text(json.dumps(_DASHBOARD))
    return tmp_path


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    settings = ConsoleSettings(
        home, load_or_create_token(home), lambda: None, home / "dashboards"
    )
    with TestClient(create_app(settings), base_url=_ORIGIN) as test_client:
        yield test_client


def _login(client: TestClient, token: str) -> None:
    response = client.post(
        "/login", data={"token": token}, headers={"origin": _ORIGIN}, follow_redirects=False
    )
    assert response.status_code == 303


def test_token_file_is_private_and_stable(home: Path) -> None:
    token = load_or_create_token(home)
    assert len(token) >= 40
    assert token_path(home).stat().st_mode & 0o777 == 0o600
    assert load_or_create_token(home) == token
    os.chmod(token_path(home), 0o644)
    with pytest.raises(PermissionError):
        load_or_create_token(home)


@pytest.mark.parametrize(
    "path", ["/api/v1/components", "/api/v1/dashboards", "/api/v1/openapi.json", "/api/v1/nope"]
)
def test_api_refuses_anonymous_and_wrong_tokens(client: TestClient, path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "unauthenticated"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    wrong = client.get(path, headers={"authorization": "Bearer " + "x" * 43})
    assert wrong.status_code == 401


def test_bearer_token_reads_the_api_with_security_headers(client: TestClient, home: Path) -> None:
    auth = {"authorization": f"Bearer {load_or_create_token(home)}"}
    response = client.get("/api/v1/dashboards", headers=auth)
    assert response.status_code == 200
    assert response.json()["dashboards"][0]["uid"] == "d1"
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    spec = client.get("/api/v1/openapi.json", headers=auth).json()
    assert "/api/v1/dashboards/{uid}/panels/{panel_id}" in spec["paths"]


def test_errors_are_json_with_the_right_status(client: TestClient, home: Path) -> None:
    auth = {"authorization": f"Bearer {load_or_create_token(home)}"}
    unknown = client.get("/api/v1/dashboards/nope/panels/1", headers=auth)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    for bad in ("minutes=0", "minutes=abc", "tenant=a%22b", "step=99999"):
        invalid = client.get(f"/api/v1/dashboards/d1/panels/1?{bad}", headers=auth)
        assert invalid.status_code == 422, bad
    missing_panel = client.get("/api/v1/dashboards/d1/panels/9", headers=auth)
    assert (missing_panel.status_code, missing_panel.json()["error"]["code"]) == (404, "http_error")
    down = client.get("/api/v1/usage", headers=auth)
    assert (down.status_code, down.json()["error"]["code"]) == (503, "prometheus_unavailable")
    assert "Traceback" not in down.text


def test_login_sets_strict_cookies_and_logout_needs_csrf(client: TestClient, home: Path) -> None:
    assert "sign in" in client.get("/").text.lower()
    _login(client, load_or_create_token(home))
    assert client.cookies.get("hexr_console_session")
    assert client.get("/api/v1/dashboards").status_code == 200
    assert 'id="nav"' in client.get("/").text  # the app page once signed in
    assert client.post("/logout").status_code == 401  # no CSRF token
    csrf = client.cookies.get("hexr_console_csrf")
    assert client.post("/logout", headers={"x-csrf-token": csrf or ""}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/dashboards").status_code == 401


def test_login_cookie_flags(client: TestClient, home: Path) -> None:
    response = client.post(
        "/login",
        data={"token": load_or_create_token(home)},
        headers={"origin": _ORIGIN},
        follow_redirects=False,
    )
    set_cookies = response.headers.get_list("set-cookie")
    session = next(c for c in set_cookies if c.startswith("hexr_console_session="))
    assert "HttpOnly" in session
    assert "SameSite=strict" in session
    assert "Path=/" in session
    csrf = next(c for c in set_cookies if c.startswith("hexr_console_csrf="))
    assert "HttpOnly" not in csrf
    assert "SameSite=strict" in csrf


def test_cross_site_login_is_refused_and_guessing_is_throttled(client: TestClient) -> None:
    cross = client.post(
        "/login", data={"token": "x"}, headers={"origin": "http://evil.example"}
    )
    assert cross.status_code == 403
    fetch_site = client.post(
        "/login", data={"token": "x"}, headers={"sec-fetch-site": "cross-site"}
    )
    assert fetch_site.status_code == 403
    codes = [
        client.post("/login", data={"token": f"guess-{i}"}, headers={"origin": _ORIGIN}).status_code
        for i in range(11)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


def test_a_wrong_token_is_told_and_a_huge_body_refused(client: TestClient) -> None:
    wrong = client.post("/login", data={"token": "nope"}, headers={"origin": _ORIGIN})
    assert wrong.status_code == 401
    assert "That token is not valid" in wrong.text
    too_big = client.post("/login", content=b"token=" + b"a" * 5000, headers={"origin": _ORIGIN})
    assert too_big.status_code == 413
