"""Client builders: boto3 with refreshable credentials, httpx with the token applied."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from hexr.credentials._clients import (
    CredentialAuth,
    aws_service_name,
    build_boto3_client,
    build_httpx_client,
)
from hexr.credentials._model import Credential
from hexr.errors import ConfigError, CredentialError


def aws(n: int, ttl: float = 3600) -> Credential:
    return Credential("aws", {"access_key_id": f"ASIA{n}", "secret_access_key": f"s{n}",
                              "session_token": f"t{n}"}, time.time() + ttl)


def test_service_names() -> None:
    assert aws_service_name("aws_s3") == "s3"
    assert aws_service_name("aws_secrets_manager") == "secrets-manager"
    assert aws_service_name("github") is None


def test_boto3_client_uses_only_hexr_credentials_and_refreshes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASTATICKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "static")
    fetched = [aws(2, ttl=3600)]
    s3 = build_boto3_client("aws_s3", "eu-west-1", aws(1, ttl=60), lambda: fetched[0])
    creds = s3._request_signer._credentials
    assert creds.method == "hexr"
    # The initial credential is about to expire (60 s < botocore's refresh window), so the
    # first use refreshes through the fetcher; the static env key is never used.
    assert creds.get_frozen_credentials().access_key == "ASIA2"
    assert s3.meta.region_name == "eu-west-1"


def test_boto3_rejects_token_credential() -> None:
    token = Credential("token", {"token": "x"}, time.time() + 3600)
    with pytest.raises(CredentialError, match="AWS credential"):
        build_boto3_client("aws_s3", "us-east-1", token, lambda: token)
    with pytest.raises(ConfigError):
        build_boto3_client("github", "us-east-1", aws(1), lambda: aws(1))


def test_missing_boto3_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['boto3'] = None\n"
        "import time\n"
        "from hexr.credentials._clients import build_boto3_client\n"
        "from hexr.credentials._model import Credential\n"
        "c = Credential('aws', {'access_key_id': 'a', 'secret_access_key': 'b'}, time.time()+99)\n"
        "try:\n"
        "    build_boto3_client('aws_s3', 'us-east-1', c, lambda: c)\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'hexr[aws]'" in out.stdout


def test_httpx_client_presents_current_token_per_request() -> None:
    tokens = iter(["t1", "t2"])
    current = {"c": Credential("token", {"token": "t0", "header": "x-api-key", "prefix": "",
                                          "base_url": "https://api.example/v1"}, 2e9)}

    def fetch() -> Credential:
        c = current["c"]
        current["c"] = Credential("token", {**c.values, "token": next(tokens)}, 2e9)
        return c

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-api-key"])
        return httpx.Response(200, json={"url": str(request.url)})

    initial = current["c"]
    client = build_httpx_client(initial, fetch, transport=httpx.MockTransport(handler))
    assert client.get("/models").json()["url"] == "https://api.example/v1/models"
    client.get("/models")
    assert seen == ["t0", "t1"]


def test_auth_rejects_aws_credential() -> None:
    auth = CredentialAuth(lambda: aws(1))
    with pytest.raises(CredentialError):
        next(auth.auth_flow(httpx.Request("GET", "https://x")))
