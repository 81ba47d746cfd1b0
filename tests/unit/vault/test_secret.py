import logging
import pickle

import pytest
import structlog

from hexr.vault import Secret

VALUE = "pw-3c9d-never-printed"


def test_repr_and_str_hide_values(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret("shared/db", {"password": VALUE, "user": "svc"}, version=3)
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])):
        assert VALUE not in text
        assert "password" in text
        assert "version=3" in text
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("t").info("got %s %r", secret, secret)
    assert VALUE not in caplog.text
    with structlog.testing.capture_logs() as logs:
        structlog.get_logger().info("got", secret=secret)
    assert VALUE not in repr(logs)


def test_access() -> None:
    secret = Secret("p", {"password": VALUE})
    assert secret["password"] == VALUE
    assert secret.reveal() == {"password": VALUE}
    assert "password" in secret
    assert len(secret) == 1
    assert list(secret) == ["password"]
    secret.reveal()["password"] = "changed"
    assert secret["password"] == VALUE


def test_cannot_be_pickled() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret("p", {"password": VALUE}))
