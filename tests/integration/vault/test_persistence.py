"""Issue 17, finding 4 and first run 3/4: the local OpenBao keeps secrets across down/up,
no log holds its root token or unseal key, and ``hexr vault`` names paths (never values).

The real supervisor (in-process) starts identity + OpenBao; the ``hexr vault`` commands run
in-process through Typer's runner against it.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hexr import _env
from hexr_cli._app import app
from hexr_platform import Platform


def _vault(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["vault", *args])
    return result.exit_code, result.stdout, result.stderr


def test_secrets_survive_down_and_up_and_no_log_holds_a_vault_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for name in (_env.HEXR_VAULT_ADDR, _env.HEXR_VAULT_TOKEN, "VAULT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(_env.HEXR_HOME, str(home))
    platform = Platform(home)
    try:
        assert platform.up(["openbao"]).ok
        code, _, err = _vault("put", "acme", "shared/db", "password=kept-31337")
        assert code == 0, err
        assert "warning" not in err
        code, out, err = _vault("put", "acme", "openai/api-key", "key=sk-unread-4242")
        assert code == 0, err
        assert "no agent reads 'openai/api-key'" in err
        assert "shared/" in err
        assert "agents/<name>/" in err
        assert "sk-unread-4242" not in out + err
        code, _, err = _vault("get", "acme", "shared/nothing-here")
        assert code == 1
        assert "no secret at 'shared/nothing-here'" in err
        platform.down(grace_s=2.0)
        assert platform.up(["openbao"]).ok
        code, out, err = _vault("get", "acme", "shared/db", "--field", "password")
        assert code == 0, err
        assert out.strip() == "kept-31337"
    finally:
        platform.down(grace_s=2.0)
    secrets_dir = home / "secrets"
    root_token = (secrets_dir / "openbao-root-token").read_text().strip()
    unseal_key = (secrets_dir / "openbao-unseal-key").read_text().strip()
    for name in ("openbao-root-token", "openbao-unseal-key"):
        assert stat.S_IMODE((secrets_dir / name).stat().st_mode) == 0o600
    log = (home / "logs" / "openbao.log").read_text(errors="replace")
    assert log.count("==> hexr: openbao starting at") == 2  # a marker per start
    logs = "".join(p.read_text(errors="replace") for p in (home / "logs").iterdir())
    for secret in (root_token, unseal_key, "kept-31337"):
        assert secret not in logs
