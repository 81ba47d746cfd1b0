from __future__ import annotations

from pathlib import Path

import pytest

from hexr import _env
from hexr_platform import ComponentContext, components, get_spec, python_module
from hexr_platform.builtin.collector import collector_spec


def _contexts(home: Path) -> dict[str, ComponentContext]:
    peers: dict[str, ComponentContext] = {}
    port = 20000
    for spec in components():
        ports = {role: port + i for i, role in enumerate(spec.ports)}
        port += 10
        peers[spec.name] = ComponentContext(spec.name, ports, home, peers)
    return peers


def test_names_are_unique_and_lookup_works() -> None:
    names = [spec.name for spec in components()]
    assert len(names) == len(set(names))
    assert get_spec("valkey").name == "valkey"
    with pytest.raises(KeyError):
        get_spec("nope")


def test_every_component_binds_loopback_only(tmp_path: Path) -> None:
    contexts = _contexts(tmp_path)
    for spec in components():
        ctx = contexts[spec.name]
        ctx.secrets_dir.mkdir(parents=True, exist_ok=True)
        argv = spec.argv(contexts[spec.name], "/bin/x")
        # The host may also come through the environment (Phoenix reads PHOENIX_HOST).
        joined = " ".join([*argv, *spec.process_env(ctx).values()])
        assert "0.0.0.0" not in joined, spec.name  # noqa: S104 - asserting its absence
        if spec.ports:
            assert "127.0.0.1" in joined, f"{spec.name} must bind loopback explicitly"
        # A port is passed as an argument (alone, host:port or --flag=port) or through env.
        passed = [*argv, *spec.process_env(ctx).values()]
        if spec.prepare is not None and spec.name == "openbao":
            # OpenBao's metrics listener is declared in the config file prepare writes.
            ctx.data_dir.mkdir(parents=True, exist_ok=True)
            spec.prepare(ctx)
            passed += [tok.strip('"') for tok in (ctx.data_dir / "telemetry.hcl").read_text()
                       .split()]
        for port in ctx.ports.values():
            assert any(
                tok == str(port) or tok.endswith((f":{port}", f"={port}")) for tok in passed
            ), spec.name


def test_published_names_are_platform_env_names(tmp_path: Path) -> None:
    contexts = _contexts(tmp_path)
    published: set[str] = set()
    for spec in components():
        published |= set(spec.publish(contexts[spec.name]))
    assert published <= set(_env.PLATFORM_ENV_NAMES)
    assert {
        _env.HEXR_VALKEY_URL,
        _env.HEXR_VAULT_ADDR,
        _env.OTEL_EXPORTER_OTLP_ENDPOINT,
        _env.HEXR_PROMETHEUS_URL,
        _env.HEXR_PUSHGATEWAY_URL,
    } <= published


def test_openbao_runs_from_raft_storage_with_no_secret_in_argv_or_env(tmp_path: Path) -> None:
    # Issue 17 (first run 4, finding 4) replaced dev mode, whose fresh per-start root token
    # went through BAO_DEV_ROOT_TOKEN_ID: the server now keeps its data under HEXR_HOME and
    # the platform initialises it through the API (root token and unseal key: 0600 files).
    ctx = _contexts(tmp_path)["openbao"]
    ctx.data_dir.mkdir(parents=True)
    spec = get_spec("openbao")
    assert spec.prepare is not None
    spec.prepare(ctx)
    argv = spec.argv(ctx, "bao")
    assert "-dev" not in argv
    env = spec.process_env(ctx)
    assert not any("TOKEN" in name for name in env)
    (config,) = ctx.data_dir.glob("openbao-*.hcl")
    assert f"-config={config}" in argv
    assert 'storage "raft"' in config.read_text()
    assert config.stat().st_mode & 0o777 == 0o600


def test_collector_exporter_is_configurable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    contexts = _contexts(tmp_path)
    ctx = contexts["collector"]
    # With a trace store in the platform, the collector forwards to its OTLP/gRPC port.
    store = contexts["traces"]
    assert collector_spec().argv(ctx, "rotel")[-6:] == [
        "--exporter", "otlp", "--otlp-exporter-endpoint",
        f"http://127.0.0.1:{store.ports['grpc']}", "--otlp-exporter-protocol", "grpc",
    ]
    del contexts["traces"]  # shared peers map: no trace store -> blackhole
    assert collector_spec().argv(ctx, "rotel")[-2:] == ["--exporter", "blackhole"]
    monkeypatch.setenv(
        _env.HEXR_COLLECTOR_EXPORTER_ARGS, "--exporter otlp --otlp-exporter-endpoint h:1"
    )
    assert collector_spec().argv(ctx, "rotel")[-4:] == [
        "--exporter", "otlp", "--otlp-exporter-endpoint", "h:1"
    ]
    assert collector_spec(["--exporter", "x"]).argv(ctx, "rotel")[-2:] == ["--exporter", "x"]


def test_python_module_locator() -> None:
    assert python_module("http.server")() is not None
    assert python_module("no_such_module_hexr")() is None
    # A module whose extra is missing is not installed, rather than crashing at start.
    assert python_module("http.server", needs=("no_such_module_hexr",))() is None


def test_components_are_in_display_order() -> None:
    names = [spec.name for spec in components()]
    assert names[:4] == ["identity", "valkey", "openbao", "injector"]


def test_openbao_token_file_is_recreated_never_written_through(tmp_path: Path) -> None:
    # An older file (a symlink, or one whose mode was loosened) must not receive the token.
    ctx = _contexts(tmp_path)["openbao"]
    ctx.secrets_dir.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    elsewhere.chmod(0o644)
    token_file = ctx.secrets_dir / "openbao-root-token"
    token_file.symlink_to(elsewhere)
    # Issue 17: the root token comes from the storage's initialisation, written by this.
    from hexr_vault._storage import _write_secret

    token = "s.root-token-from-init"
    _write_secret(token_file, token)
    assert elsewhere.read_text() == "untouched"
    assert elsewhere.stat().st_mode & 0o777 == 0o644
    assert not token_file.is_symlink()
    assert token_file.read_text() == token
    assert token_file.stat().st_mode & 0o777 == 0o600
