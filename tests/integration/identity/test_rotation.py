"""Rotation is pushed on open streams before expiry; a rotated CA stays trusted while needed."""

from __future__ import annotations

import itertools
import queue
import time

from spiffe import TrustDomain, WorkloadApiClient

from hexr.identity import IdentitySource


def test_svid_and_ca_rotation_are_pushed_before_expiry(identity_service_factory) -> None:
    # X.509 TTL 2 s, CA TTL 8 s: SVIDs rotate about every second, the CA after about 4 s.
    service = identity_service_factory(x509_ttl=2, jwt_ttl=2, ca_ttl=8)
    sid = service.spiffe_id("acme", "rotating")
    updates: queue.Queue = queue.Queue()
    with service.as_workload(sid), WorkloadApiClient(service.endpoint) as client:
        handle = client.stream_x509_contexts(
            lambda ctx: updates.put((time.time(), ctx)), lambda err: updates.put((time.time(), err))
        )
        seen = []
        try:
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    arrived, ctx = updates.get(timeout=1)
                except queue.Empty:
                    continue
                assert not isinstance(ctx, Exception), ctx
                seen.append((arrived, ctx))
                bundle = ctx.x509_bundle_set.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
                if len(bundle.x509_authorities) >= 2 and len(seen) >= 4:
                    break
        finally:
            handle.cancel()

    leaves = [(arrived, ctx.default_svid.leaf) for arrived, ctx in seen]
    serials = {leaf.serial_number for _, leaf in leaves}
    assert len(serials) >= 3, "SVIDs were not rotated on the open stream"
    for (_, previous), (arrived, current) in itertools.pairwise(leaves):
        if current.serial_number != previous.serial_number:
            # The replacement arrived while the previous SVID was still valid.
            assert arrived < previous.not_valid_after_utc.timestamp()

    # After the CA rotated, the bundle holds both CAs: the new one signed the newest SVID
    # and the old one still verifies SVIDs it signed that have not expired yet.
    _, last = seen[-1]
    bundle = last.x509_bundle_set.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
    cas = list(bundle.x509_authorities)
    assert len(cas) == 2
    issuers = {leaf.issuer.rfc4514_string() for _, leaf in leaves}
    assert len(issuers) == 1  # same CA name, different keys
    signers = set()
    for _, leaf in leaves:
        for i, ca in enumerate(cas):
            try:
                leaf.verify_directly_issued_by(ca)
            except Exception:  # noqa: BLE001, S112 - try the next CA
                continue
            signers.add(i)
    assert signers == {0, 1}


def test_retired_ca_leaves_the_bundle_after_its_svids_expire(identity_service_factory) -> None:
    # CA rotates at ~3 s; the retired CA must stay one X.509 TTL (1 s), then go.
    service = identity_service_factory(x509_ttl=1, jwt_ttl=1, ca_ttl=6)
    sid = service.spiffe_id("acme", "retire")
    with service.as_workload(sid), WorkloadApiClient(service.endpoint) as client:
        counts = []
        deadline = time.time() + 12
        while time.time() < deadline:
            bundles = client.fetch_x509_bundles(timeout=5)
            td = bundles.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
            counts.append(len(td.x509_authorities))
            if 2 in counts and counts[-1] == 1:
                break
            time.sleep(0.2)
    # 2 CAs after a rotation (the old one is kept), then 1 again (dropped once unneeded).
    assert 2 in counts, counts
    assert counts[-1] == 1, counts
    assert max(counts) == 2, counts


def test_sdk_rotation_callback_and_jwt_refresh(identity_service_factory) -> None:
    service = identity_service_factory(x509_ttl=2, jwt_ttl=2, ca_ttl=60)
    sid = service.spiffe_id("acme", "sdk-rotation")
    rotations: queue.Queue = queue.Queue()
    with service.as_workload(sid), IdentitySource(service.endpoint) as source:
        first_serial = source.x509_context().default_svid.leaf.serial_number
        source.on_rotation(rotations.put)
        ctx = rotations.get(timeout=5)
        while ctx.default_svid.leaf.serial_number == first_serial:
            ctx = rotations.get(timeout=5)
        assert source.x509_context().default_svid.leaf.serial_number != first_serial

        token = source.jwt_svid("vault")
        assert source.jwt_svid("vault") == token  # cached
        time.sleep(1.2)  # past the 1 s half-life of a 2 s JWT-SVID
        refreshed = source.jwt_svid("vault")
        assert refreshed != token
        assert source.validate_jwt_svid(refreshed, "vault")["sub"] == str(sid)


def _server_serial_seen_by_client(server_ctx, client_ctx) -> int:
    import socket
    import threading

    from cryptography import x509

    left, right = socket.socketpair()
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(left, server_side=True) as tls:
                tls.recv(1)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(right) as tls:
            der = tls.getpeercert(binary_form=True)
            tls.sendall(b"x")
    finally:
        thread.join(5)
    assert not errors, errors
    return x509.load_der_x509_certificate(der).serial_number


def test_tls_contexts_reload_on_rotation(identity_service_factory) -> None:
    from hexr.identity import authorize_id

    service = identity_service_factory(x509_ttl=2, jwt_ttl=2, ca_ttl=60)
    sid = service.spiffe_id("acme", "tls-reload")
    rotations: queue.Queue = queue.Queue()
    with service.as_workload(sid), IdentitySource(service.endpoint) as source:
        server_ctx = source.server_ssl_context(authorize_id(sid))
        client_ctx = source.client_ssl_context(authorize_id(sid))
        before = _server_serial_seen_by_client(server_ctx, client_ctx)
        assert before == source.x509_context().default_svid.leaf.serial_number
        source.on_rotation(rotations.put)
        ctx = rotations.get(timeout=5)
        while ctx.default_svid.leaf.serial_number == before:
            ctx = rotations.get(timeout=5)
        after = _server_serial_seen_by_client(server_ctx, client_ctx)
        pushed = {ctx.default_svid.leaf.serial_number}
        while not rotations.empty():  # a further rotation may have landed meanwhile
            pushed.add(rotations.get().default_svid.leaf.serial_number)
    assert after != before
    assert after in pushed
