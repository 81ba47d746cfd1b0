"""Issue 17, first run 6: the redactor removes values, not the code a traceback quotes."""

from __future__ import annotations

import importlib.util
import traceback
from pathlib import Path

from hexr.redact import REDACTED, scrub_text

AGENT = '''\
class _Vault:
    def get(self, path):
        raise RuntimeError("vault said password=hunter2-leaked")

class hexr:
    vault = _Vault()

def handler():
    secret = hexr.vault.get("shared/db")
    return secret
'''


def test_traceback_keeps_the_source_line_and_loses_the_value(tmp_path: Path) -> None:
    path = tmp_path / "agent_code.py"
    path.write_text(AGENT)
    spec = importlib.util.spec_from_file_location("agent_code", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.handler()
    except RuntimeError:
        text = traceback.format_exc()
    scrubbed = scrub_text(text)
    assert 'secret = hexr.vault.get("shared/db")' in scrubbed
    assert "hunter2-leaked" not in scrubbed
    assert f"password={REDACTED}" in scrubbed


def test_values_that_merely_look_odd_are_still_redacted() -> None:
    for line in ("secret = hunter2", "password=get(x)", "token: abc(def",
                 'password = "p(w"', "api_key = sk-live-abcdefghijklmnopqrst"):
        assert REDACTED in scrub_text(line), line
