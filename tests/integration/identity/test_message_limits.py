"""Issue 17, finding 7: the identity service refuses oversized gRPC requests unread."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from spiffe._proto import workload_pb2, workload_pb2_grpc

from hexr_identity._workload import MAX_REQUEST_BYTES

HEADER = (("workload.spiffe.io", "true"),)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_oversized_request_is_refused_and_not_buffered(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "bigsender")
    options = [("grpc.max_send_message_length", 64 * 1024 * 1024)]
    with (identity_service.as_workload(sid),
          grpc.insecure_channel(f"unix:{identity_service.socket_path}", options) as channel):
        stub = workload_pb2_grpc.SpiffeWorkloadAPIStub(channel)
        small = workload_pb2.JWTSVIDRequest(audience=["vault"])
        assert stub.FetchJWTSVID(small, metadata=HEADER, timeout=10).svids
        before = _rss_mb(identity_service.process.pid)
        for _ in range(3):
            huge = workload_pb2.JWTSVIDRequest(audience=["a" * (16 * 1024 * 1024)])
            with pytest.raises(grpc.RpcError) as refused:
                stub.FetchJWTSVID(huge, metadata=HEADER, timeout=10)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        grown = _rss_mb(identity_service.process.pid) - before
        # The service still answers normal requests afterwards.
        assert stub.FetchJWTSVID(small, metadata=HEADER, timeout=10).svids
    print(f"identity RSS +{grown:.1f} MB after three 16 MiB requests (limit {MAX_REQUEST_BYTES})")
    assert grown < 10
