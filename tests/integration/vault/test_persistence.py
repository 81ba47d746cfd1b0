"""Issue 17, finding 4 and first run 3/4: the local OpenBao keeps secrets across down/up,
no log holds its root token or unseal key, and ``hexr vault`` names paths (never values)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from hexr import _env

HEXR = str(Path(sys.executable).with_name("hexr"))


def _hexr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HEXR, *args], env=env, capture_output=True, text=True, timeout=120)


def test_secrets_survive_down_and_up_and_no_log_holds_a_vault_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HEXR_", "VAULT_", "BAO_")) and k != _env.SPIFFE_ENDPOINT_SOCKET}
    home = tmp_path / "home"
    env[_env.HEXR_HOME] = str(home)
    try:
        up = _hexr(env, "dev", "up", "-c", "openbao")
        assert up.returncode == 0, up.stdout + up.stderr
        seeded = _hexr(env, "vault", "put", "acme", "shared/db", "password=kept-31337")
        assert seeded.returncode == 0, seeded.stderr
        assert "warning" not in seeded.stderr
        unread = _hexr(env, "vault", "put", "acme", "openai/api-key", "key=sk-unread-4242")
        assert unread.returncode == 0, unread.stderr
        assert "no agent reads 'openai/api-key'" in unread.stderr
        assert "shared/" in unread.stderr
        assert "agents/<name>/" in unread.stderr
        assert "sk-unread-4242" not in unread.stdout + unread.stderr
        missing = _hexr(env, "vault", "get", "acme", "shared/nothing-here")
        assert missing.returncode == 1
        assert "no secret at 'shared/nothing-here'" in missing.stderr
        assert _hexr(env, "dev", "down").returncode == 0
        again = _hexr(env, "dev", "up", "-c", "openbao")
        assert again.returncode == 0, again.stdout + again.stderr
        kept = _hexr(env, "vault", "get", "acme", "shared/db", "--field", "password")
        assert kept.returncode == 0, kept.stderr
        assert kept.stdout.strip() == "kept-31337"
    finally:
        _hexr(env, "dev", "down")
    secrets_dir = home / "secrets"
    root_token = (secrets_dir / "openbao-root-token").read_text().strip()
    unseal_key = (secrets_dir / "openbao-unseal-key").read_text().strip()
    for name in ("openbao-root-token", "openbao-unseal-key"):
        assert stat.S_IMODE((secrets_dir / name).stat().st_mode) == 0o600
    logs = "".join(p.read_text(errors="replace") for p in (home / "logs").iterdir())
    assert logs.count("==> hexr:") >= 2  # a marker per start
    for secret in (root_token, unseal_key, "kept-31337"):
        assert secret not in logs
