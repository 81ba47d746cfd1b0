"""grpclib's private transport path to the caller's socket, which attestation relies on."""

from __future__ import annotations

import os
from pathlib import Path

from grpclib.client import Channel
from grpclib.const import Cardinality, Handler
from grpclib.server import Server, Stream
from spiffe._proto import workload_pb2 as pb

from hexr_identity._attest import peer_credentials
from hexr_identity._workload import peer_socket


class _Echo:
    async def call(self, stream: Stream[pb.JWTSVIDRequest, pb.JWTSVIDResponse]) -> None:
        await stream.recv_message()
        cred = peer_credentials(peer_socket(stream))
        await stream.send_message(
            pb.JWTSVIDResponse(svids=[pb.JWTSVID(spiffe_id=f"{cred.pid}:{cred.uid}")])
        )

    def __mapping__(self) -> dict[str, Handler]:
        return {
            "/t/Call": Handler(
                self.call, Cardinality.UNARY_UNARY, pb.JWTSVIDRequest, pb.JWTSVIDResponse
            )
        }


async def test_peer_socket_reads_so_peercred(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    server = Server([_Echo()])
    await server.start(path=path)
    try:
        channel = Channel(path=path)
        try:
            async with channel.request(
                "/t/Call", Cardinality.UNARY_UNARY, pb.JWTSVIDRequest, pb.JWTSVIDResponse
            ) as stream:
                await stream.send_message(pb.JWTSVIDRequest(), end=True)
                reply = await stream.recv_message()
        finally:
            channel.close()
    finally:
        server.close()
        await server.wait_closed()
    assert reply is not None
    assert reply.svids[0].spiffe_id == f"{os.getpid()}:{os.getuid()}"
