"""AsyncVaultClient against the real OpenBao and identity service: the sync client's twin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hexr.errors import PolicyDenied, VaultPathError
from hexr.identity import IdentitySource
from hexr.vault import AsyncVaultClient, SecretNotFound
from tests.fixtures.vault import VaultEnv


@pytest.fixture
def agent(identity_service: Any, vault_env: VaultEnv) -> Any:
    name = f"async{uuid.uuid4().hex[:6]}"
    vault_env.enroll("acme", name)
    sid = identity_service.spiffe_id("acme", name)
    with identity_service.as_workload(sid):
        yield IdentitySource(identity_service.endpoint), name


async def test_async_twin_reads_writes_and_encrypts_like_the_sync_client(
    agent: Any, vault_env: VaultEnv
) -> None:
    source, name = agent
    vault_env.seed("acme", "shared/async-db", {"password": "async-db-pw"})
    vault_env.seed("globex", "shared/db", {"password": "globex-only"})
    sync = vault_env.client(source)
    async with AsyncVaultClient(vault_env.url, identity=source, layout=vault_env.layout) as vc:
        secret = await vc.get("shared/async-db")
        assert secret["password"] == "async-db-pw"
        assert sync.get("shared/async-db").version == secret.version
        version = await vc.put(f"agents/{name}/state", {"step": 3})
        assert sync.get(f"agents/{name}/state")["step"] == 3
        assert version == 1
        assert "async-db" in await vc.list("shared")
        assert await vc.list("shared/nothing-here") == []
        token = await vc.encrypt(b"card-4111")
        assert sync.decrypt(token) == b"card-4111"
        assert await vc.decrypt(sync.encrypt("x")) == b"x"
        with pytest.raises(SecretNotFound):
            await vc.get("shared/missing")
        with pytest.raises(PolicyDenied):
            await vc.put("shared/async-db", {"password": "overwritten"})
        with pytest.raises(VaultPathError):
            await vc.get("tenants/globex/shared/db")  # another tenant: refused before a request
        # A revoked token is replaced by a fresh login, once, as the sync client does.
        stale = vc._tokens.value
        assert stale is not None
        vault_env.root().auth.token.revoke(stale)
        assert (await vc.get("shared/async-db"))["password"] == "async-db-pw"
        assert vc._tokens.value != stale
    sync.close()
