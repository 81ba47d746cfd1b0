"""Vault-held API keys through the injector: real OpenBao (bootstrapped by hexr_vault),
real identity, the injector logging in to the vault with its own service identity."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from hexr.credentials import hexr_tool
from hexr.errors import PolicyDenied
from hexr.identity import default_source
from tests.fixtures.injector import injector_document
from tests.integration.credentials._pods import make_pod


@pytest.fixture(scope="module")
def echo_api() -> Iterator[str]:
    """A loopback HTTP API that answers with the headers it received."""

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_vault_api_key_reaches_the_api_per_tenant(
    identity_service: Any, vault_env: Any, injector_factory: Any, moto_server: Any,
    echo_api: str,
) -> None:
    keys = {tenant: f"sk-{tenant}-{uuid.uuid4().hex}" for tenant in ("acme", "beta")}
    for tenant, key in keys.items():
        vault_env.seed(tenant, "credentials/echo_llm", {"api_key": key})
    document = injector_document(
        identity_service, moto_server.url,
        vault_addr=vault_env.url,
        grants=[{"tenant": "acme", "services": ["echo_llm"]},
                {"tenant": "beta", "services": ["echo_llm"]}],
        services={"echo_llm": {"provider": "vault_key", "base_url": echo_api,
                               "ttl_seconds": 600}},
    )
    injector = injector_factory(identity_service, document)
    seen = {}
    for tenant in ("acme", "beta"):
        with identity_service.as_workload(identity_service.spiffe_id(tenant, "writer")):
            pod, _ = make_pod(default_source(), injector)
            with hexr_tool("echo_llm", broker=pod) as api:
                seen[tenant] = api.get("/models").json()["authorization"]
            pod.close()
    # Each tenant's agent presents its own tenant's key, read by the injector, never by it.
    assert seen == {tenant: f"Bearer {key}" for tenant, key in keys.items()}
    assert keys["acme"] not in injector.log()


def test_tenant_without_grant_gets_no_vault_key(
    identity_service: Any, vault_env: Any, injector_factory: Any, moto_server: Any,
    echo_api: str,
) -> None:
    vault_env.seed("gamma", "credentials/echo_llm", {"api_key": "sk-gamma"})
    document = injector_document(
        identity_service, moto_server.url, vault_addr=vault_env.url,
        grants=[{"tenant": "acme", "services": ["echo_llm"]}],
        services={"echo_llm": {"provider": "vault_key", "base_url": echo_api}},
    )
    injector = injector_factory(identity_service, document)
    with identity_service.as_workload(identity_service.spiffe_id("gamma", "writer")):
        pod, client = make_pod(default_source(), injector)
        with pytest.raises(PolicyDenied):
            hexr_tool("echo_llm", broker=pod)
        pod.close()
    assert client.exchanges == 1
