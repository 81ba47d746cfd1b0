"""The issue's acceptance checks with the real identity service and a real OpenBao.

Every secret value seeded here is watched: the last test asserts none of them appears
in any span exported by this process, any log record (stdlib or structlog) emitted
while this module ran, or the output of the spawned agent processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import structlog
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import hexr.vault
from hexr.errors import PolicyDenied, VaultError, VaultPathError
from hexr.identity import IdentitySource
from hexr.vault import VaultClient, VaultLayout
from hexr_vault import JwtTrust, VaultBootstrap
from tests.fixtures.vault import JwtIssuer, VaultEnv

ACME_DB = "acme-db-password-4e1f9b"
GLOBEX_DB = "globex-db-password-0c77aa"
GLOBEX_PRIVATE = "globex-agent-private-93d1"
WRITTEN = "acme-written-by-agent-5a2c"
TRANSIT_PLAIN = "transit-plaintext-c0ffee"
WATCHED = (ACME_DB, GLOBEX_DB, GLOBEX_PRIVATE, WRITTEN, TRANSIT_PLAIN)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


@pytest.fixture(scope="module")
def watch(vault_spans: InMemorySpanExporter) -> Iterator[dict[str, Any]]:
    """Capture every log line (stdlib at DEBUG, structlog) while this module runs."""
    handler = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    outputs: list[str] = []
    try:
        with structlog.testing.capture_logs() as struct_logs:
            yield {"handler": handler, "struct": struct_logs, "outputs": outputs,
                   "spans": vault_spans}
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.fixture(scope="module")
def env(vault_env: VaultEnv, watch: dict[str, Any]) -> VaultEnv:
    for tenant in ("acme", "globex"):
        vault_env.enroll(tenant, "bot")
    vault_env.seed("acme", "shared/db", {"password": ACME_DB})
    vault_env.seed("globex", "shared/db", {"password": GLOBEX_DB})
    vault_env.seed("globex", "agents/bot/private", {"v": GLOBEX_PRIVATE})
    return vault_env


@pytest.fixture
def acme(env: VaultEnv, identity_service: Any) -> Iterator[VaultClient]:
    with identity_service.as_workload(identity_service.spiffe_id("acme", "bot")):
        client = VaultClient(env.url)  # identity from SPIFFE_ENDPOINT_SOCKET, no token
        try:
            yield client
        finally:
            client.close()


def test_agent_reads_its_tenant_secret_with_no_token(
    env: VaultEnv, identity_service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_VAULT_ADDR", env.url)
    monkeypatch.delenv("HEXR_VAULT_TOKEN", raising=False)
    monkeypatch.delenv("VAULT_TOKEN", raising=False)
    with identity_service.as_workload(identity_service.spiffe_id("acme", "bot")):
        hexr.vault.set_default_client(None)
        try:
            secret = hexr.vault.get("shared/db")
            assert secret["password"] == ACME_DB
            assert hexr.vault.put("agents/bot/out", {"v": WRITTEN}) >= 1
            assert "out" in hexr.vault.list("agents/bot")
            assert hexr.vault.decrypt(hexr.vault.encrypt(TRANSIT_PLAIN)) == TRANSIT_PLAIN.encode()
        finally:
            hexr.vault.set_default_client(None)
            # The OpenBao server is shared by the session: leave agents/bot as found, so
            # tests that list it exactly do not depend on running before this one.
            env.root().secrets.kv.v2.delete_metadata_and_all_versions(
                "tenants/acme/agents/bot/out", mount_point="hexr-kv"
            )


def test_spawned_agent_process_reads_with_only_the_workload_socket(
    env: VaultEnv, identity_service: Any, watch: dict[str, Any]
) -> None:
    code = (
        "import hashlib, hexr.vault\n"
        "s = hexr.vault.get('shared/db')\n"
        "print(hashlib.sha256(s['password'].encode()).hexdigest())\n"
        "print(repr(s))\n"
    )
    child = identity_service.spawn(
        identity_service.spiffe_id("acme", "bot", "worker"),
        [sys.executable, "-c", code],
        env={"HEXR_VAULT_ADDR": env.url, "VAULT_TOKEN": "", "HEXR_VAULT_TOKEN": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = child.communicate(timeout=60)
    watch["outputs"] += [out.decode(), err.decode()]
    assert child.returncode == 0, err.decode()[-2000:]
    lines = out.decode().splitlines()
    assert lines[0] == hashlib.sha256(ACME_DB.encode()).hexdigest()
    assert "values=<redacted>" in lines[1]


@pytest.mark.parametrize(
    "path",
    ["tenants/globex/shared/db", "../globex/shared/db", "shared/../../globex/shared/db",
     "/tenants/globex/shared/db", "tenants/acme/../globex/shared/db", "shared/%2e%2e/globex"],
)
def test_tenant_a_cannot_reach_tenant_b_by_path_tricks(acme: VaultClient, path: str) -> None:
    with pytest.raises(VaultPathError):
        acme.get(path)
    with pytest.raises(VaultPathError):
        acme.list(path)
    with pytest.raises(VaultPathError):
        acme.put(path, {"v": "x"})


def test_tenant_a_token_is_refused_by_the_server_for_tenant_b(
    env: VaultEnv, acme: VaultClient
) -> None:
    acme.get("shared/db")
    raw = acme._hvac  # acme's real vault token, without the SDK's checks
    for read in ("tenants/globex/shared/db", "tenants/globex/agents/bot/private"):
        with pytest.raises(Exception, match="permission denied"):
            raw.secrets.kv.v2.read_secret_version(read, mount_point="hexr-kv",
                                                  raise_on_deleted_version=True)
    with pytest.raises(Exception, match="permission denied"):
        raw.secrets.kv.v2.list_secrets("tenants/globex", mount_point="hexr-kv")
    with pytest.raises(Exception, match="permission denied"):
        raw.secrets.kv.v2.create_or_update_secret("tenants/globex/shared/db",
                                                  secret={"password": "x"},
                                                  mount_point="hexr-kv")
    with pytest.raises(PolicyDenied):
        acme.put("shared/db", {"password": "x"})  # own tenant, but not writable
    for tenant, value in (("globex", GLOBEX_DB), ("acme", ACME_DB)):  # nothing was changed
        stored = env.root().secrets.kv.v2.read_secret_version(
            f"tenants/{tenant}/shared/db", mount_point="hexr-kv", raise_on_deleted_version=True
        )
        assert stored["data"]["data"] == {"password": value}


def test_forged_svid_is_refused(env: VaultEnv, identity_service: Any) -> None:
    sid = str(identity_service.spiffe_id("acme", "bot"))
    with identity_service.as_workload(sid):
        real = IdentitySource()
        try:
            kid = jwt.get_unverified_header(real.jwt_svid("hexr-vault"))["kid"]
        finally:
            real.close()
    forger = JwtIssuer()
    try:
        forged = forger.mint(sid, issuer=identity_service.issuer, kid=kid)
        client = VaultClient(env.url, identity=_Fixed(sid, forged))
        with pytest.raises(VaultError, match="refused the JWT-SVID"):
            client.get("shared/db")
    finally:
        forger.close()


class _Fixed:
    def __init__(self, spiffe_id: str, token: str) -> None:
        self.spiffe_id = spiffe_id
        self._token = token

    def jwt_svid(self, audience: str) -> str:
        return self._token


def test_expired_svid_is_refused(
    openbao_server: Any, identity_service_factory: Any
) -> None:
    short = identity_service_factory(jwt_ttl=1)
    layout = VaultLayout(auth_mount="short-jwt")
    trust = JwtTrust(issuer=short.issuer, jwks_url=short.jwks_url,
                     trust_domain=short.trust_domain)
    root = VaultEnv(openbao_server.url, openbao_server.root_token, trust, layout).root()
    boot = VaultBootstrap(root, trust, layout=layout, jwt_leeway=1)
    boot.bootstrap()
    boot.ensure_agent("acme", "bot")
    sid = str(short.spiffe_id("acme", "bot"))
    with short.as_workload(sid):
        source = IdentitySource()
        try:
            token = source.jwt_svid("hexr-vault")
        finally:
            source.close()
    fresh = VaultClient(openbao_server.url, identity=_Fixed(sid, token), layout=layout)
    fresh.list("shared")  # the real, fresh SVID logs in
    time.sleep(2.3)  # past exp (1 s) and the 1 s leeway
    stale = VaultClient(openbao_server.url, identity=_Fixed(sid, token), layout=layout)
    with pytest.raises(VaultError, match="expired"):
        stale.list("shared")


def test_client_keeps_working_after_token_expiry(env: VaultEnv, identity_service: Any) -> None:
    boot = VaultBootstrap(env.root(), env.trust, token_ttl=1, token_max_ttl=1)
    boot.ensure_agent("acme", "ephemeral")
    env.seed("acme", "agents/ephemeral/k", {"password": ACME_DB})
    with identity_service.as_workload(identity_service.spiffe_id("acme", "ephemeral")):
        client = VaultClient(env.url)
        assert client.get("agents/ephemeral/k")["password"] == ACME_DB
        first = client._hvac.token
        time.sleep(1.3)  # the vault token has expired
        assert client.get("agents/ephemeral/k")["password"] == ACME_DB
        assert client._hvac.token != first
        restarted = VaultClient(env.url)  # a "restarted" client after the expiry
        assert restarted.get("agents/ephemeral/k")["password"] == ACME_DB
        # A token that died without the client knowing (revoked) is replaced too.
        env.root().auth.token.revoke(restarted._hvac.token)
        assert restarted.get("agents/ephemeral/k")["password"] == ACME_DB


def test_get_span_has_path_and_tenant(acme: VaultClient, watch: dict[str, Any]) -> None:
    spans: InMemorySpanExporter = watch["spans"]
    before = len(spans.get_finished_spans())
    acme.get("tenants/acme/shared/db")
    with pytest.raises(PolicyDenied):
        acme.get("credentials/openai")
    got = [s for s in spans.get_finished_spans()[before:] if s.name == "hexr.vault.get"]
    assert len(got) == 2
    ok, denied = got
    assert ok.attributes is not None
    assert denied.attributes is not None
    assert ok.attributes["path"] == "shared/db"
    assert ok.attributes["tenant"] == "acme"
    assert ok.attributes["hexr.spiffe_id"] == "spiffe://hexr.local/agent/acme/bot/main"
    assert ok.status.is_ok
    assert not denied.status.is_ok


_METRICS_CHILD = """
import json, sys
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
trace.set_tracer_provider(provider)

import hexr.vault
from hexr.errors import HexrError

hexr.vault.get("shared/db")
hexr.vault.get("shared/db")
for bad in (lambda: hexr.vault.get("shared/missing"), lambda: hexr.vault.get("../x"),
            lambda: hexr.vault.put("shared/db", {"password": "x"})):
    try:
        bad()
    except HexrError:
        pass
points = []
for rm in reader.get_metrics_data().resource_metrics:
    for sm in rm.scope_metrics:
        for m in sm.metrics:
            for p in m.data.data_points:
                value = getattr(p, "value", None)
                points.append({"name": m.name, "attrs": dict(p.attributes),
                               "value": value if value is not None else p.count})
print(json.dumps({"points": points, "spans": [s.to_json() for s in spans.get_finished_spans()]}))
"""


def test_metrics_count_operations_latency_and_errors(
    env: VaultEnv, identity_service: Any, watch: dict[str, Any]
) -> None:
    child = identity_service.spawn(
        identity_service.spiffe_id("acme", "bot", "metrics"),
        [sys.executable, "-c", _METRICS_CHILD],
        env={"HEXR_VAULT_ADDR": env.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = child.communicate(timeout=60)
    watch["outputs"] += [out.decode(), err.decode()]
    assert child.returncode == 0, err.decode()[-2000:]
    report = json.loads(out)
    points = report["points"]

    def value(name: str, **attrs: str) -> int:
        return sum(p["value"] for p in points if p["name"] == name and p["attrs"] == attrs)

    assert value("hexr.vault.operations", op="get", status="ok") == 2
    assert value("hexr.vault.operations", op="get", status="error") == 2
    assert value("hexr.vault.operations", op="put", status="error") == 1
    assert value("hexr.vault.errors", op="get", reason="not_found") == 1
    assert value("hexr.vault.errors", op="get", reason="invalid_path") == 1
    assert value("hexr.vault.errors", op="put", reason="denied") == 1
    assert value("hexr.vault.duration", op="get", status="ok") == 2  # histogram count
    assert sum('"hexr.vault.get"' in s for s in report["spans"]) == 4


def test_zz_no_secret_value_in_spans_or_logs(watch: dict[str, Any]) -> None:
    spans = watch["spans"].get_finished_spans()
    assert any(s.name == "hexr.vault.get" for s in spans)
    texts = [s.to_json() for s in spans]
    texts += watch["handler"].lines
    texts += [repr(entry) for entry in watch["struct"]]
    texts += watch["outputs"]
    assert len(watch["handler"].lines) > 0  # the capture saw the run's log lines
    blob = "\n".join(texts)
    for value in WATCHED:
        assert value not in blob
