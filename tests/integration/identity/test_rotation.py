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
    service = identity_service_factory(x509_ttl=1, jwt_ttl=1, ca_ttl=3)
    sid = service.spiffe_id("acme", "retire")
    with service.as_workload(sid), WorkloadApiClient(service.endpoint) as client:
        counts = []
        deadline = time.time() + 8
        while time.time() < deadline:
            bundles = client.fetch_x509_bundles(timeout=5)
            td = bundles.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
            counts.append(len(td.x509_authorities))
            if 2 in counts and counts[-1] == 1:
                break
            time.sleep(0.2)
    # The count went 1 -> 2 (rotation keeps the old CA) -> 1 (old CA dropped once unneeded).
    assert counts[0] == 1
    assert 2 in counts
    assert counts[-1] == 1
    assert counts.index(2) < len(counts) - 1


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
