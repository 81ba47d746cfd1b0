"""Who may use the console: the local admin token, then a session cookie, never anonymous.

The admin token lives in ``$HEXR_HOME/secrets/console-token`` (0600, created once) and is
printed by ``hexr console``. A browser trades it once for a session (``POST /login``): an
HttpOnly, SameSite=Strict cookie holding a random session id, plus a CSRF token the page
sends back in ``X-CSRF-Token`` on every state-changing request (double submit). Scripts
send the admin token as ``Authorization: Bearer`` instead. Sessions are bounded in number
and lifetime; tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Session",
    "SessionStore",
    "load_or_create_token",
    "token_path",
]

SESSION_COOKIE = "hexr_console_session"
CSRF_COOKIE = "hexr_console_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_TOKEN_CHARS = 256
_TOKEN_FILE = "console-token"  # noqa: S105 - a file name, not a secret


def token_path(home: Path) -> Path:
    """Where the console's admin token lives under ``home``."""
    return home / "secrets" / _TOKEN_FILE


def load_or_create_token(home: Path) -> str:
    """The admin token in ``home``, created (0600, O_EXCL) on first use.

    Raises:
        PermissionError: the token file is readable by others.
    """
    path = token_path(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    with open(path, encoding="utf-8") as fh:
        # Check the opened file, not the path, so a swapped-in file is never trusted.
        if os.fstat(fh.fileno()).st_mode & 0o077:
            raise PermissionError(f"{path} is readable by others; chmod 600 it")
        return fh.read(MAX_TOKEN_CHARS).strip()


def tokens_match(given: str, expected: str) -> bool:
    """Constant-time comparison of two tokens (bounded length)."""
    if not given or len(given) > MAX_TOKEN_CHARS:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser: its CSRF token and when it expires (monotonic seconds)."""

    csrf: str
    expires_at: float


class SessionStore:
    """Browser sessions in memory, bounded in count (oldest evicted) and lifetime.

    A console restart signs every browser out, which is the safe default for an admin UI.
    """

    def __init__(self, max_sessions: int = 256, ttl_s: float = 8 * 3600) -> None:
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_sessions
        self._ttl = ttl_s

    def create(self) -> tuple[str, Session]:
        """A new session id and its session."""
        sid = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(24), time.monotonic() + self._ttl)
        with self._lock:
            self._sessions[sid] = session
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        """The live session for ``sid``, or None (unknown, expired or malformed)."""
        if not sid or len(sid) > MAX_TOKEN_CHARS:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            if session.expires_at < time.monotonic():
                del self._sessions[sid]
                return None
            return session

    def drop(self, sid: str | None) -> None:
        """End the session ``sid`` (logout)."""
        if sid:
            with self._lock:
                self._sessions.pop(sid, None)
