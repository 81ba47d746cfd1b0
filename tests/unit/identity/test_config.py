from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from hexr import _env
from hexr_identity import IdentitySettings


def test_env_names_match_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))
    monkeypatch.setenv(_env.HEXR_TRUST_DOMAIN, "prod.example")
    monkeypatch.setenv(_env.HEXR_IDENTITY_SOCKET, str(tmp_path / "w.sock"))
    monkeypatch.setenv(_env.HEXR_IDENTITY_REGISTRATION_SOCKET, str(tmp_path / "r.sock"))
    monkeypatch.setenv(_env.HEXR_IDENTITY_HTTP_PORT, "9999")
    monkeypatch.setenv(_env.HEXR_IDENTITY_ISSUER, "https://oidc.example/")
    monkeypatch.setenv(_env.HEXR_IDENTITY_X509_TTL, "60")
    monkeypatch.setenv(_env.HEXR_IDENTITY_JWT_TTL, "30")
    monkeypatch.setenv(_env.HEXR_IDENTITY_CA_TTL, "600")
    s = IdentitySettings()
    assert s.home == tmp_path
    assert s.trust_domain == "prod.example"
    assert s.workload_socket == tmp_path / "w.sock"
    assert s.registration_socket_path == tmp_path / "r.sock"
    assert s.http_port == 9999
    assert s.issuer_url(9999) == "https://oidc.example"
    assert (s.x509_ttl, s.jwt_ttl, s.ca_ttl) == (60, 30, 600)
    assert s.state_dir == tmp_path / "identity" / "prod.example"


def test_defaults_and_bounds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))
    s = IdentitySettings()
    assert (s.x509_ttl, s.jwt_ttl) == (3600, 300)
    assert s.issuer_url(8761) == "http://127.0.0.1:8761"
    assert s.workload_socket == tmp_path / "run" / "identity" / "workload.sock"
    with pytest.raises(ValidationError, match="half the CA TTL"):
        IdentitySettings(x509_ttl=100, ca_ttl=150)
    with pytest.raises(ValidationError):
        IdentitySettings(jwt_ttl=0)


def test_the_identity_section_of_the_config_file_is_read_below_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "hexr.yaml"
    config.write_text("identity:\n  jwt_ttl: 60\n  http_port: 9100\n  trust_domain: file.example\n")
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))
    monkeypatch.setenv(_env.HEXR_CONFIG, str(config))
    monkeypatch.delenv(_env.HEXR_TRUST_DOMAIN, raising=False)
    monkeypatch.setenv(_env.HEXR_IDENTITY_HTTP_PORT, "9200")  # env wins over the file
    s = IdentitySettings()
    assert (s.jwt_ttl, s.http_port, s.trust_domain) == (60, 9200, "file.example")
    assert IdentitySettings(jwt_ttl=30).jwt_ttl == 30  # a CLI flag wins over both
    config.write_text("identity:\n  jwt_ttl: -1\n")
    with pytest.raises(ValidationError, match="jwt_ttl"):
        IdentitySettings()
