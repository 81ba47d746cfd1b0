"""Basic auth for the local Alertmanager and Pushgateway (Prometheus' web config file).

A local user who is not the platform must not silence alerts or push series. Each of the
two gets a password the platform generates (``$HEXR_HOME/secrets/<name>-web.password``,
0600) and a web config (``data/<name>/web.yml``, 0600) holding only its bcrypt hash;
the platform's own clients (health checks, Prometheus, the SDK's pushes) authenticate.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import yaml

from hexr_platform.component import ComponentContext

__all__ = ["WEB_USER", "auth_header", "web_config", "web_password", "web_password_file"]

WEB_USER = "hexr"


def web_password_file(home: Path, name: str) -> Path:
    """The 0600 file with component ``name``'s web password."""
    return home / "secrets" / f"{name}-web.password"


def web_password(home: Path, name: str) -> str:
    """Component ``name``'s web password, generated on first use."""
    path = web_password_file(home, name)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(24)
    # Written whole under a private name, then linked into place: Prometheus' config and
    # the component itself may ask at once, and both must get the same password.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return value


def web_config(ctx: ComponentContext) -> Path:
    """Write ``ctx``'s web config (basic auth with a bcrypt hash); its path."""
    import bcrypt

    password = web_password(ctx.home, ctx.name)
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
    path = ctx.data_dir / "web.yml"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(yaml.safe_dump({"basic_auth_users": {WEB_USER: hashed}}))
    return path


def auth_header(ctx: ComponentContext) -> dict[str, str]:
    """The ``Authorization`` header of the platform's own requests to ``ctx``."""
    token = base64.b64encode(f"{WEB_USER}:{web_password(ctx.home, ctx.name)}".encode())
    return {"authorization": f"Basic {token.decode()}"}
