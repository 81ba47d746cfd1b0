import pytest

from hexr import _env
from hexr.credentials import hexr_tool, set_default_broker
from hexr.errors import ConfigError


@pytest.mark.parametrize(
    ("service", "region"),
    [("", "us-east-1"), ("AWS_S3", "us-east-1"), ("aws_s3", "US EAST"), ("x" * 65, "r"),
     ("aws_s3", "r" * 33), ("aws_s3/../x", "r")],
)
def test_bad_names_are_config_errors_before_any_call(service: str, region: str) -> None:
    with pytest.raises(ConfigError):
        hexr_tool(service, region=region)


def test_no_injector_configured_is_a_clear_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv(_env.HEXR_INJECTOR_URL, raising=False)
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))  # no local platform published there
    set_default_broker(None)
    with pytest.raises(ConfigError, match=_env.HEXR_INJECTOR_URL):
        hexr_tool("aws_s3")
