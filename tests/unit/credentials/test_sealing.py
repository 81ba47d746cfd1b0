import os

import pytest

from hexr.credentials._model import Credential
from hexr.credentials._sealing import open_sealed, seal
from hexr.errors import CredentialError

CRED = Credential("aws", {"access_key_id": "ASIAXYZ", "secret_access_key": "very-secret"}, 2e9)
AD = "cred:spiffe://hexr.local/agent/acme/bot/main:aws_s3:us-east-1"


def test_roundtrip_and_ciphertext_hides_values() -> None:
    key = os.urandom(32)
    sealed = seal(key, AD, CRED)
    assert b"very-secret" not in sealed
    assert b"ASIAXYZ" not in sealed
    assert open_sealed(key, AD, sealed) == CRED


def test_each_seal_uses_a_fresh_nonce() -> None:
    key = os.urandom(32)
    assert seal(key, AD, CRED) != seal(key, AD, CRED)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda key, ad, blob: (os.urandom(32), ad, blob),  # another identity's key
        lambda key, ad, blob: (key, ad.replace("acme", "beta"), blob),  # replayed under another key
        lambda key, ad, blob: (key, ad, blob[:-1] + bytes([blob[-1] ^ 1])),  # tampered
        lambda key, ad, blob: (key, ad, blob[:10]),  # truncated
        lambda key, ad, blob: (key, ad, b"\x02" + blob[1:]),  # unknown version
    ],
)
def test_open_fails_closed(mutate: object) -> None:
    key = os.urandom(32)
    args = mutate(key, AD, seal(key, AD, CRED))  # type: ignore[operator]
    with pytest.raises(CredentialError):
        open_sealed(*args)
