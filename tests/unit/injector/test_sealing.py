"""The injector's master sealing secret on disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hexr_injector._sealing import SealingKeys


def test_interrupted_creation_leaves_nothing_that_blocks_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    class DiesOnWrite:
        def __init__(self, handle: Any) -> None:
            self._handle = handle

        def __enter__(self) -> DiesOnWrite:
            return self

        def __exit__(self, *exc: object) -> None:
            self._handle.close()

        def write(self, data: bytes) -> int:
            raise KeyboardInterrupt  # the process dies between creating and filling the file

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", lambda fd, *a, **k: DiesOnWrite(real_fdopen(fd, *a, **k)))
        with pytest.raises(KeyboardInterrupt):
            SealingKeys.from_state_dir(tmp_path)
    assert list(tmp_path.iterdir()) == []
    keys = SealingKeys.from_state_dir(tmp_path)  # a short file here would refuse to start
    assert keys.for_identity("a") == SealingKeys.from_state_dir(tmp_path).for_identity("a")
    assert (tmp_path / "sealing.key").stat().st_mode & 0o777 == 0o600
