"""Write the dashboards' JSON: ``python -m dashboards.generate [--check]``.

``--check`` writes nothing and exits 1 when a committed file differs from the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards import a2a, platform_overview

__all__ = ["DASHBOARDS", "OUTPUT", "main", "render"]

OUTPUT = Path(__file__).resolve().parent / "json"
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "platform-overview.json": platform_overview.dashboard,
    "a2a-communication.json": a2a.dashboard,
}


def render(make: Callable[[], Dashboard]) -> str:
    """The dashboard's JSON text (stable: sorted keys, trailing newline)."""
    return json.dumps(make().build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Write (or with ``--check`` compare) every dashboard; 1 when one is stale."""
    check = "--check" in argv
    stale = []
    for name, make in DASHBOARDS.items():
        path = OUTPUT / name
        text = render(make)
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            OUTPUT.mkdir(exist_ok=True)
            path.write_text(text)
    for name in stale:
        print(f"stale: dashboards/json/{name} (run python -m dashboards.generate)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
