"""``hexr gateway tools`` / ``import`` run as registered agent workloads against the real
gateway (the module gateway of test_gateway_mcp is not shared: this module starts its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.gateway import gateway_document


def _hexr(identity: Any, spiffe_id: Any, *args: str) -> subprocess.CompletedProcess[bytes]:
    process = identity.spawn(
        spiffe_id, [sys.executable, "-m", "hexr_cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_cli_imports_a_spec_and_lists_what_the_identity_may_call(
    identity_service: Any, vault_env: Any, upstream_api: Any, gateway_factory: Any,
    tmp_path: Path,
) -> None:
    document = gateway_document(identity_service, vault_env, None, upstream_api.url)
    document["upstreams"] = []
    gateway = gateway_factory(document)
    spec = tmp_path / "shop.json"
    spec.write_text(json.dumps(httpx.get(f"{upstream_api.url}/openapi.json").json()))
    acme = identity_service.spiffe_id("acme", "cli")
    imported = _hexr(identity_service, acme, "gateway", "import", str(spec), "--name", "cli",
                     "--url", gateway.url)
    assert imported.returncode == 0, imported.stderr
    assert b"registered cli for tenant acme" in imported.stdout
    listed = _hexr(identity_service, acme, "gateway", "tools", "--json", "--url", gateway.url)
    assert listed.returncode == 0, listed.stderr
    assert "cli_getItem" in {t["name"] for t in json.loads(listed.stdout)}
