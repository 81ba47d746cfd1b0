"""A stand-in Kubernetes API server for the part of the API ``kubectl apply --server-side``
uses (no kube-apiserver can be installed here): legacy discovery, the OpenAPI v3 index with
PATCH operations that declare ``fieldValidation`` (so kubectl validates server-side), and
PATCH with ``application/apply-patch+yaml``. Applied objects are validated strictly (the
same schemas as tests/deploy/k8s.py) and recorded; invalid ones get a 422 Status.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.deploy import k8s

# group/version -> [(plural, kind, namespaced)]
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [("serviceaccounts", "ServiceAccount", True), ("configmaps", "ConfigMap", True),
           ("services", "Service", True), ("namespaces", "Namespace", False)],
    "apps/v1": [("deployments", "Deployment", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
    "spire.spiffe.io/v1alpha1": [("clusterspiffeids", "ClusterSPIFFEID", False)],
}


def _prefix(gv: str) -> str:
    return "api/v1" if gv == "v1" else f"apis/{gv}"


def _openapi(gv: str) -> dict[str, Any]:
    group, _, version = gv.rpartition("/")
    paths = {}
    for plural, kind, namespaced in RESOURCES[gv]:
        ns = "namespaces/{namespace}/" if namespaced else ""
        paths[f"/{_prefix(gv)}/{ns}{plural}/{{name}}"] = {"patch": {
            "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
            "parameters": [{"name": "fieldValidation", "in": "query",
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "OK"}},
        }}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths}


@dataclass
class Applied:
    """One server-side apply request."""

    path: str
    content_type: str
    query: dict[str, list[str]]
    body: dict[str, Any]


@dataclass
class FakeApiServer:
    """What the fake received."""

    url: str
    applied: list[Applied] = field(default_factory=list)

    def kubeconfig(self, directory: Path) -> Path:
        """A kubeconfig whose current context is this server."""
        path = directory / "kubeconfig"
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "u"}}],
            "users": [{"name": "u", "user": {"token": "test"}}],
        }))
        return path


def _handler(state: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            """Quiet."""

        def _send(self, code: int, obj: dict[str, Any]) -> None:
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _status(self, code: int, reason: str, message: str) -> None:
            self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                              "code": code, "reason": reason, "message": message})

        def do_GET(self) -> None:
            """Discovery and OpenAPI v3."""
            path = urlsplit(self.path).path.strip("/")
            if path == "version":
                return self._send(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0"})
            if path == "api":
                return self._send(200, {"kind": "APIVersions", "versions": ["v1"],
                                        "serverAddressByClientCIDRs": []})
            if path == "apis":
                groups = []
                for gv in RESOURCES:
                    if gv == "v1":
                        continue
                    ref = {"groupVersion": gv, "version": gv.split("/")[1]}
                    groups.append({"name": gv.split("/")[0], "versions": [ref],
                                   "preferredVersion": ref})
                return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                        "groups": groups})
            if path == "openapi/v3":
                return self._send(200, {"paths": {
                    _prefix(gv): {"serverRelativeURL": f"/openapi/v3/{_prefix(gv)}?hash=1"}
                    for gv in RESOURCES}})
            for gv, resources in RESOURCES.items():
                if path == _prefix(gv):
                    return self._send(200, {
                        "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                        "resources": [{"name": p, "singularName": "", "namespaced": ns,
                                       "kind": k, "verbs": ["get", "list", "patch"]}
                                      for p, k, ns in resources]})
                if path == f"openapi/v3/{_prefix(gv)}":
                    return self._send(200, _openapi(gv))
            return self._status(404, "NotFound", f"{path} not found")

        def do_PATCH(self) -> None:
            """Server-side apply: validate strictly, record, echo the object."""
            url = urlsplit(self.path)
            size = int(self.headers.get("Content-Length", "0"))
            body = yaml.safe_load(self.rfile.read(min(size, 4 * 1024 * 1024)))
            content_type = self.headers.get("Content-Type", "")
            if content_type != "application/apply-patch+yaml":
                return self._status(415, "UnsupportedMediaType", content_type)
            problems = k8s.errors([body])
            if problems:
                return self._status(422, "Invalid", "; ".join(problems))
            state.applied.append(Applied(url.path, content_type, parse_qs(url.query), body))
            stored = copy.deepcopy(body)
            stored.setdefault("metadata", {})["uid"] = str(len(state.applied))
            return self._send(200, stored)

    return Handler


@contextmanager
def fake_apiserver() -> Iterator[FakeApiServer]:
    """Serve the fake on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FakeApiServer("")))
    state = FakeApiServer(f"http://127.0.0.1:{server.server_port}")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
