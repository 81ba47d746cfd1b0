"""VaultClient behaviour that needs no server: config, bounds, and early rejection."""

import pytest

from hexr.errors import ConfigError, VaultError, VaultPathError
from hexr.vault import VaultClient
from hexr.vault._client import MAX_FIELDS, MAX_VALUE_BYTES


class NoIdentity:
    spiffe_id = "spiffe://hexr.local/agent/acme/bot/main"

    def jwt_svid(self, audience: str) -> str:
        raise AssertionError("no request may be made")


def client() -> VaultClient:
    # Port 9 (discard) is never a vault; any request would fail differently.
    return VaultClient("http://127.0.0.1:9", identity=NoIdentity(), timeout=0.5)


@pytest.mark.parametrize(
    "value",
    [{}, {"k": object()}, {1: "x"}, "plain string", {"k": "x" * MAX_VALUE_BYTES},
     {f"k{i}": i for i in range(MAX_FIELDS + 1)}],
)
def test_bad_values_rejected_without_echoing_them(value: object) -> None:
    with pytest.raises(VaultError) as info:
        client().put("agents/bot/x", value)  # type: ignore[arg-type]
    assert "xxxxxxxx" not in str(info.value)
    assert info.value.__cause__ is None


def test_bad_paths_rejected_before_login() -> None:
    with pytest.raises(VaultPathError):
        client().get("../globex/shared/db")


def test_oversized_transit_input() -> None:
    with pytest.raises(VaultError):
        client().encrypt(b"x" * (1024 * 1024 + 1))
    with pytest.raises(VaultError):
        client().decrypt("plain")


def test_unreachable_vault_is_a_vault_error() -> None:
    class Id(NoIdentity):
        def jwt_svid(self, audience: str) -> str:
            return "header.payload.sig"

    with pytest.raises(VaultError, match="cannot reach"):
        VaultClient("http://127.0.0.1:9", identity=Id(), timeout=0.5).get("shared/db")


def test_config_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.delenv("HEXR_VAULT_ADDR", raising=False)
    with pytest.raises(ConfigError, match="HEXR_VAULT_ADDR"):
        VaultClient(identity=NoIdentity())
    monkeypatch.setenv("HEXR_VAULT_ADDR", "ftp://x")
    with pytest.raises(ConfigError):
        VaultClient(identity=NoIdentity())
    monkeypatch.setenv("HEXR_VAULT_ADDR", "http://127.0.0.1:8200/")
    monkeypatch.setenv("HEXR_VAULT_AUDIENCE", "aud-x")
    monkeypatch.setenv("VAULT_TOKEN", "static-token-must-not-be-used")
    c = VaultClient(identity=NoIdentity())
    assert c._config.addr == "http://127.0.0.1:8200"
    assert c._config.audience == "aud-x"
    assert not c._hvac.token  # never a static token


def test_cached_token_repr_hides_the_token() -> None:
    # Frames holding the token (error reporters capture locals) must not print it.
    from hexr.vault._client import _Token

    token = _Token("hvs.very-secret-vault-token", True, 1.0, 2.0)
    assert "very-secret" not in repr(token)
    assert "very-secret" not in str(token)


def test_too_deeply_nested_value_is_a_vault_error() -> None:
    value: dict[str, object] = {"k": "leaf"}
    for _ in range(5000):
        value = {"k": value}
    with pytest.raises(VaultError, match="JSON-serializable"):
        client().put("agents/bot/x", value)


def test_get_span_records_a_scrubbed_exception(otel) -> None:  # type: ignore[no-untyped-def]
    # The span's exception event goes through the SDK's scrubber like every other span's:
    # an identity or transport error can quote a bearer token.
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl"

    class LeakyIdentity(NoIdentity):
        def jwt_svid(self, audience: str) -> str:
            raise VaultError(f"identity unavailable (last token {jwt})")

    c = VaultClient("http://127.0.0.1:9", identity=LeakyIdentity(), timeout=0.5)
    with pytest.raises(VaultError):
        c.get("shared/db")
    (span,) = otel.spans("hexr.vault.get")
    recorded = str([dict(event.attributes or {}) for event in span.events])
    assert "exception" in [event.name for event in span.events]
    assert jwt not in recorded
    assert not span.status.is_ok
    assert jwt not in (span.status.description or "")


def test_denial_after_another_thread_replaced_the_token_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Thread A's request fails with the old (revoked) token while thread B has already
    # logged in again: asking the server about "the current token" then says valid, but
    # A's denial was about the old one, so A must retry rather than report PolicyDenied.
    import hvac.exceptions

    from hexr.vault._client import _Token

    c = client()
    c._token = _Token("old-token", False, float("inf"), float("inf"))
    c._hvac.token = "old-token"
    calls: list[str] = []

    def read(path: str, **kwargs: object) -> dict[str, object]:
        calls.append(c._hvac.token)
        if len(calls) == 1:
            c._token = _Token("new-token", False, float("inf"), float("inf"))  # thread B
            c._hvac.token = "new-token"
            raise hvac.exceptions.Forbidden("permission denied")
        return {"data": {"data": {"k": "v"}, "metadata": {"version": 1}}}

    monkeypatch.setattr(c._hvac.secrets.kv.v2, "read_secret_version", read)
    monkeypatch.setattr(c._hvac.auth.token, "lookup_self", lambda: {"data": {}})
    assert c.get("shared/db")["k"] == "v"
    assert calls == ["old-token", "new-token"]


def test_credentials_in_the_vault_url_are_not_repeated() -> None:
    # requests turns URL userinfo into basic auth; errors and reprs must not quote it.
    class Id(NoIdentity):
        def jwt_svid(self, audience: str) -> str:
            return "header.payload.sig"

    c = VaultClient("http://proxy-user:proxy-pw-5d1e@127.0.0.1:9", identity=Id(), timeout=0.5)
    assert "proxy-pw-5d1e" not in repr(c)
    with pytest.raises(VaultError, match="cannot reach") as info:
        c.get("shared/db")
    assert "proxy-pw-5d1e" not in str(info.value)
