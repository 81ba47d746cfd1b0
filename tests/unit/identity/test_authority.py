from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509

from hexr_identity._authority import Authorities


def _make(path: Path, **ttls: float) -> Authorities:
    options = {"ca_ttl": 100.0, "x509_svid_ttl": 10.0, "jwt_svid_ttl": 5.0, **ttls}
    return Authorities(path, "hexr.local", **options)


def test_created_with_safe_modes_and_ca_properties(tmp_path: Path) -> None:
    auth = _make(tmp_path / "state")
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "state" / "authorities.json").stat().st_mode) == 0o600
    ca = auth.x509.cert
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    sans = ca.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://hexr.local"]


def test_persisted_across_restarts(tmp_path: Path) -> None:
    first = _make(tmp_path)
    second = _make(tmp_path)
    assert second.x509.der == first.x509.der
    assert second.jwt.kid == first.jwt.kid


def test_state_of_another_trust_domain_is_refused(tmp_path: Path) -> None:
    _make(tmp_path)
    with pytest.raises(ValueError, match="belongs to trust domain"):
        Authorities(tmp_path, "other.local", ca_ttl=100, x509_svid_ttl=10, jwt_svid_ttl=5)


def test_rotation_keeps_old_authorities_until_their_svids_expire(tmp_path: Path) -> None:
    auth = _make(tmp_path)
    now = time.time()
    old_ca, old_kid = auth.x509.der, auth.jwt.kid
    assert auth.maintain(now) is False  # fresh: nothing to do
    rotated_at = max(auth.x509.rotate_at, auth.jwt.rotate_at)
    assert rotated_at == pytest.approx(now + 50, abs=2)  # half of the 100 s CA TTL

    assert auth.maintain(rotated_at + 0.1) is True
    assert auth.x509.der != old_ca
    assert [a.der for a in auth.x509_bundle()][1] == old_ca
    assert [a["kid"] for a in auth.jwks()["keys"]] == [auth.jwt.kid, old_kid]

    # JWT key retired for one JWT TTL (5 s), CA for one X.509 TTL (10 s).
    assert auth.maintain(rotated_at + 4) is False
    assert auth.maintain(rotated_at + 6) is True
    assert [a["kid"] for a in auth.jwks()["keys"]] == [auth.jwt.kid]
    assert len(auth.x509_bundle()) == 2
    assert auth.maintain(rotated_at + 11) is True
    assert len(auth.x509_bundle()) == 1

    reloaded = _make(tmp_path)
    assert reloaded.x509.der == auth.x509.der
    assert len(reloaded.x509_bundle()) == 1


def test_persisted_file_holds_no_world_readable_key(tmp_path: Path) -> None:
    _make(tmp_path)
    data = json.loads((tmp_path / "authorities.json").read_text())
    assert "PRIVATE KEY" in data["x509"][0]["key"]
    assert stat.S_IMODE((tmp_path / "authorities.json").stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize(
    "content", ["{broken", "[]", '{"trust_domain": "hexr.local"}',
                '{"trust_domain": "hexr.local", "x509": [{"key": "x", "cert": "y"}], "jwt": []}'],
)
def test_damaged_state_is_a_config_error_naming_the_file(tmp_path: Path, content: str) -> None:
    from hexr.errors import ConfigError

    (tmp_path / "authorities.json").write_text(content)
    with pytest.raises(ConfigError, match=r"authorities\.json"):
        _make(tmp_path)


def test_rotation_is_announced_even_when_saving_fails_and_saved_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hexr_identity._authority as module

    auth = _make(tmp_path)
    rotated_at = max(auth.x509.rotate_at, auth.jwt.rotate_at)

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(module.os, "replace", disk_full)
        # The new CA and JWT key already sign: streams must be told (True), not skipped.
        assert auth.maintain(rotated_at + 0.1) is True
    assert _make(tmp_path).x509.der != auth.x509.der  # not on disk yet
    assert auth.maintain(rotated_at + 0.2) is False  # nothing new to announce...
    assert _make(tmp_path).x509.der == auth.x509.der  # ...but the save was retried
