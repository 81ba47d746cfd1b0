"""Names of the environment variables Hexr reads, as constants (the public module).

Every component reads its variables through these names, so a rename is one edit and
`docs/reference/environment.md` is generated from them (``python -m hexr._docs``). The
constants are defined in `hexr._env`, which stays the place to add one.

Example::

    from hexr import env

    os.environ[env.HEXR_VAULT_ADDR] = "https://vault.internal:8200"
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from hexr._env import *  # noqa: F403 - the public face of the private definitions
from hexr.errors import ConfigError

TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
"""Spellings of true, the same set the configuration model (pydantic) accepts."""
FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})
"""Spellings of false."""


def parse_bool(name: str, raw: str) -> bool:
    """``raw`` read as a boolean, case-insensitively: the one parser of every Hexr flag.

    Raises:
        ConfigError: ``raw`` is neither a spelling of true nor of false; names ``name``.
    """
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}: {raw[:32]!r} is not a boolean (use true or false)")


def env_flag(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """Boolean environment variable ``name``; unset or blank gives ``default``.

    Raises:
        ConfigError: the value is not a boolean spelling.
    """
    raw = (os.environ if environ is None else environ).get(name)
    return default if raw is None or not raw.strip() else parse_bool(name, raw)
