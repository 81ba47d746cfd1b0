"""``hexr dev run``: a user's command runs with a real, registered identity."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hexr import _env

HEXR = str(Path(sys.executable).with_name("hexr"))
_PRINT_ID = (
    "import os; from hexr.identity import IdentitySource;"
    "s = IdentitySource(timeout=5); print(os.getpid(), s.spiffe_id, s.jwt_svid('vault')[:3])"
)


def _env_for(service, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        _env.HEXR_HOME: str(home),
        _env.SPIFFE_ENDPOINT_SOCKET: service.endpoint,
        _env.HEXR_IDENTITY_REGISTRATION_SOCKET: service.registration_socket,
    }


def test_dev_run_gives_the_command_its_identity(identity_service, tmp_path) -> None:
    out = subprocess.run(
        [
            HEXR,
            "dev",
            "run",
            "--tenant",
            "acme",
            "--agent",
            "cli",
            "--role",
            "worker",
            "--",
            sys.executable,
            "-c",
            _PRINT_ID,
        ],
        env=_env_for(identity_service, tmp_path),
        capture_output=True,
        timeout=60,
        check=True,
    )
    _, spiffe_id, token_head = out.stdout.decode().split()
    assert spiffe_id == "spiffe://hexr.local/agent/acme/cli/worker"
    assert token_head == "eyJ"


def test_dev_run_errors_are_clear(identity_service, tmp_path) -> None:
    env = _env_for(identity_service, tmp_path)
    bad_id = subprocess.run(
        [HEXR, "dev", "run", "--tenant", "a/b", "--agent", "x", "--", "true"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert bad_id.returncode == 2
    assert b"invalid tenant" in bad_id.stderr
    assert b"Traceback" not in bad_id.stderr
    missing = subprocess.run(
        [HEXR, "dev", "run", "--tenant", "a", "--agent", "x", "--", "no-such-command-xyz"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert missing.returncode == 127
    assert b"command not found" in missing.stderr
    no_platform = {k: v for k, v in env.items() if k != _env.SPIFFE_ENDPOINT_SOCKET}
    down = subprocess.run(
        [HEXR, "dev", "run", "--tenant", "a", "--agent", "x", "--", "true"],
        env=no_platform,
        capture_output=True,
        timeout=60,
    )
    assert down.returncode == 1
    assert b"hexr dev up" in down.stderr


def test_dev_run_keeps_operator_vault_tokens_from_the_agent(identity_service, tmp_path) -> None:
    # An operator shell often exports a root token; the agent holds no static token.
    env = {
        **_env_for(identity_service, tmp_path),
        _env.HEXR_VAULT_TOKEN: "operator-root-token",
        "VAULT_TOKEN": "operator-root-token",
        "BAO_TOKEN": "operator-root-token",
    }
    out = subprocess.run(
        [HEXR, "dev", "run", "--tenant", "acme", "--agent", "cli", "--",
         sys.executable, "-c", "import os; print(sorted(os.environ))"],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    names = out.stdout.decode()
    assert "SPIFFE_ENDPOINT_SOCKET" in names
    for name in (_env.HEXR_VAULT_TOKEN, "'VAULT_TOKEN'", "BAO_TOKEN"):
        assert name not in names


@contextmanager
def _local_platform(tmp_path: Path, component: str) -> Iterator[dict[str, str]]:
    """``hexr dev up -c component`` in a private HEXR_HOME; yields the env to run hexr with.

    Nothing of the caller's HEXR_*, vault or Workload API settings leaks in: the commands
    must find everything through the platform they started.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HEXR_", "VAULT_", "BAO_")) and k != _env.SPIFFE_ENDPOINT_SOCKET
    }
    env[_env.HEXR_HOME] = str(tmp_path / "home")
    up = subprocess.run(
        [HEXR, "dev", "up", "-c", component], env=env, capture_output=True, timeout=90
    )
    try:
        assert up.returncode == 0, up.stdout.decode() + up.stderr.decode()
        yield env
    finally:
        subprocess.run([HEXR, "dev", "down"], env=env, capture_output=True, timeout=60)


def test_dev_up_then_run_with_the_platform_identity_component(tmp_path) -> None:
    with _local_platform(tmp_path, "identity") as env:
        out = subprocess.run(
            [HEXR, "dev", "run", "--tenant", "acme", "--agent", "local", "--",
             sys.executable, "-c", _PRINT_ID],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr.decode()
        assert out.stdout.decode().split()[1] == "spiffe://hexr.local/agent/acme/local/main"


_READ_SECRET = "import hexr.vault; print(hexr.vault.get('shared/db')['password'])"


def test_dev_run_agent_reads_its_tenant_secret_with_no_token(tmp_path) -> None:
    """The documented local flow: up, seed as operator, run the agent; nothing else."""
    with _local_platform(tmp_path, "openbao") as env:
        seeded = subprocess.run(
            [HEXR, "vault", "put", "acme", "shared/db", "password=e2e-pw-31337"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert seeded.returncode == 0, seeded.stderr.decode()
        own = subprocess.run(
            [HEXR, "dev", "run", "--tenant", "acme", "--agent", "bot", "--",
             sys.executable, "-c", _READ_SECRET],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert own.returncode == 0, own.stderr.decode()
        assert own.stdout.decode().strip() == "e2e-pw-31337"
        other = subprocess.run(
            [HEXR, "dev", "run", "--tenant", "globex", "--agent", "bot", "--",
             sys.executable, "-c", _READ_SECRET],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert other.returncode != 0
        assert b"e2e-pw-31337" not in other.stdout + other.stderr
