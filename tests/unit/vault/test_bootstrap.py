"""VaultBootstrap inputs checked before any request (server behaviour: integration tests)."""

import pytest

from hexr.errors import ConfigError
from hexr_vault import JwtTrust


@pytest.mark.parametrize("trust_domain", ["*", "td/agent/*", "Hexr.Local", "", "a b"])
def test_trust_domain_is_validated_before_it_becomes_a_claim_glob(trust_domain: str) -> None:
    # The roles bind sub to a glob built from it: a '*' or '/' would widen who may log in.
    with pytest.raises(ConfigError, match="trust domain"):
        JwtTrust(issuer="http://127.0.0.1:1", trust_domain=trust_domain)


def test_valid_trust_domain_is_kept() -> None:
    assert JwtTrust(issuer="", trust_domain="prod.example-1").trust_domain == "prod.example-1"
