"""`VaultClient` against a real OpenBao whose JWT auth trusts a test issuer.

Covers the token lifecycle (cache, renewal, revocation, expiry), tenant isolation by the
server's ACL, Rego-derived agent restrictions and transit, with real HTTP and real ACLs.
"""

from __future__ import annotations

import time

import pytest

from hexr.errors import PolicyDenied, VaultError, VaultPathError
from hexr.vault import SecretNotFound, VaultLayout
from hexr_vault import AgentPathRules, VaultBootstrap
from tests.fixtures.vault import JwtIssuer, MintingIdentity, VaultEnv

A = "spiffe://hexr.local/agent/acme/bot/main"
B = "spiffe://hexr.local/agent/globex/bot/main"


@pytest.fixture(scope="module")
def env(vault_jwt_env: VaultEnv) -> VaultEnv:
    vault_jwt_env.enroll("acme", "bot")
    vault_jwt_env.enroll("globex", "bot")
    vault_jwt_env.seed("acme", "shared/db", {"password": "acme-db-pw-7f3a"})
    vault_jwt_env.seed("globex", "shared/db", {"password": "globex-db-pw-91c2"})
    vault_jwt_env.seed("globex", "agents/bot/notes", {"n": "globex-private-5d1e"})
    return vault_jwt_env


def ident(issuer: JwtIssuer, spiffe_id: str) -> MintingIdentity:
    return MintingIdentity(issuer, spiffe_id)


def test_reads_own_tenant_secret_and_caches_token(env: VaultEnv, vault_jwt_issuer: JwtIssuer):
    me = ident(vault_jwt_issuer, A)
    client = env.client(me)
    assert client.get("shared/db")["password"] == "acme-db-pw-7f3a"
    assert client.get("tenants/acme/shared/db").reveal() == {"password": "acme-db-pw-7f3a"}
    assert me.fetches == 1  # second read reused the cached vault token


def test_writes_own_prefix_only(env: VaultEnv, vault_jwt_issuer: JwtIssuer) -> None:
    client = env.client(ident(vault_jwt_issuer, A))
    version = client.put("agents/bot/state", {"step": 1})
    assert client.put("agents/bot/state", {"step": 2}) == version + 1
    assert client.get("agents/bot/state")["step"] == 2
    assert client.list("agents/bot") == ["state"]
    with pytest.raises(PolicyDenied):
        client.put("shared/db", {"password": "overwritten"})
    with pytest.raises(PolicyDenied):
        client.put("agents/other/state", {"x": 1})
    with pytest.raises(PolicyDenied):
        client.get("credentials/openai")
    assert env.root().secrets.kv.v2.read_secret_version(
        "tenants/acme/shared/db", mount_point="hexr-kv", raise_on_deleted_version=True
    )["data"]["data"] == {"password": "acme-db-pw-7f3a"}


@pytest.mark.parametrize(
    "path",
    ["tenants/globex/shared/db", "../globex/shared/db", "shared/../../globex/shared/db",
     "/tenants/globex/shared/db", "shared/%2e%2e/%2e%2e/globex/shared/db", "shared//db",
     "shared/./db", "tenants/globex", "shared/db\x00", "shared/*"],
)
def test_path_tricks_are_rejected_before_any_request(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer, path: str
) -> None:
    me = ident(vault_jwt_issuer, A)
    client = env.client(me)
    with pytest.raises(VaultPathError):
        client.get(path)
    with pytest.raises(VaultPathError):
        client.put(path, {"x": "y"})
    assert me.fetches == 0  # rejected before login, let alone a read


def test_server_acl_isolates_tenants_even_without_sdk_checks(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    """A token of tenant acme, used raw against globex's paths, is refused by OpenBao."""
    client = env.client(ident(vault_jwt_issuer, A))
    client.get("shared/db")  # logs in
    raw = client._hvac  # the logged-in session, bypassing the SDK's path checks
    for path in ("tenants/globex/shared/db", "tenants/globex/agents/bot/notes",
                 "tenants/acme/../globex/shared/db"):
        with pytest.raises(Exception, match="permission denied"):
            raw.secrets.kv.v2.read_secret_version(path, mount_point="hexr-kv",
                                                  raise_on_deleted_version=True)
    with pytest.raises(Exception, match="permission denied"):
        raw.secrets.kv.v2.list_secrets("tenants/globex/shared", mount_point="hexr-kv")
    with pytest.raises(Exception, match="permission denied"):
        raw.secrets.kv.v2.create_or_update_secret("tenants/globex/agents/bot/x",
                                                  secret={"a": "b"}, mount_point="hexr-kv")
    with pytest.raises(Exception, match="permission denied"):
        raw.secrets.transit.encrypt_data("tenant.globex", plaintext="aGk=",
                                         mount_point="hexr-transit")


def test_cannot_log_in_with_another_tenants_role(env: VaultEnv, vault_jwt_issuer: JwtIssuer):
    client = env.client(ident(vault_jwt_issuer, A))
    svid = vault_jwt_issuer.mint(A)
    with pytest.raises(Exception, match="bound claim"):
        client._hvac.auth.jwt.jwt_login("agent.globex.bot", svid, use_token=False,
                                        path=env.layout.auth_mount)


def test_list_and_missing(env: VaultEnv, vault_jwt_issuer: JwtIssuer) -> None:
    client = env.client(ident(vault_jwt_issuer, A))
    assert "db" in client.list("shared")
    assert client.list("shared/nothing-here") == []
    with pytest.raises(SecretNotFound):
        client.get("shared/missing")
    with pytest.raises(PolicyDenied):
        client.list("")  # the tenant root itself is not listable


def test_transit_round_trip_and_tenant_keys(env: VaultEnv, vault_jwt_issuer: JwtIssuer):
    a = env.client(ident(vault_jwt_issuer, A))
    b = env.client(ident(vault_jwt_issuer, B))
    ciphertext = a.encrypt(b"card 4111-1111")
    assert ciphertext.startswith("vault:v1:")
    assert a.decrypt(ciphertext) == b"card 4111-1111"
    assert a.decrypt(a.encrypt("text", context=b"ctx"), context=b"ctx") == b"text"
    with pytest.raises(VaultError):  # globex's key cannot open acme's ciphertext
        b.decrypt(ciphertext)
    with pytest.raises(VaultError):
        a.decrypt("not-a-ciphertext")


def test_unenrolled_agent_gets_clear_error(env: VaultEnv, vault_jwt_issuer: JwtIssuer) -> None:
    client = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/acme/ghost/main"))
    with pytest.raises(VaultError, match="not enrolled"):
        client.get("shared/db")


def test_forged_and_wrong_audience_svids_are_refused(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    forger = JwtIssuer()  # same claims, attacker's key, trusted kid
    try:
        forged = MintingIdentity(forger, A, kid=vault_jwt_issuer.kid)
        with pytest.raises(VaultError, match="refused the JWT-SVID"):
            env.client(forged).get("shared/db")
    finally:
        forger.close()
    with pytest.raises(VaultError, match="refused the JWT-SVID"):
        env.client(ident(vault_jwt_issuer, A), audience="not-the-vault").get("shared/db")


def test_revoked_token_is_replaced_transparently(env: VaultEnv, vault_jwt_issuer: JwtIssuer):
    me = ident(vault_jwt_issuer, A)
    client = env.client(me)
    client.get("shared/db")
    env.root().auth.token.revoke(client._hvac.token)
    assert client.get("shared/db")["password"] == "acme-db-pw-7f3a"
    assert me.fetches == 2


def test_expired_token_renews_then_relogs(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    short = VaultBootstrap(env.root(), env.trust, layout=env.layout, token_ttl=2, token_max_ttl=4)
    short.ensure_agent("acme", "shortlived")
    env.seed("acme", "agents/shortlived/k", {"v": "short-lived-value-2b"})
    me = ident(vault_jwt_issuer, "spiffe://hexr.local/agent/acme/shortlived/main")
    client = env.client(me)
    assert client.get("agents/shortlived/k")["v"] == "short-lived-value-2b"
    first = client._hvac.token
    time.sleep(1.7)  # past 75 % of the 2 s lease: renewed (the 4 s max TTL allows it)
    client.get("agents/shortlived/k")
    assert client._hvac.token == first
    assert me.fetches == 1
    time.sleep(2.6)  # past the max TTL: the token is dead, a fresh login follows
    assert client.get("agents/shortlived/k")["v"] == "short-lived-value-2b"
    assert me.fetches == 2
    # A new client process after the expiry just logs in.
    assert env.client(me).get("agents/shortlived/k")["v"] == "short-lived-value-2b"


def test_rego_restriction_is_enforced_by_the_server(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    rules = AgentPathRules(data={"restricted": {"initech": {"shared/payments/": ["billing"]}}})
    boot = VaultBootstrap(env.root(), env.trust, layout=env.layout, rules=rules)
    boot.ensure_agent("initech", "billing")
    boot.ensure_agent("initech", "chat")
    env.seed("initech", "shared/payments/stripe", {"key": "sk-initech-88aa"})
    env.seed("initech", "shared/general", {"k": "v"})
    billing = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/initech/billing/m"))
    chat = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/initech/chat/main"))
    assert billing.get("shared/payments/stripe")["key"] == "sk-initech-88aa"
    assert chat.get("shared/general")["k"] == "v"
    with pytest.raises(PolicyDenied):
        chat.get("shared/payments/stripe")
    with pytest.raises(PolicyDenied):
        chat.list("shared/payments")
    with pytest.raises(Exception, match="permission denied"):  # raw token: the server says no
        chat._hvac.secrets.kv.v2.read_secret_version(
            "tenants/initech/shared/payments/stripe", mount_point="hexr-kv",
            raise_on_deleted_version=True)


def test_injector_reads_credentials_of_any_tenant_and_nothing_else(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    env.seed("acme", "credentials/openai", {"api_key": "sk-acme-openai-11"})
    env.seed("globex", "credentials/openai", {"api_key": "sk-globex-openai-22"})
    injector = env.client(
        ident(vault_jwt_issuer, "spiffe://hexr.local/service/credential-injector")
    )
    assert injector.read_credential("acme", "openai")["api_key"] == "sk-acme-openai-11"
    assert injector.read_credential("globex", "openai")["api_key"] == "sk-globex-openai-22"
    with pytest.raises(PolicyDenied):
        injector._read("acme", "shared/db")
    with pytest.raises(VaultError, match="service identity has no tenant"):
        injector.get("shared/db")
    other = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/service/nobody"))
    with pytest.raises(VaultError, match="not enrolled"):
        other.read_credential("acme", "openai")


def test_gateway_reads_upstream_credentials_only(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    env.seed("acme", "upstreams/shop", {"api_key": "upk-acme-shop-33"})
    env.seed("acme", "credentials/openai", {"api_key": "sk-acme-openai-11"})
    gateway = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/service/gateway"))
    assert gateway.read_upstream_credential("acme", "shop")["api_key"] == "upk-acme-shop-33"
    with pytest.raises(PolicyDenied):
        gateway.read_credential("acme", "openai")
    injector = env.client(
        ident(vault_jwt_issuer, "spiffe://hexr.local/service/credential-injector")
    )
    with pytest.raises(PolicyDenied):
        injector.read_upstream_credential("acme", "shop")


def test_layout_defaults_match_bootstrap() -> None:
    assert VaultLayout().kv_mount == "hexr-kv"


def test_concurrent_first_calls_log_in_once(env: VaultEnv, vault_jwt_issuer: JwtIssuer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    me = ident(vault_jwt_issuer, A)
    client = env.client(me)
    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda _: client.get("shared/db")["password"], range(16)))
    assert values == ["acme-db-pw-7f3a"] * 16
    assert me.fetches == 1


def test_tenants_differing_only_in_case_stay_isolated(
    env: VaultEnv, vault_jwt_issuer: JwtIssuer
) -> None:
    """OpenBao lowercases policy names; escaping keeps "Umbrella" and "umbrella" apart."""
    env.enroll("Umbrella", "bot")
    env.enroll("umbrella", "bot")
    env.enroll("um.brella", "b.ot")
    env.seed("Umbrella", "shared/db", {"v": "upper-umbrella-31"})
    env.seed("umbrella", "shared/db", {"v": "lower-umbrella-47"})
    upper = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/Umbrella/bot/main"))
    lower = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/umbrella/bot/main"))
    dotted = env.client(ident(vault_jwt_issuer, "spiffe://hexr.local/agent/um.brella/b.ot/m"))
    assert upper.get("shared/db")["v"] == "upper-umbrella-31"
    assert lower.get("shared/db")["v"] == "lower-umbrella-47"
    assert dotted.put("agents/b.ot/x", {"k": "v"}) >= 1
    with pytest.raises(Exception, match="permission denied"):
        upper._hvac.secrets.kv.v2.read_secret_version(
            "tenants/umbrella/shared/db", mount_point="hexr-kv", raise_on_deleted_version=True
        )
    with pytest.raises(VaultError):  # each tenant has its own transit key
        lower.decrypt(upper.encrypt(b"x"))
