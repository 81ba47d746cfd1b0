"""An agent's main process in the demo: publishes its sidecar URL, then waits to be stopped.

The A2A sidecar lives as long as this process (``hexr dev run --a2a``), so the demo keeps
one per agent and stops it (SIGTERM) when the workflow is done.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def main() -> None:
    """Write ``HEXR_A2A_URL`` to the file named by argv[1] and sleep until SIGTERM."""
    target = Path(sys.argv[1])
    tmp = target.with_suffix(".tmp")
    tmp.write_text(os.environ.get("HEXR_A2A_URL", ""))
    tmp.replace(target)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
