from __future__ import annotations

from pathlib import Path

import pytest

from hexr_platform import ComponentContext, ComponentSpec, NotInstalledError, http_ok, log_tail
from hexr_platform._component import start_component


def test_log_tail_strips_colour_and_masks_credentials(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    lines = [f"line {i}" for i in range(30)]
    lines += ["\x1b[32m INFO\x1b[0m ready", "Root Token: hexr-dev-abc123", "password=hunter2"]
    log.write_text("\n".join(lines))
    tail = log_tail(log, 5)
    assert tail == [
        "line 28",
        "line 29",
        " INFO ready",
        "Root Token: [redacted]",
        "password=[redacted]",
    ]


def test_log_tail_masks_the_sdk_scrubbers_credential_shapes(tmp_path: Path) -> None:
    # The crash report prints these lines on a terminal (and into CI logs).
    secrets = ["hvs.CAESIJabcdefghijklmnop0123", "abcdef123456789xyz",
               "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"]
    log = tmp_path / "x.log"
    log.write_text(
        f"export VAULT_TOKEN={secrets[0]}\n"
        f"GET /keys Authorization: Bearer {secrets[1]}\n"
        f"issued {secrets[2]}\n"
    )
    tail = "\n".join(log_tail(log))
    assert not [s for s in secrets if s in tail]


def test_log_tail_of_missing_file_is_empty(tmp_path: Path) -> None:
    assert log_tail(tmp_path / "absent.log") == []


def test_log_tail_reads_a_bounded_amount(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"x" * 5_000_000 + b"\nlast\n")
    assert log_tail(log, 1) == ["last"]


def test_missing_binary_names_the_install_hint(tmp_path: Path) -> None:
    spec = ComponentSpec(
        name="ghost",
        locate=lambda: None,
        argv=lambda ctx, exe: [exe],
        health=http_ok("/"),
        install_hint="apt-get install ghost",
    )
    with pytest.raises(NotInstalledError, match="ghost is not installed — apt-get install ghost"):
        start_component(spec, ComponentContext("ghost", {"port": 1}, tmp_path))
