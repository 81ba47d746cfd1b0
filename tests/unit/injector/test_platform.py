"""The injector's `hexr dev up` entry: launched through the identity launcher, deny-all config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hexr import _env
from hexr_injector.platform import injector_spec
from hexr_platform import ComponentContext, components


def contexts(home: Path) -> ComponentContext:
    peers: dict[str, ComponentContext] = {}
    peers["identity"] = ComponentContext("identity", {"http": 41001}, home, peers)
    peers["openbao"] = ComponentContext("openbao", {"port": 41002}, home, peers)
    peers["injector"] = ComponentContext(
        "injector", {"metrics": 41004, "https": 41003}, home, peers
    )
    return peers["injector"]


def test_registered_once_after_its_dependencies() -> None:
    names = [spec.name for spec in components()]
    assert names.count("injector") == 1
    spec = next(s for s in components() if s.name == "injector")
    assert set(spec.depends_on) == {"identity", "openbao"}
    assert names.index("injector") > names.index("identity")


def test_runs_as_the_injector_service_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_env.HEXR_INJECTOR_CONFIG, raising=False)
    monkeypatch.delenv(_env.HEXR_TRUST_DOMAIN, raising=False)
    ctx = contexts(tmp_path)
    spec = injector_spec()
    argv = spec.argv(ctx, "/usr/bin/python3")
    assert argv[1:3] == ["-m", "hexr_identity.launcher"]
    assert argv[argv.index("--spiffe-id") + 1] == (
        "spiffe://hexr.local/service/credential-injector"
    )
    child = argv[argv.index("--") + 1 :]
    assert child[1:3] == ["-m", "hexr_injector"]
    assert child[child.index("--port") + 1] == "41003"
    assert spec.publish(ctx) == {_env.HEXR_INJECTOR_URL: "https://127.0.0.1:41003"}
    assert spec.process_env(ctx)[_env.HEXR_METRICS_PORT] == "41004"
    assert spec.metrics_path == "/metrics"


def test_generated_config_trusts_local_identity_and_grants_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_env.HEXR_INJECTOR_CONFIG, raising=False)
    ctx = contexts(tmp_path)
    spec = injector_spec()
    assert spec.prepare is not None
    spec.prepare(ctx)
    document = yaml.safe_load((ctx.data_dir / "injector.yaml").read_text())
    assert document["issuer"] == "http://127.0.0.1:41001"
    assert document["vault_addr"] == "http://127.0.0.1:41002"
    assert document["grants"] == []
    assert document["services"] == {}


def test_user_config_is_used_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("issuer: http://x\n")
    monkeypatch.setenv(_env.HEXR_INJECTOR_CONFIG, str(mine))
    ctx = contexts(tmp_path)
    spec = injector_spec()
    assert spec.prepare is not None
    spec.prepare(ctx)
    argv = spec.argv(ctx, "/usr/bin/python3")
    assert argv[argv.index("--config") + 1] == str(mine)
    assert mine.read_text() == "issuer: http://x\n"
    assert not (ctx.data_dir / "injector.yaml").exists()
