"""``hexr vault`` and ``python -m hexr_vault`` against a real OpenBao and identity service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hexr_cli import app
from tests.fixtures.vault import VaultEnv

runner = CliRunner()


@pytest.fixture
def operator(vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> VaultEnv:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))  # no platform: nothing published
    monkeypatch.setenv("HEXR_VAULT_ADDR", vault_env.url)
    monkeypatch.setenv("HEXR_VAULT_TOKEN", vault_env.root_token)
    return vault_env


def test_put_get_list(operator: VaultEnv) -> None:
    value = "cli-seeded-value-61b0"
    done = runner.invoke(app, ["vault", "put", "hooli", "shared/api", f"key={value}", "n=1"])
    assert done.exit_code == 0, done.output
    assert "version 1" in done.output
    shown = runner.invoke(app, ["vault", "get", "hooli", "shared/api"])
    assert shown.exit_code == 0
    assert "fields: key, n" in shown.output
    assert value not in shown.output  # values only on request
    assert runner.invoke(app, ["vault", "get", "hooli", "shared/api", "--field", "key"]
                         ).output.strip() == value
    revealed = runner.invoke(app, ["vault", "get", "hooli", "shared/api", "--reveal"])
    assert value in revealed.output
    assert runner.invoke(app, ["vault", "list", "hooli", "shared"]).output.split() == ["api"]
    from_stdin = runner.invoke(app, ["vault", "put", "hooli", "shared/j", "--json", "-"],
                               input='{"a": "b"}')
    assert from_stdin.exit_code == 0, from_stdin.output


@pytest.mark.parametrize(
    "argv",
    [["vault", "get", "hooli", "../globex/shared/db"], ["vault", "get", "Hooli", "shared/x"],
     ["vault", "put", "hooli", "shared/x", "novalue"], ["vault", "get", "hooli", "shared/none"],
     ["vault", "list", "hooli", "tenants/globex"]],
)
def test_bad_input_is_a_clear_error(operator: VaultEnv, argv: list[str]) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output


def test_a_field_without_key_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A password typed without its "key=" is a secret: the error must not print it.
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.setenv("HEXR_VAULT_TOKEN", "operator-token")
    result = runner.invoke(
        app, ["vault", "put", "hooli", "shared/db", "user=app", "hunter2-secret-pw",
              "--addr", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert "KEY=VALUE" in result.output
    assert "hunter2" not in result.output


def test_token_from_the_platform_file(
    vault_env: VaultEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.setenv("HEXR_VAULT_ADDR", vault_env.url)
    monkeypatch.delenv("HEXR_VAULT_TOKEN", raising=False)
    missing = runner.invoke(app, ["vault", "list", "hooli"])
    assert missing.exit_code == 1
    assert "HEXR_VAULT_TOKEN" in missing.output
    token_file = tmp_path / "secrets" / "openbao-root-token"
    token_file.parent.mkdir()
    token_file.write_text(vault_env.root_token)
    token_file.chmod(0o644)
    assert "readable by others" in runner.invoke(app, ["vault", "list", "hooli"]).output
    token_file.chmod(0o600)
    assert runner.invoke(app, ["vault", "list", "hooli"]).exit_code == 0


def test_enroll_then_bootstrap_module_is_idempotent(
    openbao_server: Any, identity_service: Any, operator: VaultEnv
) -> None:
    enrolled = runner.invoke(app, ["vault", "enroll", "hooli", "bot"])
    assert enrolled.exit_code == 0, enrolled.output
    assert runner.invoke(app, ["vault", "enroll", "hooli", "bot"]).output.strip() == (
        "nothing to change"
    )
    env = {**os.environ, "HEXR_VAULT_TOKEN": openbao_server.root_token}
    argv = [sys.executable, "-m", "hexr_vault", "bootstrap", "--addr", openbao_server.url,
            "--jwks-url", identity_service.jwks_url, "--enroll", "hooli/bot"]
    run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "nothing to change"  # vault_env already bootstrapped it
    bad = subprocess.run([*argv[:-2], "--issuer", "not-a-url"], env=env, capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ")
