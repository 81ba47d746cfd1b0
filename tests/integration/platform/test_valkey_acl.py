"""Issue 17, finding 3: Valkey requires authentication, each agent reaches only its own keys.

A real valkey-server started from the platform's own spec (the default user may only PING), the
real SDK store, the real injector for the lock test.
"""

from __future__ import annotations

import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import valkey
import valkey.exceptions

from hexr.credentials._model import CacheKey
from hexr.endpoints import with_valkey_credentials
from hexr.identity import default_source
from hexr_platform.builtin.valkey import grant_agent, password_file, valkey_spec
from tests.fixtures.platform import ComponentHandle, _started
from tests.integration.credentials._pods import make_pod

TD = "hexr.local"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComponentHandle]:
    yield from _started(ComponentHandle(valkey_spec(), tmp_path_factory.mktemp("valkey-acl"), {}))


def _admin(handle: ComponentHandle) -> valkey.Valkey:
    password = password_file(handle.home, "admin").read_text()
    return valkey.Valkey(host=handle.host, port=handle.port, username="admin", password=password)


def test_unauthenticated_clients_get_nothing(secured: ComponentHandle) -> None:
    anonymous = valkey.Valkey.from_url(secured.url)
    assert anonymous.ping()  # a liveness probe is all it may do
    for command in (("GET", "cred:x"), ("SET", "lock:cred:x", "1"), ("DEL", "cred:x"),
                    ("SAVE",), ("KEYS", "*"), ("CONFIG", "GET", "dir")):
        with pytest.raises(valkey.exceptions.NoPermissionError):
            anonymous.execute_command(*command)


def test_platform_user_has_data_but_no_admin_commands(secured: ComponentHandle) -> None:
    client = valkey.Valkey.from_url(with_valkey_credentials(secured.url, secured.home))
    client.set("k", "v")
    assert client.get("k") == b"v"
    for command in (("SAVE",), ("CONFIG", "GET", "dir"), ("FLUSHALL",), ("KEYS", "*")):
        with pytest.raises(valkey.exceptions.NoPermissionError):
            client.execute_command(*command)


def test_secrets_are_private_and_never_on_a_command_line(secured: ComponentHandle) -> None:
    admin_password = password_file(secured.home, "admin").read_text()
    for path in [*(secured.home / "secrets").iterdir(), secured.ctx.data_dir / "users.acl",
                 secured.ctx.data_dir / "valkey.conf"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert admin_password not in (secured.ctx.data_dir / "users.acl").read_text()
    cmdline = Path(f"/proc/{secured.pid}/cmdline").read_bytes().decode()
    assert admin_password not in cmdline


def test_snapshot_is_owner_only(secured: ComponentHandle) -> None:
    admin = _admin(secured)
    admin.set("snapshot-me", "v")
    admin.save()
    dump = secured.ctx.data_dir / "dump.rdb"
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    assert stat.S_IMODE(secured.ctx.data_dir.stat().st_mode) == 0o700


def test_agent_user_reaches_only_its_own_keys_and_survives_a_restart(
    secured: ComponentHandle,
) -> None:
    url = grant_agent(secured.home, secured.url, TD, "acme", "bot")
    grant_agent(secured.home, secured.url, TD, "beta", "bot")
    own = f"cred:spiffe://{TD}/agent/acme/bot/main:aws_s3:us-east-1"
    other = f"cred:spiffe://{TD}/agent/beta/bot/main:aws_s3:us-east-1"
    _admin(secured).set(other, "sealed-value-of-beta")
    agent = valkey.Valkey.from_url(url)
    agent.set(own, "sealed", px=60_000)
    assert agent.get(own) == b"sealed"
    assert agent.set(f"lock:{own}", "token", nx=True, px=1000)
    for command in (("GET", other), ("DEL", other), ("SET", f"lock:{other}", "x"),
                    ("SAVE",), ("FLUSHALL",)):
        with pytest.raises(valkey.exceptions.NoPermissionError):
            agent.execute_command(*command)
    secured.stop()
    secured.start()
    assert valkey.Valkey.from_url(url).exists(own) in (0, 1)  # still authenticates
    assert "password" not in url.split("@")[0].split(":")[0]


def test_planted_lock_stalls_a_caller_only_briefly(
    identity_service: Any, credential_injector: Any, valkey_server: Any
) -> None:
    sid = identity_service.spiffe_id("acme", f"locked{uuid.uuid4().hex[:6]}")
    with identity_service.as_workload(sid):
        pod, client = make_pod(default_source(), credential_injector, valkey_server.url)
        key = CacheKey(str(sid), "aws_s3", "us-east-1")
        raw = valkey.Valkey.from_url(valkey_server.url)
        pod._shared_key()  # fetch the sealing key first: L2 is then in use
        raw.set(f"lock:{key.storage_key()}", "planted", px=60_000)
        began = time.monotonic()
        lookup = pod.lookup("aws_s3", "us-east-1")
        print(f"planted 60 s lock: served after {time.monotonic() - began:.2f} s")
        pod.close()
    assert lookup.tier == "L3"
    assert client.exchanges == 1
    # The caller gave up on the foreign lock long before it would have expired.
    assert raw.pttl(f"lock:{key.storage_key()}") > 50_000


def test_sdk_finds_the_shared_password_with_zero_config(
    secured: ComponentHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(secured.home))
    url = with_valkey_credentials(secured.url)
    assert url.startswith("valkey://platform:")
    assert valkey.Valkey.from_url(url).ping()
    # A process that cannot read the secrets directory keeps the URL as it is.
    monkeypatch.setenv("HEXR_HOME", str(secured.home / "elsewhere"))
    assert with_valkey_credentials(secured.url) == secured.url
    assert os.environ["HEXR_HOME"].endswith("elsewhere")
