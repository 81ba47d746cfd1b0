import pytest

from hexr import _env
from hexr.credentials import hexr_tool, set_default_broker
from hexr.endpoints import check_bearer_url
from hexr.errors import ConfigError
from hexr.vault import VaultClient


@pytest.mark.parametrize(
    "url",
    [
        "https://vault.example:8200",
        "http://127.0.0.1:8200",
        "http://127.9.9.9:8200",
        "http://localhost:8200",
        "http://[::1]:8200",
    ],
)
def test_https_anywhere_and_plain_http_on_loopback_are_accepted(url: str) -> None:
    assert check_bearer_url(url, "X") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://vault.example:8200",
        "http://10.0.0.5:8200",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "vault.example:8200",
        "https://",
        "",
    ],
)
def test_plain_http_off_the_machine_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="HEXR_VAULT_ADDR"):
        check_bearer_url(url, "HEXR_VAULT_ADDR")


def test_vault_client_refuses_a_remote_plain_http_vault() -> None:
    with pytest.raises(ConfigError, match=f"{_env.HEXR_VAULT_ADDR} must use https"):
        VaultClient("http://vault.example:8200")


def test_hexr_tool_refuses_a_remote_plain_http_injector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_env.HEXR_INJECTOR_URL, "http://injector.example:8442")
    set_default_broker(None)
    with pytest.raises(ConfigError, match=f"{_env.HEXR_INJECTOR_URL} must use https"):
        hexr_tool("aws_s3")
