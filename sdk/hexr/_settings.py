"""Process settings and endpoint discovery.

Resolution order for every value: explicit argument, then environment (``HEXR_*``,
``SPIFFE_ENDPOINT_SOCKET``, ``OTEL_*``), then what a running local platform published in
``$HEXR_HOME/run/platform.json``, then a default. The last step is what makes an agent
zero-config on a developer machine after ``hexr dev up``.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir

from hexr import _env

__all__ = [
    "DEFAULT_TRUST_DOMAIN",
    "default_home",
    "platform_file",
    "published_env",
    "resolve_endpoint",
]

DEFAULT_TRUST_DOMAIN = "hexr.local"


def default_home() -> Path:
    """State directory: ``$HEXR_HOME`` or the user's data dir."""
    explicit = os.environ.get(_env.HEXR_HOME)
    return Path(explicit).expanduser() if explicit else Path(user_data_dir("hexr"))


def platform_file(home: Path | None = None) -> Path:
    """Where a running local platform publishes its endpoints."""
    return (home or default_home()) / "run" / "platform.json"


@lru_cache(maxsize=4)
def _published(path: Path, version: tuple[int, int, int]) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    env = data.get("env") if isinstance(data, dict) else None
    if not isinstance(env, dict):
        return {}
    return {str(k): str(v) for k, v in env.items() if k in _env.PLATFORM_ENV_NAMES}


def published_env(home: Path | None = None) -> dict[str, str]:
    """Endpoints published by the running local platform, or ``{}`` when none runs."""
    path = platform_file(home)
    try:
        st = path.stat()
    except OSError:
        return {}
    # Not the mtime alone: `up` rewrites the file (atomically, so a new inode) several
    # times within one timestamp tick of coarse filesystems.
    version = (st.st_mtime_ns, st.st_size, st.st_ino)
    return dict(_published(path, version))  # a copy: the parsed file is cached


def resolve_endpoint(name: str, default: str | None = None) -> str | None:
    """Value of endpoint variable ``name``: environment, then local platform, then default."""
    value = os.environ.get(name)
    if value:
        return value
    return published_env().get(name, default)
