"""Issue 17, finding 1 (unit level): real regions only, bounded client cache, rate limit.

Real ES256 tokens, real policy, real moto STS over ASGI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hexr_injector import InjectorSettings, build_service, create_app, load_config
from hexr_injector._bounded import LruDict
from hexr_injector._ratelimit import RateLimiter
from hexr_injector.providers.aws_sts import AwsStsOptions, AwsStsProvider, known_sts_regions
from tests.fixtures.injector import TokenMint, agent_id

ROLE = "arn:aws:iam::123456789012:role/hexr-{tenant}-{agent}"


def _client(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path],
    moto_url: str, **fields: Any,
) -> httpx.AsyncClient:
    document: dict[str, Any] = {
        "grants": [{"tenant": "acme", "agents": ["*"], "services": ["aws_s3"]}],
        "services": {"aws_s3": {"provider": "aws_sts", "role_arn": ROLE,
                                "endpoint_url": moto_url, "max_clients": 2}},
        **fields,
    }
    settings = InjectorSettings(state_dir=tmp_path / "state")
    service = build_service(settings, load_config(injector_config(**document)),
                            jwks=token_mint.fetch_jwks)
    transport = httpx.ASGITransport(app=create_app(settings, service=service))
    return httpx.AsyncClient(transport=transport, base_url="http://injector")


def _bearer(token_mint: TokenMint, agent: str = "bot") -> dict[str, str]:
    return {"authorization": f"Bearer {token_mint.mint(agent_id('acme', agent))}"}


async def test_unknown_region_is_refused_before_any_client_is_built(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path], moto_server: Any
) -> None:
    async with _client(tmp_path, token_mint, injector_config, moto_server.url) as http:
        response = await http.post("/exchange", json={"service": "aws_s3", "region": "zz-nope-9"},
                                   headers=_bearer(token_mint))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"
        assert "zz-nope-9" in response.json()["error"]["message"]
        ok = await http.post("/exchange", json={"service": "aws_s3", "region": "eu-west-1"},
                             headers=_bearer(token_mint))
        assert ok.status_code == 200, ok.text


def test_known_regions_come_from_botocore_offline() -> None:
    regions = known_sts_regions()
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= regions
    assert "us-east-2x" not in regions


async def test_explicit_region_list_replaces_the_known_set(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path], moto_server: Any
) -> None:
    services = {"aws_s3": {"provider": "aws_sts", "role_arn": ROLE,
                           "endpoint_url": moto_server.url, "regions": ["eu-west-1"]}}
    async with _client(tmp_path, token_mint, injector_config, moto_server.url,
                       services=services) as http:
        refused = await http.post("/exchange", json={"service": "aws_s3", "region": "us-east-1"},
                                  headers=_bearer(token_mint))
        allowed = await http.post("/exchange", json={"service": "aws_s3", "region": "eu-west-1"},
                                  headers=_bearer(token_mint))
    assert refused.status_code == 422
    assert allowed.status_code == 200, allowed.text


def test_sts_clients_are_bounded_least_recently_used_first(moto_server: Any) -> None:
    provider = AwsStsProvider(AwsStsOptions(provider="aws_sts", role_arn=ROLE,
                                            endpoint_url=moto_server.url, max_clients=2))
    first = provider._client("us-east-1")
    provider._client("eu-west-1")
    assert provider._client("us-east-1") is first  # recently used: kept
    provider._client("ap-south-1")  # evicts eu-west-1, the least recently used
    assert len(provider._clients) == 2
    assert provider._client("us-east-1") is first


def test_lru_dict_never_exceeds_its_capacity() -> None:
    lru: LruDict[int, int] = LruDict(3)
    for i in range(1000):
        lru.put(i, i)
    assert len(lru) == 3
    assert lru.get(999) == 999
    assert lru.get(0) is None


async def test_identity_over_its_rate_gets_429_with_retry_after_and_a_metric(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path],
    moto_server: Any, otel: Any,
) -> None:
    before = otel.metric("hexr_credential_rate_limited_total", tenant="acme")
    async with _client(tmp_path, token_mint, injector_config, moto_server.url,
                       rate_limit_per_second=0.01, rate_limit_burst=2) as http:
        body = {"service": "aws_s3"}
        answers = [await http.post("/exchange", json=body, headers=_bearer(token_mint))
                   for _ in range(3)]
        other = await http.post("/exchange", json=body, headers=_bearer(token_mint, "other"))
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited"
    assert int(answers[2].headers["retry-after"]) >= 1
    assert other.status_code == 200  # another identity has its own budget
    assert otel.metric("hexr_credential_rate_limited_total", tenant="acme") == before + 1


def test_rate_limiter_refills_with_time_and_forgets_beyond_its_bound() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 1, max_identities=2, clock=lambda: now[0])
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.acquire("a") == 0.0
    for name in ("b", "c", "d"):
        limiter.acquire(name)
    assert len(limiter._buckets) == 2


async def test_unknown_service_says_where_services_are_configured(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path], moto_server: Any
) -> None:
    # Issue 17, first run 2.
    async with _client(tmp_path, token_mint, injector_config, moto_server.url) as http:
        response = await http.post("/exchange", json={"service": "aws_s4"},
                                   headers=_bearer(token_mint))
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert message.startswith("service 'aws_s4' is not configured")
    for hint in ("'services:'", "'grants:'", "HEXR_INJECTOR_CONFIG", "docs/injector-config.md"):
        assert hint in message
    assert len(message) <= 200  # the SDK shows up to 200 characters of it
