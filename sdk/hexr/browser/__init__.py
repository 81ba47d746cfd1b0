"""``hexr.browser``: a headless-browser tool with a fixed action set and an egress boundary.

``browse(url, actions)`` loads ``url`` in a fresh headless Chromium forced through an
allowlisting proxy (`EgressPolicy`; loopback, private and metadata addresses are refused
unless allowed), runs validated actions addressed by snapshot references, and returns page
text as `UntrustedText`. Needs Debian's ``chromium`` and the ``browser`` extra
(``playwright``; never ``playwright install``). See docs/browser.md.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hexr.browser._actions import MAX_ACTIONS
from hexr.browser._browse import (
    ActionResult,
    BrowseResult,
    UntrustedText,
    abrowse,
    egress_policy_for,
)
from hexr.browser._egress import EgressPolicy
from hexr.errors import BrowserError, EgressDenied

__all__ = [
    "MAX_ACTIONS",
    "ActionResult",
    "BrowseResult",
    "BrowserError",
    "EgressDenied",
    "EgressPolicy",
    "UntrustedText",
    "abrowse",
    "browse",
    "egress_policy_for",
]


def browse(
    url: str,
    actions: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    *,
    egress: EgressPolicy | list[str] | None = None,
    timeout: float = 60.0,
    scan_text: bool = False,
) -> BrowseResult:
    """Open ``url``, run ``actions``, return what they produced (sync; see `abrowse`).

    Args:
        url: The first page (http/https).
        actions: Dicts such as ``{"action": "fill", "ref": "e2", "value": "x"}``: navigate,
            click, fill, select, press, wait_for, scroll, extract_text, screenshot.
        egress: Allowlist (entries or policy); default: ``HEXR_BROWSER_EGRESS`` for the
            calling agent, and nothing reachable when unset.
        timeout: Seconds for the whole session.
        scan_text: Scan extracted text with the guard (flagged text is withheld).

    Raises:
        BrowserError: An invalid action, an unreachable page or a timeout.
        EgressDenied: A navigation (or redirect) to a destination the allowlist refuses.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(
            abrowse(url, actions, egress=egress, timeout=timeout, scan_text=scan_text)
        )
    raise BrowserError("browse() called from a running event loop: await abrowse() instead")


# Exported classes present the package as their module (docs, reprs, pickling).
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__
del _name, _value
