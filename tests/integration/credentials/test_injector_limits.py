"""Issue 17, finding 1 end to end: 1,000 distinct regions against the real injector process.

Before the fix each new region built (and kept) an ~8 MB boto3 client; now only real
region names reach the provider and its client cache is bounded, so the injector's memory
stays flat and a legitimate exchange running at the same time is served.
"""

from __future__ import annotations

import concurrent.futures
import uuid
from pathlib import Path
from typing import Any

import httpx

from hexr.identity import authorize_id, default_source
from tests.fixtures.injector import injector_document
from tests.integration.credentials._pods import make_pod

REGIONS = 1000
RSS_BOUND_MB = 60


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_thousand_distinct_regions_leave_memory_flat_and_legit_exchange_served(
    identity_service: Any, injector_factory: Any, moto_server: Any
) -> None:
    document = injector_document(identity_service, moto_server.url)
    # The attack is about regions, so the rate limit must not be what stops it here.
    document.update(rate_limit_per_second=100_000, rate_limit_burst=100_000)
    for grant in document["grants"]:
        grant["regions"] = ["*"]
    injector = injector_factory(identity_service, document)
    attacker = identity_service.spiffe_id("acme", f"attacker{uuid.uuid4().hex[:6]}")
    with identity_service.as_workload(attacker):
        source = default_source()
        token = source.jwt_svid(injector.audience)
        ssl_context = source.client_ssl_context(authorize_id(injector.audience))
        http = httpx.Client(verify=ssl_context, timeout=30,
                            headers={"authorization": f"Bearer {token}"})
        assert http.post(f"{injector.url}/exchange",
                         json={"service": "aws_s3"}).status_code == 200
        baseline = _rss_mb(injector.process.pid)

        def attack(i: int) -> int:
            region = f"xx-attack-{i}"
            return http.post(f"{injector.url}/exchange",
                             json={"service": "aws_s3", "region": region}).status_code

        # The legitimate exchange (a real region, its own connection) runs during the flood
        # (one process holds one identity, so it is the same workload's).
        pod, _ = make_pod(source, injector)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            flood = pool.map(attack, range(REGIONS))
            legit = pool.submit(pod.lookup, "aws_s3", "us-east-1")
            statuses = list(flood)
            credential = legit.result(timeout=60).credential
        pod.close()
        http.close()
    assert set(statuses) == {422}
    assert credential.values["access_key_id"].startswith("ASIA")
    grown = _rss_mb(injector.process.pid) - baseline
    print(f"injector RSS {baseline:.0f} MB -> +{grown:.1f} MB after {REGIONS} regions")
    assert grown < RSS_BOUND_MB, injector.log()
