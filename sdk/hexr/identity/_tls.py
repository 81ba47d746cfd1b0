"""mTLS with stdlib `ssl`: SVID as certificate, bundle as trust, SPIFFE ID authorization.

Stdlib ssl cannot match SPIFFE IDs (they are URI SANs, not host names), so the contexts use
SSLSocket/SSLObject subclasses whose handshake, once the chain is verified, checks the
peer's SPIFFE ID with the context's authorizer and fails the handshake when it says no.
That covers blocking sockets and asyncio (which drives an SSLObject) alike.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from spiffe.workloadapi.x509_context import X509Context

from hexr.errors import IdentityError
from hexr.identity._authorize import Authorizer
from hexr.identity._handshakes import timed_handshake
from hexr.identity._spiffe_id import SpiffeId

__all__ = ["SpiffeSSLContext", "load_svid", "peer_spiffe_id"]


def peer_spiffe_id(ssl_object: ssl.SSLSocket | ssl.SSLObject) -> SpiffeId:
    """The SPIFFE ID in the peer certificate's URI SAN (exactly one is allowed).

    Raises:
        IdentityError: no peer certificate, or no single valid SPIFFE URI SAN.
    """
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise IdentityError("peer presented no certificate")
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as err:
        raise IdentityError("peer certificate has no SPIFFE ID") from err
    uris = [u for u in san.get_values_for_type(x509.UniformResourceIdentifier)]
    if len(uris) != 1:
        raise IdentityError("peer certificate must carry exactly one URI SAN")
    return SpiffeId.parse(uris[0])


def _authorize(ssl_object: ssl.SSLSocket | ssl.SSLObject) -> None:
    context = ssl_object.context
    authorize: Authorizer | None = getattr(context, "authorize", None)
    if authorize is None:
        return
    try:
        peer = peer_spiffe_id(ssl_object)
    except IdentityError as err:
        raise ssl.SSLCertVerificationError(f"peer identity rejected: {err}") from err
    if not authorize(peer):
        raise ssl.SSLCertVerificationError(f"peer {peer} is not authorized")


class _AuthorizingSSLSocket(ssl.SSLSocket):
    def do_handshake(self, block: bool = False) -> None:
        def handshake() -> None:
            super(_AuthorizingSSLSocket, self).do_handshake(block)
            _authorize(self)

        timed_handshake(self, handshake)


class _AuthorizingSSLObject(ssl.SSLObject):
    def do_handshake(self) -> None:
        def handshake() -> None:
            super(_AuthorizingSSLObject, self).do_handshake()
            _authorize(self)

        timed_handshake(self, handshake)


class SpiffeSSLContext(ssl.SSLContext):
    """An `ssl.SSLContext` that authorizes the peer's SPIFFE ID during the handshake."""

    sslsocket_class = _AuthorizingSSLSocket
    sslobject_class = _AuthorizingSSLObject
    authorize: Authorizer

    def __new__(cls, protocol: int, *args: Any, **kwargs: Any) -> SpiffeSSLContext:
        """Create the context (ssl.SSLContext is built in ``__new__``)."""
        return super().__new__(cls, protocol, *args, **kwargs)

    def setup(self, authorize: Authorizer) -> None:
        """Require and authorize a peer certificate; TLS 1.2 at least."""
        self.authorize = authorize
        self.minimum_version = ssl.TLSVersion.TLSv1_2
        self.check_hostname = False
        self.verify_mode = ssl.CERT_REQUIRED


def load_svid(context: ssl.SSLContext, x509_context: X509Context) -> None:
    """Load the default SVID as the certificate and every bundle as trust anchors."""
    svid = x509_context.default_svid
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in svid.cert_chain)
    key = svid.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cadata = "".join(
        cert.public_bytes(serialization.Encoding.PEM).decode()
        for bundle in x509_context.x509_bundle_set.bundles
        for cert in bundle.x509_authorities
    )
    # load_cert_chain takes only paths; an anonymous in-memory file keeps the key off disk.
    if hasattr(os, "memfd_create"):
        fds = [os.memfd_create(name, os.MFD_CLOEXEC) for name in ("svid", "svid-key")]
        try:
            for fd, data in zip(fds, (chain, key), strict=True):
                os.write(fd, data)
            context.load_cert_chain(f"/proc/self/fd/{fds[0]}", f"/proc/self/fd/{fds[1]}")
        finally:
            for fd in fds:
                os.close(fd)
    else:  # pragma: no cover - non-Linux fallback: a 0700 directory, removed at once
        with tempfile.TemporaryDirectory(prefix="hexr-svid-") as tmp:
            paths = [os.path.join(tmp, "svid.pem"), os.path.join(tmp, "svid.key")]
            for path, data in zip(paths, (chain, key), strict=True):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
            context.load_cert_chain(paths[0], paths[1])
    context.load_verify_locations(cadata=cadata)
