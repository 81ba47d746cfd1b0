"""The local platform starts OpenBao after identity and bootstraps it (post-start hook)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from hexr import _env
from hexr._settings import platform_file
from hexr.identity import IdentitySource, SpiffeId
from hexr.vault import VaultClient
from hexr_identity import registration_socket_path, workload_socket_path
from hexr_identity.registration_client import register, unregister
from hexr_platform import (
    ComponentContext,
    RunningComponent,
    allocate_ports,
    get_spec,
    start_component,
)
from hexr_vault import enroll_local_agent, local_root_token
from hexr_vault.platform import openbao_spec


@pytest.fixture
def platform_home() -> Iterator[Path]:
    # Short path: the identity service's unix sockets live under it.
    with tempfile.TemporaryDirectory(prefix="hexr-vh-") as tmp:
        yield Path(tmp)


def test_openbao_post_start_bootstraps_against_identity(platform_home: Path) -> None:
    specs = [get_spec("identity"), openbao_spec()]
    assert "identity" in specs[1].depends_on
    ports = allocate_ports([(s.name, s.ports) for s in specs], {})
    peers: dict[str, ComponentContext] = {}
    for spec in specs:
        peers[spec.name] = ComponentContext(spec.name, ports[spec.name], platform_home, peers)
    running: list[RunningComponent] = []
    try:
        for spec in specs:  # identity first, as depends_on orders them in `hexr dev up`
            running.append(start_component(spec, peers[spec.name], die_with_parent=True))
        bao = peers["openbao"]
        root = hvac.Client(f"http://{bao.host}:{bao.port}", token=local_root_token(bao.home))
        config = root.read("auth/hexr-jwt/config")["data"]
        identity = peers["identity"]
        assert config["jwks_url"] == f"http://{identity.host}:{identity.port}/keys"
        assert config["bound_issuer"].startswith("http://")
        mounts = root.sys.list_mounted_secrets_engines()["data"]
        assert mounts["hexr-kv/"]["type"] == "kv"
        assert mounts["hexr-transit/"]["type"] == "transit"
        assert root.read("auth/hexr-jwt/role/service.credential-injector") is not None
        _agent_reads_after_local_enrollment(platform_home, peers, root)
    finally:
        for component in reversed(running):
            component.stop(grace_s=3.0)


def _agent_reads_after_local_enrollment(
    home: Path, peers: dict[str, ComponentContext], root: hvac.Client
) -> None:
    """`hexr vault enroll`'s local path, then an agent with only its Workload API socket."""
    bao = peers["openbao"]
    url = f"http://{bao.host}:{bao.port}"
    published = {_env.HEXR_VAULT_ADDR: url, _env.HEXR_TRUST_DOMAIN: "hexr.local"}
    platform_file(home).parent.mkdir(parents=True, exist_ok=True)
    platform_file(home).write_text(json.dumps({"env": published}))
    changes = enroll_local_agent("acme", "bot", home)
    assert "role agent.acme.bot" in changes
    assert enroll_local_agent("acme", "bot", home) == []
    root.secrets.kv.v2.create_or_update_secret(
        "tenants/acme/shared/db", secret={"password": "local-platform-pw"}, mount_point="hexr-kv"
    )
    sid = SpiffeId.for_agent("acme", "bot")
    register(str(registration_socket_path(home)), sid, pid=os.getpid())
    try:
        with IdentitySource(str(workload_socket_path(home))) as source:
            client = VaultClient(url, identity=source)
            assert client.get("shared/db")["password"] == "local-platform-pw"
    finally:
        unregister(str(registration_socket_path(home)), os.getpid())
