"""Assembles the identity service: Workload API, registration API, JWKS/OIDC, maintenance."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import stat
import time
from collections.abc import Generator
from pathlib import Path

import grpclib.config
import grpclib.server
import uvicorn

from hexr.errors import ConfigError
from hexr_identity._authority import Authorities
from hexr_identity._config import IdentitySettings, service_registration_socket
from hexr_identity._issuer import Issuer
from hexr_identity._metrics import IdentityMetrics
from hexr_identity._notify import Changes
from hexr_identity._oidc import create_app
from hexr_identity._registration import MAX_REQUEST_BYTES, RegistrationServer
from hexr_identity._registry import FileRegistrationStore, RegistrationStore
from hexr_identity._workload import WorkloadApi

__all__ = ["IdentityService"]

_log = logging.getLogger("hexr_identity")
_MAINTENANCE_SECONDS = 1.0
_INBOUND_WINDOW = 2**16 - 1


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal capture: the service owns shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave signal handling to the service."""
        yield


def _prepare_socket_path(path: Path, *, private: bool) -> None:
    """Create the socket's directory; a private one must be ours and 0700 (never chmod a
    directory we did not create: it could be /tmp)."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700 if private else 0o755)
    if private:
        st = parent.stat()
        if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
            raise ConfigError(
                f"{parent} must be owned by this user with mode 0700 (it guards registration)"
            )
    if path.is_socket():
        path.unlink()
    elif path.exists():
        raise ConfigError(f"{path} exists and is not a socket")


class IdentityService:
    """The running identity service; `start`, then `wait_closed` or `stop`."""

    def __init__(self, settings: IdentitySettings, store: RegistrationStore | None = None) -> None:
        self.settings = settings
        # Persisted, so workloads keep their identity when a crashed service is restarted.
        self.store = store or FileRegistrationStore(settings.state_dir / "registrations.json")
        self.changes = Changes()
        self.issuer_url = ""
        self.http_port = 0
        self._grpc: grpclib.server.Server | None = None
        self._registration: asyncio.AbstractServer | None = None
        self._service_registration: asyncio.AbstractServer | None = None
        self._http: _Uvicorn | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        """Bind every listener and start maintenance; returns once all accept connections."""
        s = self.settings
        # IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY on accepted connections only then;
        # without it each JWKS response waits ~40 ms for a delayed ACK.
        http_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        http_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        http_sock.bind((s.http_host, s.http_port))
        self.http_port = http_sock.getsockname()[1]
        self.issuer_url = s.issuer_url(self.http_port)

        self.authorities = Authorities(
            s.state_dir,
            s.trust_domain,
            ca_ttl=s.ca_ttl,
            x509_svid_ttl=s.x509_ttl,
            jwt_svid_ttl=s.jwt_ttl,
        )
        self.authorities.maintain(time.time())
        self.metrics = IdentityMetrics()
        self.issuer = Issuer(
            self.authorities, issuer_url=self.issuer_url, x509_ttl=s.x509_ttl, jwt_ttl=s.jwt_ttl,
            metrics=self.metrics,
        )
        store, issuer = self.store, self.issuer
        self.metrics.watch_expiry(
            lambda: issuer.earliest_expiry(e.spiffe_id for e in store.entries())
        )
        self.registration = RegistrationServer(self.store, s.trust_domain, services=False)
        self.service_registration = RegistrationServer(self.store, s.trust_domain)

        # Workload API: world-connectable; attestation, not file modes, protects it.
        workload_path = s.workload_socket
        _prepare_socket_path(workload_path, private=False)
        self._grpc = grpclib.server.Server(
            [WorkloadApi(self.store, self.authorities, self.issuer, self.changes)],
            # Inbound windows at the HTTP/2 minimum: with the request size checked from its
            # length prefix, a sender can make the service buffer at most this much.
            config=grpclib.config.Configuration(
                http2_connection_window_size=_INBOUND_WINDOW,
                http2_stream_window_size=_INBOUND_WINDOW,
            ),
        )
        await self._grpc.start(path=str(workload_path))
        os.chmod(workload_path, 0o666)  # noqa: S103 - world-connectable by design

        # Registration API: the trust boundary, owner-only from the moment it exists.
        reg_path = s.registration_socket_path
        _prepare_socket_path(reg_path, private=True)
        services_path = service_registration_socket(reg_path)
        if services_path.is_socket():
            services_path.unlink()
        old_umask = os.umask(0o177)
        try:
            self._registration = await asyncio.start_unix_server(
                self.registration.handle, path=str(reg_path), limit=MAX_REQUEST_BYTES
            )
            self._service_registration = await asyncio.start_unix_server(
                self.service_registration.handle, path=str(services_path),
                limit=MAX_REQUEST_BYTES,
            )
        finally:
            os.umask(old_umask)
        os.chmod(reg_path, 0o600)
        os.chmod(services_path, 0o600)

        http_sock.listen(128)
        config = uvicorn.Config(
            create_app(self.authorities, self.issuer_url, self.metrics),
            log_level="warning",
            lifespan="off",
            access_log=False,
            # uvicorn's default logging config prints its loggers as plain text past Hexr's
            # JSON pipeline and scrubber; without it they propagate to the root handler.
            log_config=None,
        )
        self._http = _Uvicorn(config)
        self._tasks.append(asyncio.create_task(self._http.serve(sockets=[http_sock])))
        while not self._http.started:
            await asyncio.sleep(0.01)
        self._tasks.append(asyncio.create_task(self._maintain()))

    async def _maintain(self) -> None:
        while True:
            await asyncio.sleep(_MAINTENANCE_SECONDS)
            try:
                if self.authorities.maintain(time.time()):
                    _log.info("trust bundle changed; pushing to open streams")
                    self.changes.bump()
                self.registration.collect_garbage()
            except Exception:  # noqa: BLE001 - one bad round must not stop rotation for good
                _log.exception("identity maintenance failed")

    async def stop(self) -> None:
        """Close every listener and remove the socket files."""
        if self._http is not None:
            self._http.should_exit = True
        for task in self._tasks:
            if task is not self._tasks[0]:
                task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._grpc is not None:
            self._grpc.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._grpc.wait_closed(), 2.0)
        for server in (self._registration, self._service_registration):
            if server is not None:
                server.close()
        reg_path = self.settings.registration_socket_path
        services_path = service_registration_socket(reg_path)
        for path in (self.settings.workload_socket, reg_path, services_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._stopped.set()

    async def wait_closed(self) -> None:
        """Wait until `stop` has finished."""
        await self._stopped.wait()
