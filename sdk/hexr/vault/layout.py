"""The vault path layout, shared by the SDK (which reads) and ``hexr_vault`` (which provisions).

Mounts, tenant roots, role and policy names (`VaultLayout`), the name rules they are built
from, and the checks a secret path passes before it leaves the process. Defined in
`hexr.vault._layout` and `hexr.vault._paths`.
"""

from hexr.vault._layout import (
    DEFAULT_AUDIENCE,
    GATEWAY_SERVICE,
    INJECTOR_SERVICE,
    UPSTREAMS_PREFIX,
    VaultLayout,
    WorkloadName,
    check_name,
    from_server_name,
    parse_workload,
    server_name,
)
from hexr.vault._paths import MAX_PATH_CHARS, MAX_SEGMENTS, normalize_path, normalize_prefix

__all__ = [
    "DEFAULT_AUDIENCE",
    "GATEWAY_SERVICE",
    "INJECTOR_SERVICE",
    "MAX_PATH_CHARS",
    "MAX_SEGMENTS",
    "UPSTREAMS_PREFIX",
    "VaultLayout",
    "WorkloadName",
    "check_name",
    "from_server_name",
    "normalize_path",
    "normalize_prefix",
    "parse_workload",
    "server_name",
]
