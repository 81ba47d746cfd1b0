"""Hexr identity service: SPIFFE Workload API, CA, JWT-SVIDs and JWKS/OIDC discovery.

Run it with ``python -m hexr_identity``; the trusted launcher registers workloads through
`registration_client`, and `launcher.exec_workload` runs a command as a registered workload.
Importing this package is light (no gRPC/HTTP server modules) so the CLI can use its paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hexr_identity._config import (
    IdentitySettings,
    registration_socket_for,
    registration_socket_path,
    service_registration_socket,
    workload_socket_path,
)

if TYPE_CHECKING:
    from hexr_identity._server import IdentityService

__all__ = [
    "IdentityService",
    "IdentitySettings",
    "registration_socket_for",
    "registration_socket_path",
    "service_registration_socket",
    "workload_socket_path",
]


def __getattr__(name: str) -> Any:
    if name == "IdentityService":
        from hexr_identity._server import IdentityService

        return IdentityService
    raise AttributeError(name)
