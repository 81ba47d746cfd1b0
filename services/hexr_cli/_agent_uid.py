"""One unprivileged uid per agent (tenant + name) for ``hexr dev run --own-uid``.

Allocated without ``useradd``: uids from a fixed range no distribution hands out
(200000-265535), recorded in ``$HEXR_HOME/secrets/agent-uids.json`` (0600) so an agent
keeps its uid across runs and two agents never share one. A uid with no passwd entry is
fine for the kernel: the agent simply owns no home directory.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

__all__ = ["AGENT_UID_BASE", "AGENT_UID_COUNT", "agent_uid"]

AGENT_UID_BASE = 200_000
AGENT_UID_COUNT = 65_536


def agent_uid(home: Path, tenant: str, agent: str) -> int:
    """The uid of agent ``tenant/agent``, allocating the next free one on first use.

    Raises:
        OSError: the allocation file cannot be written, or the range is exhausted.
    """
    secrets_dir = home / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = secrets_dir / "agent-uids.json"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # two `dev run`s at once get different uids
        text = handle.read()
        table: dict[str, int] = json.loads(text) if text.strip() else {}
        name = f"{tenant}/{agent}"
        if name not in table:
            used = set(table.values())
            free = next(
                (uid for uid in range(AGENT_UID_BASE, AGENT_UID_BASE + AGENT_UID_COUNT)
                 if uid not in used),
                None,
            )
            if free is None:
                raise OSError("no free agent uid left")
            table[name] = free
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(table, sort_keys=True))
        return table[name]
