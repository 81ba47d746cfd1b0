"""Where the platform is: endpoint discovery, the state directory, the trust-domain default.

Resolution order for every value: explicit argument, then environment (``HEXR_*``,
``SPIFFE_ENDPOINT_SOCKET``, ``OTEL_*``), then what a running local platform published in
``$HEXR_HOME/run/platform.json``, then a default. The last step is what makes an agent
zero-config on a developer machine after ``hexr dev up``.
"""

from __future__ import annotations

import ipaddress
import json
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from platformdirs import user_data_dir

from hexr import _env
from hexr.errors import ConfigError

__all__ = [
    "DEFAULT_TRUST_DOMAIN",
    "check_bearer_url",
    "configured_trust_domain",
    "default_home",
    "platform_file",
    "published_env",
    "resolve_endpoint",
    "valkey_password_file",
    "with_valkey_credentials",
]

DEFAULT_TRUST_DOMAIN = "hexr.local"
"""The SPIFFE trust domain when ``HEXR_TRUST_DOMAIN`` is unset (the only place it is written)."""


def configured_trust_domain() -> str:
    """``$HEXR_TRUST_DOMAIN``, or `DEFAULT_TRUST_DOMAIN`."""
    return os.environ.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN


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


VALKEY_SHARED_USER = "platform"
"""The Valkey ACL user of processes that can read the platform's secrets directory."""


def valkey_password_file(home: Path, user: str) -> Path:
    """Where the local platform keeps the password of Valkey ACL user ``user`` (0600)."""
    return home / "secrets" / f"valkey-{user.replace(':', '-')}.password"


def with_valkey_credentials(url: str, home: Path | None = None) -> str:
    """``url`` with the local platform's Valkey credentials, when it names none.

    The platform publishes ``HEXR_VALKEY_URL`` without a password (``platform.json`` is
    not a secret); ``hexr dev run`` hands each agent a URL of its own ACL user instead. A
    process of the platform's own user, which can read ``$HEXR_HOME/secrets``, uses the
    shared user's password from there. Otherwise ``url`` is returned as it is.
    """
    parts = urlsplit(url)
    if parts.password or not parts.hostname:
        return url
    try:
        password = valkey_password_file(home or default_home(), VALKEY_SHARED_USER).read_text()
    except OSError:
        return url
    netloc = f"{VALKEY_SHARED_USER}:{quote(password.strip(), safe='')}@{parts.netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


def check_bearer_url(url: str, name: str) -> str:
    """``url`` when it may carry a bearer credential (a JWT-SVID): https, or http on loopback.

    Plain http off the machine would hand the agent's identity token to anyone on the path;
    the local platform's endpoints are loopback, so they stay plain.

    Raises:
        ConfigError: ``url`` is not http(s), or is plain http to another host; names ``name``.
    """
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    if parts.scheme == "http":
        raise ConfigError(f"{name} must use https for a non-loopback host (JWT-SVIDs travel on it)")
    raise ConfigError(f"{name} must be an http(s) URL")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
