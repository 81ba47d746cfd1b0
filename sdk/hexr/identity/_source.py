"""`IdentitySource`: the process's SVIDs, kept current from the Workload API.

Works against Hexr's identity service and a SPIRE agent alike: it speaks only the Workload
API, through py-spiffe. X.509 rotations arrive on a stream (py-spiffe's `X509Source`
watcher); JWT-SVIDs are cached per audience and refetched at half-life, because py-spiffe
does not cache them.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from spiffe import WorkloadApiClient, X509Source
from spiffe.workloadapi.x509_context import X509Context

from hexr.errors import IdentityError
from hexr.identity._address import resolve_socket
from hexr.identity._authorize import Authorizer
from hexr.identity._errors import call_with_retry, translate_errors
from hexr.identity._spiffe_id import SpiffeId
from hexr.identity._tls import SpiffeSSLContext, load_svid

__all__ = [
    "IdentitySource",
    "default_source",
    "reset_default_source",
    "try_current_spiffe_id",
]

_log = logging.getLogger("hexr.identity")
_MAX_CACHED_AUDIENCES = 256
_MAX_AUDIENCE_LENGTH = 256

RotationCallback = Callable[[X509Context], None]


class IdentitySource:
    """The current X.509-SVID, bundles and JWT-SVIDs of this process; long-lived.

    Raises (from the constructor):
        AttestationError: this process is not a registered workload.
        IdentityError: no Workload API is configured or it does not answer in ``timeout``.
    """

    def __init__(self, socket_path: str | None = None, *, timeout: float = 10.0) -> None:
        self._address = resolve_socket(socket_path)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._jwt_cache: dict[str, tuple[str, float]] = {}
        self._jwt_locks: dict[str, threading.Lock] = {}
        self._callbacks: list[RotationCallback] = []
        self._tls_contexts: weakref.WeakSet[ssl.SSLContext] = weakref.WeakSet()
        self._closed = False
        with translate_errors("connecting to the Workload API"):
            self._client = WorkloadApiClient(self._address, default_timeout=timeout)
        try:
            # One-shot fetch first: an unregistered caller fails fast and clearly here,
            # where X509Source would retry PermissionDenied until its timeout.
            first = call_with_retry(
                "fetching the X.509-SVID", self._client.fetch_x509_context, timeout
            )
            self._spiffe_id = SpiffeId.parse(str(first.default_svid.spiffe_id))
            with translate_errors("watching X.509-SVID rotations"):
                self._x509 = X509Source(
                    workload_api_client=self._client, timeout_in_seconds=timeout
                )
        except BaseException:
            self._client.close()
            raise
        self._x509.subscribe_for_updates(self._on_x509_update)

    # --- identity ------------------------------------------------------------------------

    @property
    def spiffe_id(self) -> SpiffeId:
        """This process's SPIFFE ID."""
        return self._spiffe_id

    @property
    def address(self) -> str:
        """The Workload API address in use."""
        return self._address

    def x509_context(self) -> X509Context:
        """The current X.509-SVID (``.default_svid``) and trust bundles (``.x509_bundle_set``)."""
        with translate_errors("reading the X.509 context"):
            return self._x509.get_x509_context()

    # --- JWT -----------------------------------------------------------------------------

    def jwt_svid(self, audience: str) -> str:
        """A JWT-SVID for ``audience``; served from memory until its half-life.

        Raises:
            AttestationError: this process is not (or no longer) a registered workload.
            IdentityError: the audience is invalid or the Workload API failed.
        """
        cached = self._jwt_cache.get(audience)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        if not audience or len(audience) > _MAX_AUDIENCE_LENGTH:
            raise IdentityError("audience must be 1 to 256 characters")
        with self._lock:
            lock = self._jwt_locks.setdefault(audience, threading.Lock())
        # Single flight per audience: concurrent misses make one Workload API call.
        with lock:
            cached = self._jwt_cache.get(audience)
            if cached is not None and time.time() < cached[1]:
                return cached[0]
            try:
                svid = call_with_retry(
                    "fetching a JWT-SVID",
                    lambda: self._client.fetch_jwt_svid({audience}),
                    self._timeout,
                )
            except BaseException:
                # Locks live as long as cache entries (bounded); a failed audience keeps none.
                with self._lock:
                    if audience not in self._jwt_cache:
                        self._jwt_locks.pop(audience, None)
                raise
            now = time.time()
            refresh_at = now + max(svid.expiry - now, 0) / 2
            with self._lock:
                if (
                    len(self._jwt_cache) >= _MAX_CACHED_AUDIENCES
                    and audience not in self._jwt_cache
                ):
                    oldest = min(self._jwt_cache, key=lambda a: self._jwt_cache[a][1])
                    del self._jwt_cache[oldest]
                    self._jwt_locks.pop(oldest, None)
                self._jwt_cache[audience] = (svid.token, refresh_at)
            return svid.token

    def validate_jwt_svid(self, token: str, audience: str) -> dict[str, Any]:
        """Verify ``token`` for ``audience`` through the Workload API; return its claims.

        Raises:
            IdentityError: the token is invalid (forged, expired, wrong audience, foreign
                trust domain) or the Workload API failed.
        """
        if not token or not audience:
            raise IdentityError("token and audience are required")
        call_with_retry(
            "validating a JWT-SVID",
            lambda: self._client.validate_jwt_svid(token, audience),
            self._timeout,
        )
        # The service verified the signature; decoding again only reads the claims.
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return claims

    def jwt_bundle_jwks(self) -> dict[str, Any]:
        """The JWT bundle of this process's trust domain as a JWKS document."""
        bundles = call_with_retry(
            "fetching the JWT bundle", self._client.fetch_jwt_bundles, self._timeout
        )
        keys: list[dict[str, Any]] = []
        for bundle in bundles.bundles:
            if str(bundle.trust_domain) != self._spiffe_id.trust_domain:
                continue
            for kid, key in bundle.jwt_authorities.items():
                jwk: dict[str, Any]
                if isinstance(key, ec.EllipticCurvePublicKey):
                    jwk = ECAlgorithm.to_jwk(key, as_dict=True)
                elif isinstance(key, rsa.RSAPublicKey):
                    jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
                else:
                    continue
                jwk["kid"] = kid
                keys.append(jwk)
        return {"keys": keys}

    # --- rotation and TLS --------------------------------------------------------------

    def on_rotation(self, callback: RotationCallback) -> None:
        """Call ``callback(x509_context)`` after every SVID or bundle update."""
        with self._lock:
            self._callbacks.append(callback)

    def _on_x509_update(self) -> None:
        try:
            context = self._x509.get_x509_context()
        except Exception:  # noqa: BLE001 - a closed source has nothing to push
            return
        for tls in list(self._tls_contexts):
            try:
                load_svid(tls, context)
            except (ssl.SSLError, ValueError):
                _log.exception("reloading a TLS context after rotation failed")
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(context)
            except Exception:  # noqa: BLE001 - one subscriber must not starve the others
                _log.exception("identity rotation callback failed")

    def _tls_context(self, protocol: int, authorize: Authorizer) -> ssl.SSLContext:
        context = SpiffeSSLContext(protocol)
        context.setup(authorize)
        load_svid(context, self.x509_context())
        self._tls_contexts.add(context)
        return context

    def server_ssl_context(self, authorize: Authorizer) -> ssl.SSLContext:
        """A server context presenting this SVID and requiring an authorized client SVID."""
        return self._tls_context(ssl.PROTOCOL_TLS_SERVER, authorize)

    def client_ssl_context(self, authorize: Authorizer) -> ssl.SSLContext:
        """A client context presenting this SVID and requiring an authorized server SVID."""
        return self._tls_context(ssl.PROTOCOL_TLS_CLIENT, authorize)

    # --- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop watching and close the Workload API connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(Exception):
            self._x509.close()
        with contextlib.suppress(Exception):
            self._client.close()

    def __enter__(self) -> IdentitySource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default: IdentitySource | None = None
_default_lock = threading.Lock()


def default_source() -> IdentitySource:
    """The process-wide `IdentitySource`, created on first use.

    Raises:
        AttestationError: this process is not a registered workload.
        IdentityError: no Workload API is configured or reachable.
    """
    global _default
    source = _default
    if source is not None and not source._closed:
        return source
    with _default_lock:
        if _default is None or _default._closed:
            _default = IdentitySource()
        return _default


def reset_default_source() -> None:
    """Close the process-wide source; the next `default_source` call makes a new one.

    For a process whose registration changed (tests, long-lived launchers).
    """
    global _default
    with _default_lock:
        source, _default = _default, None
    if source is not None:
        source.close()


def try_current_spiffe_id(timeout: float = 1.0) -> SpiffeId | None:
    """This process's SPIFFE ID, or None when there is none to be had; never raises."""
    source = _default
    if source is not None and not source._closed:
        return source.spiffe_id
    try:
        address = resolve_socket()
        with WorkloadApiClient(address, default_timeout=timeout) as client:
            svid = client.fetch_x509_svid()
        return SpiffeId.parse(str(svid.spiffe_id))
    except Exception:  # noqa: BLE001 - "no identity" is an answer here, not an error
        return None
