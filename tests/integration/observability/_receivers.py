"""Loopback receivers that record what an exporter sent: OTLP/gRPC, OTLP/HTTP, Zipkin."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


@dataclass
class Received:
    """Requests a receiver got: headers/metadata and span names, in arrival order."""

    headers: list[dict[str, str]] = field(default_factory=list)
    span_names: list[str] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    event: threading.Event = field(default_factory=threading.Event)


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, received: Received) -> None:
        self.received = received

    def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.received.headers.append(dict(context.invocation_metadata()))
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                self.received.span_names.extend(span.name for span in scope_spans.spans)
        self.received.event.set()
        return trace_service_pb2.ExportTraceServiceResponse()


@contextmanager
def otlp_grpc_receiver() -> Iterator[tuple[str, Received]]:
    """A real OTLP TraceService on 127.0.0.1; yields (endpoint URL, what it received)."""
    received = Received()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(  # type: ignore[no-untyped-call]
        _TraceService(received), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.stop(grace=None).wait(5)


@contextmanager
def http_receiver(path: str) -> Iterator[tuple[str, Received]]:
    """An HTTP endpoint accepting POSTs at ``path``; yields (URL, what it received)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length", "0")), 10 << 20)
            body = self.rfile.read(length)
            if self.path != path:
                self.send_response(404)
                self.end_headers()
                return
            received.headers.append({k.lower(): v for k, v in self.headers.items()})
            received.bodies.append(body)
            received.event.set()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
