"""The platform as the console sees it: component health and registered identities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hexr.identity import SpiffeId

__all__ = ["PlatformSource"]


class PlatformSource:
    """Reads the supervisor's state and the identity service's registrations of ``home``."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def components(self) -> list[dict[str, Any]]:
        """Every component with its state, pid, address, uptime and install hint."""
        from hexr_platform import Platform

        return [
            {
                "name": st.name,
                "state": st.state.value,
                "pid": st.pid,
                "address": st.address,
                "uptime_s": st.uptime_s,
                "hint": st.hint,
            }
            for st in Platform(self.home).status()
        ]

    def identities(self) -> dict[str, Any]:
        """Registered workloads, agents grouped by tenant, services apart.

        Raises:
            OSError: the identity service's registration socket cannot be reached.
        """
        from hexr_identity import registration_socket_path
        from hexr_identity.registration_client import list_entries

        tenants: dict[str, list[dict[str, Any]]] = {}
        services: list[dict[str, Any]] = []
        for entry in list_entries(str(registration_socket_path(self.home))):
            row = {"spiffe_id": entry["spiffe_id"], "pid": entry.get("pid"),
                   "uid": entry.get("uid")}
            sid = SpiffeId.parse(str(entry["spiffe_id"]))
            if sid.kind == "service" or sid.tenant is None:
                services.append(row | {"service": sid.name})
            else:
                agent = row | {"agent": sid.name, "role": sid.role}
                tenants.setdefault(sid.tenant, []).append(agent)
        for rows in tenants.values():
            rows.sort(key=lambda r: (str(r["agent"]), str(r["role"])))
        services.sort(key=lambda r: str(r["service"]))
        return {"tenants": dict(sorted(tenants.items())), "services": services}
