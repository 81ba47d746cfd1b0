"""Hexr identity service: SPIFFE Workload API, CA, JWT-SVIDs and JWKS/OIDC discovery.

Run it with ``python -m hexr_identity``; the trusted launcher registers workloads through
`registration_client`, and `launcher.exec_workload` runs a command as a registered workload.
"""

from hexr_identity._config import IdentitySettings, registration_socket_path, workload_socket_path
from hexr_identity._server import IdentityService

__all__ = [
    "IdentityService",
    "IdentitySettings",
    "registration_socket_path",
    "workload_socket_path",
]
