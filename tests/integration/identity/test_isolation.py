"""Issue 17, finding 5: service identities only through the supervisor's socket, and
``hexr dev run --own-uid`` (as root, as these tests run) isolates agents from the platform's
secrets, its registration socket and each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hexr import _env
from hexr.errors import IdentityError
from hexr_identity import registration_socket_path, service_registration_socket
from hexr_identity.registration_client import register, unregister

HEXR = str(Path(sys.executable).with_name("hexr"))
INJECTOR = "spiffe://hexr.local/service/credential-injector"


def test_agents_socket_refuses_service_identities(identity_service) -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(IdentityError, match="registered by the platform only"):
            register(identity_service.registration_socket, INJECTOR, pid=child.pid)
        services = str(service_registration_socket(identity_service.registration_socket))
        assert register(services, INJECTOR, pid=child.pid) == child.pid
        assert unregister(services, child.pid)
    finally:
        child.kill()
        child.wait()


# The agent runs Debian's interpreter with this venv's packages: the test session's own
# interpreter may live under /root (0700), which an unprivileged uid cannot execute.
SYSTEM_PYTHON = "/usr/bin/python3"
SITE = next(p for p in sys.path if p.endswith("site-packages"))
_PROBE = r"""
import json, os, socket, sys, site
site.addsitedir(sys.argv.pop())
from hexr.identity import IdentitySource
home, shared, peer_file = sys.argv[1:4]
out = {"uid": os.getuid(), "id": str(IdentitySource(timeout=10).spiffe_id)}
def denied(action):
    try:
        action()
    except PermissionError:
        return True
    return False
def connect_registration():
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(os.path.join(home, "identity", "admin", "registration.sock"))
out["registration_denied"] = denied(connect_registration)
out["secrets_denied"] = denied(lambda: os.listdir(os.path.join(home, "secrets")))
out["peer_denied"] = denied(lambda: open(peer_file).read()) if os.path.exists(peer_file) else None
from urllib.parse import unquote, urlsplit
url = urlsplit(os.environ["HEXR_VALKEY_URL"])
out["valkey_user"] = url.username
def resp(*parts):
    # Raw RESP: the system interpreter lacks a dependency of the valkey client on 3.11.2.
    encoded = [p.encode() for p in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)
peer = os.path.basename(peer_file)
own_key = f"cred:{out['id']}:aws_s3:us-east-1"
peer_key = f"cred:spiffe://hexr.local/agent/acme/{peer}/main:aws_s3:us-east-1"
with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
    conn.sendall(resp("AUTH", unquote(url.username), unquote(url.password))
                 + resp("SET", own_key, "sealed") + resp("GET", own_key) + resp("GET", peer_key))
    replies = b""
    while replies.count(b"\r\n") < 5 and not replies.startswith(b"-"):
        replies += conn.recv(4096)
out["own_key_ok"] = replies.startswith(b"+OK\r\n+OK\r\n$6\r\nsealed\r\n")
out["peer_key_denied"] = b"-NOPERM" in replies
with open(os.path.join(shared, out["id"].rsplit("/", 2)[1]), "w") as fh:
    fh.write("private to its agent")
print(json.dumps(out))
"""


@pytest.fixture
def traversable_platform() -> Iterator[tuple[Path, dict[str, str]]]:
    """``hexr dev up -c identity -c valkey`` in a HEXR_HOME other uids can traverse (not
    /tmp/pytest-*, whose directories are 0700)."""
    base = Path(tempfile.mkdtemp(prefix="hexr-iso-"))
    base.chmod(0o711)
    home = base / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HEXR_", "VAULT_", "BAO_")) and k != _env.SPIFFE_ENDPOINT_SOCKET}
    env[_env.HEXR_HOME] = str(home)
    up = subprocess.run([HEXR, "dev", "up", "-c", "identity", "-c", "valkey"], env=env,
                        capture_output=True, timeout=90)
    try:
        assert up.returncode == 0, up.stdout.decode() + up.stderr.decode()
        yield home, env
    finally:
        subprocess.run([HEXR, "dev", "down"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _run_probe(env: dict[str, str], home: Path, shared: Path, agent: str, peer: str) -> dict:
    out = subprocess.run(
        [HEXR, "dev", "run", "--own-uid", "--tenant", "acme", "--agent", agent, "--",
         SYSTEM_PYTHON, "-S", "-c", _PROBE, str(home), str(shared), str(shared / peer), SITE],
        env=env, capture_output=True, timeout=60, cwd="/",
    )
    assert out.returncode == 0, out.stderr.decode()
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def test_own_uid_agents_are_isolated(traversable_platform) -> None:
    assert os.geteuid() == 0, "these tests run as root"
    home, env = traversable_platform
    shared = home.parent / "shared"
    shared.mkdir(mode=0o1777)
    shared.chmod(0o1777)
    first = _run_probe(env, home, shared, "alpha", "beta")
    second = _run_probe(env, home, shared, "beta", "alpha")
    assert first["id"] == "spiffe://hexr.local/agent/acme/alpha/main"
    assert second["id"] == "spiffe://hexr.local/agent/acme/beta/main"
    assert first["uid"] != 0
    assert first["uid"] != second["uid"]
    uids = json.loads((home / "secrets" / "agent-uids.json").read_text())
    assert uids == {"acme/alpha": first["uid"], "acme/beta": second["uid"]}  # kept per agent
    for probe in (first, second):
        assert probe["registration_denied"]
        assert probe["secrets_denied"]
        assert probe["own_key_ok"]  # its own Valkey ACL user, handed over by `dev run`
        assert probe["peer_key_denied"]
    assert first["valkey_user"] == "agent%3Aacme%3Aalpha"
    assert second["peer_denied"] is True  # beta cannot read what alpha wrote
    assert registration_socket_path(home).exists()
