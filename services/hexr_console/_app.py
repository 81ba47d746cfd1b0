"""`create_app(settings)`: the console's Starlette application.

Routes: ``/`` (the page, or the sign-in form), ``POST /login`` and ``POST /logout``,
``/static/*`` (the page's script, styles and the charting library), ``/healthz``, and the
REST API under ``/api/v1`` (`hexr_console._api`) with its OpenAPI document.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.schemas import SchemaGenerator
from starlette.staticfiles import StaticFiles

from hexr_console._api import ConsoleState, create_api_routes, error
from hexr_console._auth import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    SessionStore,
    tokens_match,
)
from hexr_console._dashboards import Dashboard, load_dashboards
from hexr_console._prometheus import PrometheusClient
from hexr_console._sources import PlatformSource

__all__ = ["ConsoleSettings", "create_app"]

_STATIC = Path(__file__).parent / "static"
_PAGES = Path(__file__).parent / "pages"
_MAX_LOGIN_BODY = 4096
_PUBLIC = frozenset({"/", "/login", "/healthz", "/favicon.ico"})
_SECURITY_HEADERS = [
    # Scripts only from this origin; Plotly sets inline styles, so styles may be inline.
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: with it browsers send "Origin: null" on form posts, and sign-in
    # checks the Origin.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console reads from and who may use it."""

    home: Path
    admin_token: str
    prometheus_url: Callable[[], str | None]
    dashboards_dir: Path
    secure_cookies: bool = False


def _plotly_path() -> Path | None:
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


class _LoginThrottle:
    """At most ``limit`` failed sign-ins per ``window_s``, for all callers together."""

    def __init__(self, limit: int = 10, window_s: float = 60.0) -> None:
        self._failures: list[float] = []
        self._lock = threading.Lock()
        self._limit, self._window = limit, window_s

    def blocked(self) -> bool:
        with self._lock:
            cutoff = time.monotonic() - self._window
            self._failures = [t for t in self._failures if t > cutoff]
            return len(self._failures) >= self._limit

    def failed(self) -> None:
        with self._lock:
            self._failures.append(time.monotonic())


def _same_origin(request: Request) -> bool:
    """A browser POST must come from this console's own page (login CSRF)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # non-browser clients send no Origin; they still need the token
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


class _Guard:
    """Pure ASGI middleware: security headers everywhere; a credential for the rest.

    Public: ``/healthz``, ``/static/*``, the sign-in form and ``POST /login``. The API takes
    the admin token as a bearer token or a session cookie; a cookie request that changes
    state also needs the session's CSRF token in ``X-CSRF-Token``.
    """

    def __init__(self, app: ASGIApp, token: str, sessions: SessionStore) -> None:
        self.app, self.token, self.sessions = app, token, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SECURITY_HEADERS]
            await send(message)

        request = Request(scope)
        path = scope["path"]
        if path.startswith("/static/") or path in _PUBLIC:
            await self.app(scope, receive, send_with_headers)
            return
        if not self._authorized(request):
            response = error(401, "unauthenticated", "sign in with the console's admin token")
            response.headers["www-authenticate"] = 'Bearer realm="hexr-console"'
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _authorized(self, request: Request) -> bool:
        authorization = request.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            return tokens_match(authorization[7:].strip(), self.token)
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return False
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return tokens_match(request.headers.get(CSRF_HEADER, ""), session.csrf)


def create_app(settings: ConsoleSettings) -> Starlette:
    """The console application for ``settings``."""
    sessions = SessionStore()
    throttle = _LoginThrottle()
    platform = PlatformSource(settings.home)
    clients: dict[str, PrometheusClient] = {}
    dashboards_cache: dict[str, tuple[float, dict[str, Dashboard]]] = {}

    def prometheus() -> PrometheusClient:
        # The URL is the platform's (published once Prometheus is up), so look it up
        # each time and keep one client per URL.
        url = settings.prometheus_url() or ""
        if url not in clients:
            clients.clear()
            clients[url] = PrometheusClient(url)
        return clients[url]

    def dashboards() -> dict[str, Dashboard]:
        cached = dashboards_cache.get("all")
        if cached is None or time.monotonic() - cached[0] > 30:
            cached = (time.monotonic(), load_dashboards(settings.dashboards_dir))
            dashboards_cache["all"] = cached
        return cached[1]

    def signed_in(request: Request) -> bool:
        return sessions.get(request.cookies.get(SESSION_COOKIE)) is not None

    async def index(request: Request) -> Response:
        page = "index.html" if signed_in(request) else "login.html"
        return FileResponse(_PAGES / page, media_type="text/html")

    async def login(request: Request) -> Response:
        if not _same_origin(request):
            return error(403, "forbidden", "sign-in must come from the console's own page")
        if throttle.blocked():
            response = error(429, "too_many_attempts", "too many failed sign-ins; wait a minute")
            response.headers["retry-after"] = "60"
            return response
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_LOGIN_BODY:
                return error(413, "payload_too_large", "sign-in body too large")
        from urllib.parse import parse_qs

        token = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0].strip()
        if not tokens_match(token, settings.admin_token):
            throttle.failed()
            html = (_PAGES / "login.html").read_text().replace(
                "<!--error-->", '<p class="error" role="alert">That token is not valid.</p>'
            )
            return HTMLResponse(html, status_code=401)
        sid, session = sessions.create()
        redirect = RedirectResponse("/", status_code=303)
        common: dict[str, Any] = {"samesite": "strict", "secure": settings.secure_cookies,
                                  "path": "/"}
        redirect.set_cookie(SESSION_COOKIE, sid, httponly=True, **common)
        redirect.set_cookie(CSRF_COOKIE, session.csrf, httponly=False, **common)
        return redirect

    async def logout(request: Request) -> Response:
        sessions.drop(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"signed_out": True})
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def plotly(request: Request) -> Response:
        path = _plotly_path()
        if path is None:
            raise HTTPException(404, "the charting library is not installed")
        return FileResponse(path, media_type="text/javascript")

    schemas = SchemaGenerator(
        {"openapi": "3.0.3", "info": {"title": "Hexr console API", "version": "1"}}
    )

    async def openapi(request: Request) -> Response:
        return JSONResponse(schemas.get_schema(routes=app.routes))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101 (registered for this type only)
        return error(exc.status_code, "http_error", str(exc.detail))

    async def internal_error(request: Request, exc: Exception) -> Response:
        return error(500, "internal", "internal error")

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False),
            Route("/static/vendor/plotly.min.js", plotly, methods=["GET"]),
            Mount("/static", StaticFiles(directory=_STATIC), name="static"),
            Route("/api/v1/openapi.json", openapi, methods=["GET"], include_in_schema=False),
            *create_api_routes(),
        ],
        exception_handlers={HTTPException: http_error, Exception: internal_error},
    )
    app.state.console = ConsoleState(platform, prometheus, dashboards)
    app.add_middleware(_Guard, token=settings.admin_token, sessions=sessions)
    return app
