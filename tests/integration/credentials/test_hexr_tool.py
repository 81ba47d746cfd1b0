"""hexr_tool end to end: real identity service, real injector (mTLS), real Valkey, moto."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import valkey

from hexr import _env
from hexr.credentials import hexr_tool, set_default_broker
from hexr.credentials._model import CacheKey
from hexr.credentials._sealing import open_sealed
from hexr.errors import CredentialError, PolicyDenied
from hexr.identity import IdentitySource, authorize_id, default_source
from tests.integration.credentials._pods import make_pod


@pytest.fixture(autouse=True)
def no_aws_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS key anywhere: env, shared files, profiles, instance metadata."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def acme(identity_service: Any) -> Iterator[IdentitySource]:
    sid = identity_service.spiffe_id("acme", f"bot{uuid.uuid4().hex[:6]}")
    with identity_service.as_workload(sid):
        yield default_source()


def tool_spans(spans: Any, trace_id: int | None = None) -> list[Any]:
    return [s for s in spans.get_finished_spans() if s.name == "hexr.tool.invoke"
            and (trace_id is None or s.context.trace_id == trace_id)]


def test_agent_gets_working_s3_client_with_no_aws_keys(
    acme: IdentitySource, credential_injector: Any, valkey_server: Any, moto_server: Any,
    monkeypatch: pytest.MonkeyPatch, credential_spans: Any,
) -> None:
    monkeypatch.setenv(_env.HEXR_INJECTOR_URL, credential_injector.url)
    monkeypatch.setenv(_env.HEXR_VALKEY_URL, valkey_server.url)
    set_default_broker(None)
    try:
        s3 = hexr_tool("aws_s3", region="us-east-1", endpoint_url=moto_server.url)
        bucket = f"hexr-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="report.txt", Body=b"quarterly numbers")
        body = s3.get_object(Bucket=bucket, Key="report.txt")["Body"].read()
        assert body == b"quarterly numbers"
        frozen = s3._request_signer._credentials.get_frozen_credentials()
        assert frozen.access_key.startswith("ASIA")  # STS-issued, not a static key
        assert s3._request_signer._credentials.method == "hexr"
        # The credential is the agent's own role, assumed with its JWT-SVID.
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_server.url,
                           aws_access_key_id=frozen.access_key,
                           aws_secret_access_key=frozen.secret_key,
                           aws_session_token=frozen.token)
        agent = acme.spiffe_id.agent
        assert f":assumed-role/hexr-acme-{agent}/" in sts.get_caller_identity()["Arn"]
    finally:
        previous = set_default_broker(None)
        if previous is not None:
            previous.close()
    span = tool_spans(credential_spans)[-1]
    assert span.attributes["service"] == "aws_s3"
    assert span.attributes["cache_tier"] == "L3"
    assert span.attributes["hexr.spiffe_id"] == str(acme.spiffe_id)


def test_each_tier_serves_in_its_situation_and_trace_says_which(
    acme: IdentitySource, credential_injector: Any, valkey_server: Any, moto_server: Any,
    credential_spans: Any,
) -> None:
    pod_a, client_a = make_pod(acme, credential_injector, valkey_server.url)
    pod_b, client_b = make_pod(acme, credential_injector, valkey_server.url)
    tiers = []
    for pod in (pod_a, pod_a, pod_b):
        hexr_tool("aws_s3", region="eu-west-1", broker=pod, endpoint_url=moto_server.url)
        tiers.append(tool_spans(credential_spans)[-1].attributes["cache_tier"])
    # First call exchanges (L3); same pod again is memory (L1); another pod reads Valkey (L2).
    assert tiers == ["L3", "L1", "L2"]
    # An L1 hit records no lookup span (it is counted in a metric instead).
    before = len(credential_spans.get_finished_spans())
    assert pod_a.lookup("aws_s3", "eu-west-1").tier == "L1"
    assert len(credential_spans.get_finished_spans()) == before
    assert (client_a.exchanges, client_b.exchanges) == (1, 0)
    lookups = [s for s in credential_spans.get_finished_spans() if s.name == "hexr.cache.lookup"]
    l3 = [s for s in lookups if s.attributes["tier"] == "L3"][-1]
    assert l3.attributes["hit"] is True
    assert l3.attributes["duration_ms"] > 0
    last_l2 = [s for s in lookups if s.attributes["tier"] == "L2"][-1]
    assert last_l2.attributes["hit"] is True
    # The L3 lookup is a child of the tool span; the injector's exchange span continues
    # the same trace in its own process (console exporter output).
    tool = tool_spans(credential_spans, l3.context.trace_id)[0]
    assert l3.parent.span_id == tool.context.span_id
    trace_hex = f"0x{l3.context.trace_id:032x}"
    deadline = time.monotonic() + 10
    exported: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        exported = [d for d in _console_spans(credential_injector.output())
                    if d["name"] == "hexr.credential.exchange"
                    and d["context"]["trace_id"] == trace_hex]
        if exported:
            break
        time.sleep(0.2)
    assert exported, credential_injector.log()
    assert exported[0]["parent_id"] == f"0x{l3.context.span_id:016x}"
    assert exported[0]["attributes"]["spiffe_id"] == str(acme.spiffe_id)
    assert exported[0]["attributes"]["provider"] == "aws_sts"
    # The latency breakdown of the hop: one event per stage, in order, each timed.
    events = exported[0]["events"]
    assert [e["name"] for e in events] == ["authentication", "policy", "upstream", "serialization"]
    assert all(e["attributes"]["hexr.stage.duration_ms"] >= 0 for e in events)
    # Neither the injector's spans nor its log hold the credential or the JWT-SVID.
    credential = pod_a.lookup("aws_s3", "eu-west-1").credential
    leaked = credential_injector.output() + credential_injector.log()
    for secret in (credential.values["secret_access_key"], credential.values["session_token"],
                   acme.jwt_svid(credential_injector.audience)):
        assert secret not in leaked
    ours = json.dumps([dict(s.attributes or {}) for s in credential_spans.get_finished_spans()])
    assert credential.values["secret_access_key"] not in ours
    pod_a.close()
    pod_b.close()


def _console_spans(text: str) -> list[dict[str, Any]]:
    """Parse the console exporter's concatenated pretty-printed JSON objects."""
    decoder, index, found = json.JSONDecoder(), 0, []
    while True:
        start = text.find("{", index)
        if start < 0:
            return found
        try:
            obj, index = decoder.raw_decode(text, start)
        except ValueError:
            index = start + 1
            continue
        if isinstance(obj, dict) and "name" in obj and "context" in obj:
            found.append(obj)


def test_fifty_concurrent_first_calls_make_one_exchange(
    acme: IdentitySource, credential_injector: Any, valkey_server: Any, moto_server: Any,
) -> None:
    # One pod, 50 threads at once.
    pod, client = make_pod(acme, credential_injector, valkey_server.url)
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait()
        try:
            hexr_tool("aws_s3", region="ap-south-1", broker=pod, endpoint_url=moto_server.url)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert client.exchanges == 1
    pod.close()


async def test_fifty_concurrent_first_tasks_make_one_exchange(
    acme: IdentitySource, credential_injector: Any, valkey_server: Any, moto_server: Any,
) -> None:
    import asyncio

    from hexr.credentials import ahexr_tool

    pod, client = make_pod(acme, credential_injector, valkey_server.url)
    clients = await asyncio.gather(*(
        ahexr_tool("aws_s3", region="ca-central-1", broker=pod, endpoint_url=moto_server.url)
        for _ in range(50)
    ))
    assert client.exchanges == 1
    assert {c._request_signer._credentials.get_frozen_credentials().access_key
            for c in clients} == {pod.lookup("aws_s3", "ca-central-1").credential.values[
                "access_key_id"]}
    pod.close()


def test_concurrent_first_calls_across_pods_make_one_exchange(
    acme: IdentitySource, credential_injector: Any, valkey_server: Any,
) -> None:
    # Five pods with ten threads each, sharing Valkey: the L2 lock lets one pod exchange.
    pods = [make_pod(acme, credential_injector, valkey_server.url) for _ in range(5)]
    barrier = threading.Barrier(50)
    tiers: list[str] = []

    def call(broker: Any) -> None:
        barrier.wait()
        tiers.append(broker.lookup("aws_s3", "sa-east-1").tier)

    threads = [threading.Thread(target=call, args=(pod,)) for pod, _ in pods for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(client.exchanges for _, client in pods) == 1
    assert len(tiers) == 50
    for broker, _ in pods:
        broker.close()


def test_valkey_dump_holds_no_credential_in_clear(
    acme: IdentitySource, credential_injector: Any, valkey_server_factory: Any,
) -> None:
    server = valkey_server_factory()
    pod, _ = make_pod(acme, credential_injector, server.url)
    credential = pod.lookup("aws_s3", "us-west-2").credential
    raw = valkey.Valkey.from_url(server.url)
    stored = {k: raw.get(k) for k in raw.keys("*")}
    key = CacheKey(str(acme.spiffe_id), "aws_s3", "us-west-2").storage_key()
    assert key.encode() in stored
    raw.save()
    rdb = Path(raw.config_get("dir")["dir"]) / raw.config_get("dbfilename")["dbfilename"]
    dump = rdb.read_bytes()
    for secret in (credential.values["secret_access_key"], credential.values["session_token"],
                   credential.values["access_key_id"]):
        assert secret.encode() not in dump
        assert all(secret.encode() not in value for value in stored.values())
    # Without the identity's sealing key (held by the injector), the value does not open.
    with pytest.raises(CredentialError):
        open_sealed(os.urandom(32), key, stored[key.encode()])
    pod.close()


def test_valkey_killed_mid_run_calls_still_succeed_then_l2_resumes(
    acme: IdentitySource, credential_injector: Any, valkey_server_factory: Any,
) -> None:
    server = valkey_server_factory()
    pod, _ = make_pod(acme, credential_injector, server.url)
    assert pod.lookup("aws_s3", "eu-north-1").tier == "L3"
    server.kill()
    # A fresh pod (empty L1) cannot reach L2: it still gets a credential from L3.
    fresh, _ = make_pod(acme, credential_injector, server.url)
    assert fresh.lookup("aws_s3", "eu-north-1").tier == "L3"
    assert fresh._shared is not None
    assert fresh._shared.degraded
    # The pod that has it in L1 keeps serving from memory.
    assert pod.lookup("aws_s3", "eu-north-1").tier == "L1"
    server.start()
    time.sleep(0.6)  # past the degraded backoff
    writer, _ = make_pod(acme, credential_injector, server.url)
    assert writer.lookup("aws_s3", "eu-north-1").tier == "L3"  # Valkey restarted empty
    reader, client = make_pod(acme, credential_injector, server.url)
    assert reader.lookup("aws_s3", "eu-north-1").tier == "L2"
    assert client.exchanges == 0
    for broker in (pod, fresh, writer, reader):
        broker.close()


class TestTenantIsolation:
    def test_tenant_gets_only_its_own_role(
        self, identity_service: Any, credential_injector: Any, moto_server: Any
    ) -> None:
        with identity_service.as_workload(identity_service.spiffe_id("beta", "bot")):
            pod, _ = make_pod(default_source(), credential_injector)
            values = pod.lookup("aws_s3", "us-east-1").credential.values
            pod.close()
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=moto_server.url,
                           aws_access_key_id=values["access_key_id"],
                           aws_secret_access_key=values["secret_access_key"],
                           aws_session_token=values["session_token"])
        arn = sts.get_caller_identity()["Arn"]
        assert ":assumed-role/hexr-beta-bot/" in arn
        assert "acme" not in arn

    def test_ungranted_tenant_is_denied(
        self, identity_service: Any, credential_injector: Any
    ) -> None:
        with identity_service.as_workload(identity_service.spiffe_id("gamma", "bot")):
            pod, _ = make_pod(default_source(), credential_injector)
            with pytest.raises(PolicyDenied):
                hexr_tool("aws_s3", broker=pod)
            pod.close()

    def _post(self, source: IdentitySource, injector: Any, token: str, body: Any) -> Any:
        ssl_context = source.client_ssl_context(authorize_id(injector.audience))
        with httpx.Client(verify=ssl_context, timeout=10) as http:
            return http.post(f"{injector.url}/exchange", json=body,
                             headers={"authorization": f"Bearer {token}"})

    def test_forged_token_for_other_tenant_is_rejected(
        self, acme: IdentitySource, credential_injector: Any
    ) -> None:
        import jwt
        from cryptography.hazmat.primitives.asymmetric import ec

        real = acme.jwt_svid(credential_injector.audience)
        header = jwt.get_unverified_header(real)
        claims = jwt.decode(real, options={"verify_signature": False})
        claims["sub"] = "spiffe://hexr.local/agent/beta/bot/main"
        forged = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256",
                            headers={"kid": header["kid"]})
        response = self._post(acme, credential_injector, forged, {"service": "aws_s3"})
        assert response.status_code == 401
        # Re-signing is impossible, and tampering with a real token's claims breaks it too.
        head, _, sig = real.split(".")
        body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
        response = self._post(acme, credential_injector, f"{head}.{body}.{sig}",
                              {"service": "aws_s3"})
        assert response.status_code == 401
        assert self._post(acme, credential_injector, real, {"service": "aws_s3"}).status_code == 200

    def test_stolen_valid_token_is_useless_over_another_channel(
        self, identity_service: Any, credential_injector: Any
    ) -> None:
        with identity_service.as_workload(identity_service.spiffe_id("beta", "victim")):
            stolen = default_source().jwt_svid(credential_injector.audience)
        with identity_service.as_workload(identity_service.spiffe_id("acme", "thief")):
            thief = default_source()
            response = self._post(thief, credential_injector, stolen, {"service": "aws_s3"})
            assert response.status_code == 401
            assert "does not match the mTLS client" in response.json()["error"]["message"]
            own = thief.jwt_svid(credential_injector.audience)
            ok = self._post(thief, credential_injector, own, {"service": "aws_s3"})
            assert ok.status_code == 200

    def test_asking_for_another_tenants_role_is_rejected(
        self, acme: IdentitySource, credential_injector: Any
    ) -> None:
        token = acme.jwt_svid(credential_injector.audience)
        body = {"service": "aws_s3", "role_arn": "arn:aws:iam::123456789012:role/hexr-beta-bot"}
        response = self._post(acme, credential_injector, token, body)
        assert response.status_code == 422
        response = self._post(acme, credential_injector, token, {"service": "aws_s3",
                                                                 "tenant": "beta"})
        assert response.status_code == 422

    def test_token_for_another_audience_is_rejected(
        self, acme: IdentitySource, credential_injector: Any
    ) -> None:
        token = acme.jwt_svid("hexr-vault")
        response = self._post(acme, credential_injector, token, {"service": "aws_s3"})
        assert response.status_code == 401

    def test_client_without_svid_cannot_connect(self, credential_injector: Any) -> None:
        with pytest.raises(httpx.HTTPError), httpx.Client(verify=False, timeout=5) as http:  # noqa: S501
            http.post(f"{credential_injector.url}/exchange", json={"service": "aws_s3"})


def test_replayed_expired_token_is_rejected(
    identity_service_factory: Any, injector_factory: Any, moto_server: Any
) -> None:
    from tests.fixtures.injector import injector_document

    identity = identity_service_factory(jwt_ttl=2)
    injector = injector_factory(identity, injector_document(identity, moto_server.url))
    with identity.as_workload(identity.spiffe_id("acme", "bot")):
        source = default_source()
        token = source.jwt_svid(injector.audience)
        ssl_context = source.client_ssl_context(authorize_id(injector.audience))
        with httpx.Client(verify=ssl_context, timeout=10) as http:
            ok = http.post(f"{injector.url}/exchange", json={"service": "aws_s3"},
                           headers={"authorization": f"Bearer {token}"})
            assert ok.status_code == 200, ok.text
            time.sleep(3)
            replay = http.post(f"{injector.url}/exchange", json={"service": "aws_s3"},
                               headers={"authorization": f"Bearer {token}"})
    assert replay.status_code == 401
    assert "expired" in replay.json()["error"]["message"]
