"""The local platform starts OpenBao after identity and bootstraps it (post-start hook)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import hvac
import pytest

from hexr_platform import (
    ComponentContext,
    RunningComponent,
    allocate_ports,
    get_spec,
    openbao_root_token,
    openbao_spec,
    start_component,
)


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
        root = hvac.Client(f"http://{bao.host}:{bao.port}", token=openbao_root_token(bao.home))
        config = root.read("auth/hexr-jwt/config")["data"]
        identity = peers["identity"]
        assert config["jwks_url"] == f"http://{identity.host}:{identity.port}/keys"
        assert config["bound_issuer"].startswith("http://")
        mounts = root.sys.list_mounted_secrets_engines()["data"]
        assert mounts["hexr-kv/"]["type"] == "kv"
        assert mounts["hexr-transit/"]["type"] == "transit"
        assert root.read("auth/hexr-jwt/role/service.credential-injector") is not None
    finally:
        for component in reversed(running):
            component.stop(grace_s=3.0)
