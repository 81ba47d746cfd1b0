"""The SPIFFE Workload API (all five calls) as a grpclib service.

Messages are the ``spiffe`` wheel's generated ``workload_pb2``; the handler mapping mirrors
what grpclib's protoc plugin would generate for service ``SpiffeWorkloadAPI``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, TypeVar

import grpclib.const
import grpclib.server
from google.protobuf import struct_pb2  # type: ignore[import-untyped]
from grpclib.const import Status
from grpclib.exceptions import GRPCError
from spiffe._proto import workload_pb2 as pb

from hexr_identity._attest import NotAttested, attest, is_running, peer_credentials
from hexr_identity._authority import Authorities
from hexr_identity._issuer import Issuer
from hexr_identity._notify import Changes
from hexr_identity._registry import Entry, RegistrationStore
from hexr_identity._validate import InvalidToken, validate_jwt_svid

__all__ = ["MAX_REQUEST_BYTES", "WorkloadApi", "peer_socket"]

_log = logging.getLogger("hexr_identity.workload")
_HEADER = "workload.spiffe.io"
_MAX_AUDIENCES = 16
_MAX_AUDIENCE_LENGTH = 256
# Streams re-check the caller's registration this often, so a dead or unregistered
# workload stops receiving rotations.
_RECHECK_SECONDS = 2.0
_RECV_TIMEOUT_SECONDS = 5.0
MAX_REQUEST_BYTES = 64 * 1024
"""Largest Workload API request (the biggest real one, a JWT-SVID request with 16
audiences of 256 chars, is ~4 KiB)."""
_GRPC_HEADER = struct.Struct(">?I")
_Req = TypeVar("_Req")
_Response = TypeVar("_Response")


async def _recv(stream: grpclib.server.Stream[_Req, Any]) -> _Req:
    """The request, read only after attestation and within a deadline.

    Attesting first means only registered workloads can make the service buffer a
    message at all (grpclib has no message size limit); the deadline stops slow senders.
    """
    try:
        request: _Req | None = await asyncio.wait_for(
            _recv_bounded(stream), _RECV_TIMEOUT_SECONDS
        )
    except TimeoutError as err:
        raise GRPCError(Status.DEADLINE_EXCEEDED, "request not received in time") from err
    if request is None:
        raise GRPCError(Status.INVALID_ARGUMENT, "request message missing")
    return request


async def _recv_bounded(stream: grpclib.server.Stream[Any, Any]) -> Any:
    """One request message, refused from its 5-byte length prefix when over the bound.

    grpclib has no message size limit: its ``recv_message`` reads whatever length the
    prefix announces. This reads the prefix first through the same (private, pinned)
    stream grpclib's own reader uses, so an oversized body is never buffered past the
    HTTP/2 window.
    """
    raw = stream._stream
    prefix = await raw.recv_data(_GRPC_HEADER.size)
    if not prefix:
        return None
    compressed, length = _GRPC_HEADER.unpack(prefix)
    if compressed:
        raise GRPCError(Status.UNIMPLEMENTED, "compressed requests are not supported")
    if length > MAX_REQUEST_BYTES:
        raise GRPCError(
            Status.RESOURCE_EXHAUSTED, f"request larger than {MAX_REQUEST_BYTES} bytes"
        )
    body = await raw.recv_data(length)
    return stream._codec.decode(body, stream._recv_type)


def peer_socket(stream: grpclib.server.Stream[Any, Any]) -> socket.socket:
    """The connection's socket (grpclib keeps the transport in the private ``Peer._transport``;
    grpclib is pinned and a test covers this path)."""
    transport = stream.peer._transport
    sock = transport.get_extra_info("socket")
    if sock is None:
        raise GRPCError(Status.INTERNAL, "cannot identify the caller")
    return sock  # type: ignore[no-any-return]


class WorkloadApi:
    """Handlers of ``SpiffeWorkloadAPI``; every call is attested by SO_PEERCRED first."""

    def __init__(
        self,
        store: RegistrationStore,
        authorities: Authorities,
        issuer: Issuer,
        changes: Changes,
    ) -> None:
        self._store = store
        self._auth = authorities
        self._issuer = issuer
        self._changes = changes
        self._td_id = f"spiffe://{authorities.trust_domain}"

    # --- common checks -----------------------------------------------------------------

    def _attest(self, stream: grpclib.server.Stream[Any, Any]) -> Entry:
        metadata = stream.metadata
        if metadata is None or metadata.get(_HEADER) != "true":
            raise GRPCError(Status.INVALID_ARGUMENT, "security header missing from request")
        peer = peer_credentials(peer_socket(stream))
        try:
            return attest(self._store, peer)
        except NotAttested as err:
            _log.info("attestation denied: %s (pid %d, uid %d)", err, peer.pid, peer.uid)
            raise GRPCError(Status.PERMISSION_DENIED, "no identity issued") from err

    def _still_registered(self, entry: Entry) -> bool:
        return self._store.get(entry.pid) == entry and is_running(entry.pid)

    def _x509_bundle(self) -> bytes:
        return b"".join(a.der for a in self._auth.x509_bundle())

    def _jwt_bundle(self) -> bytes:
        return json.dumps(self._auth.jwks()).encode()

    # --- X.509 ---------------------------------------------------------------------------

    async def fetch_x509_svid(
        self, stream: grpclib.server.Stream[pb.X509SVIDRequest, pb.X509SVIDResponse]
    ) -> None:
        """Stream the caller's X.509-SVID, re-sent on rotation and on bundle change."""
        entry = self._attest(stream)
        await _recv(stream)
        while True:
            version = self._changes.version
            svid = self._issuer.x509_svid(entry.spiffe_id)
            await stream.send_message(
                pb.X509SVIDResponse(
                    svids=[
                        pb.X509SVID(
                            spiffe_id=str(entry.spiffe_id),
                            x509_svid=svid.cert_der,
                            x509_svid_key=svid.key_der,
                            bundle=self._x509_bundle(),
                        )
                    ]
                )
            )
            while time.time() < svid.rotate_at and self._changes.version == version:
                if not self._still_registered(entry):
                    raise GRPCError(Status.PERMISSION_DENIED, "no identity issued")
                wait = min(svid.rotate_at - time.time(), _RECHECK_SECONDS)
                await self._changes.wait(version, wait)
            if not self._still_registered(entry):
                raise GRPCError(Status.PERMISSION_DENIED, "no identity issued")

    async def fetch_x509_bundles(
        self, stream: grpclib.server.Stream[pb.X509BundlesRequest, pb.X509BundlesResponse]
    ) -> None:
        """Stream the trust bundle, re-sent when a CA rotates or retires."""
        await self._stream_bundles(
            stream, lambda: pb.X509BundlesResponse(bundles={self._td_id: self._x509_bundle()})
        )

    # --- JWT -----------------------------------------------------------------------------

    async def fetch_jwt_svid(
        self, stream: grpclib.server.Stream[pb.JWTSVIDRequest, pb.JWTSVIDResponse]
    ) -> None:
        """Sign a JWT-SVID for the caller's ID and the requested audiences."""
        entry = self._attest(stream)
        request = await _recv(stream)
        audiences = list(request.audience)
        if not audiences or any(not a for a in audiences):
            raise GRPCError(Status.INVALID_ARGUMENT, "audience must be specified")
        if len(audiences) > _MAX_AUDIENCES or any(len(a) > _MAX_AUDIENCE_LENGTH for a in audiences):
            raise GRPCError(Status.INVALID_ARGUMENT, "too many or too long audiences")
        if request.spiffe_id and request.spiffe_id != str(entry.spiffe_id):
            raise GRPCError(Status.PERMISSION_DENIED, "no identity issued for that SPIFFE ID")
        token = self._issuer.jwt_svid(entry.spiffe_id, audiences)
        await stream.send_message(
            pb.JWTSVIDResponse(svids=[pb.JWTSVID(spiffe_id=str(entry.spiffe_id), svid=token)])
        )

    async def fetch_jwt_bundles(
        self, stream: grpclib.server.Stream[pb.JWTBundlesRequest, pb.JWTBundlesResponse]
    ) -> None:
        """Stream the JWKS of the trust domain, re-sent when a key rotates or retires."""
        await self._stream_bundles(
            stream, lambda: pb.JWTBundlesResponse(bundles={self._td_id: self._jwt_bundle()})
        )

    async def _stream_bundles(
        self, stream: grpclib.server.Stream[Any, _Response], response: Callable[[], _Response]
    ) -> None:
        """Send ``response()`` now and after every authority change, while registered."""
        entry = self._attest(stream)
        await _recv(stream)
        while True:
            version = self._changes.version
            await stream.send_message(response())
            while self._changes.version == version:
                if not self._still_registered(entry):
                    raise GRPCError(Status.PERMISSION_DENIED, "no identity issued")
                await self._changes.wait(version, _RECHECK_SECONDS)

    async def validate_jwt_svid(
        self,
        stream: grpclib.server.Stream[pb.ValidateJWTSVIDRequest, pb.ValidateJWTSVIDResponse],
    ) -> None:
        """Verify a JWT-SVID for real and return its SPIFFE ID and claims."""
        self._attest(stream)
        request = await _recv(stream)
        if not request.audience:
            raise GRPCError(Status.INVALID_ARGUMENT, "audience must be specified")
        if not request.svid:
            raise GRPCError(Status.INVALID_ARGUMENT, "svid must be specified")
        try:
            spiffe_id, claims = validate_jwt_svid(request.svid, request.audience, self._auth)
        except InvalidToken as err:
            raise GRPCError(Status.INVALID_ARGUMENT, f"invalid JWT-SVID: {err}") from err
        struct = struct_pb2.Struct()
        struct.update(claims)
        await stream.send_message(
            pb.ValidateJWTSVIDResponse(spiffe_id=str(spiffe_id), claims=struct)
        )

    def __mapping__(self) -> dict[str, grpclib.const.Handler]:
        """The grpclib route table for service ``SpiffeWorkloadAPI``."""
        unary = grpclib.const.Cardinality.UNARY_UNARY
        stream = grpclib.const.Cardinality.UNARY_STREAM
        H = grpclib.const.Handler
        return {
            "/SpiffeWorkloadAPI/FetchX509SVID": H(
                self.fetch_x509_svid, stream, pb.X509SVIDRequest, pb.X509SVIDResponse
            ),
            "/SpiffeWorkloadAPI/FetchX509Bundles": H(
                self.fetch_x509_bundles, stream, pb.X509BundlesRequest, pb.X509BundlesResponse
            ),
            "/SpiffeWorkloadAPI/FetchJWTSVID": H(
                self.fetch_jwt_svid, unary, pb.JWTSVIDRequest, pb.JWTSVIDResponse
            ),
            "/SpiffeWorkloadAPI/FetchJWTBundles": H(
                self.fetch_jwt_bundles, stream, pb.JWTBundlesRequest, pb.JWTBundlesResponse
            ),
            "/SpiffeWorkloadAPI/ValidateJWTSVID": H(
                self.validate_jwt_svid,
                unary,
                pb.ValidateJWTSVIDRequest,
                pb.ValidateJWTSVIDResponse,
            ),
        }
