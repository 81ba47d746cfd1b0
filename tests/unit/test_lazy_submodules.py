"""``import hexr`` gives the subpackages lazily: ``hexr.vault.get`` with no other import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import hexr


def test_vault_is_an_attribute_loaded_on_first_use() -> None:
    code = (
        "import sys, hexr\n"
        "before = 'hexr.vault' in sys.modules\n"
        "from hexr.vault._default import get\n"
        "print(before, hexr.vault.get is get)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_a_name_is_mapped_to_its_subpackage() -> None:
    code = (
        "import sys, hexr\n"
        "before = 'hexr.a2a' in sys.modules\n"
        "from hexr.a2a import A2AClient\n"
        "print(before, hexr.A2AClient is A2AClient, hexr.a2a is sys.modules['hexr.a2a'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_a_subpackage_not_in_this_version_is_an_attribute_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hexr, "_SUBMODULES", hexr._SUBMODULES | {"not_yet"})
    with pytest.raises(AttributeError, match=r"hexr\.not_yet is not in this version"):
        _ = hexr.not_yet
    with pytest.raises(AttributeError, match="'nothing'"):
        _ = hexr.nothing
    assert {"vault", "a2a", "gateway", "guard", "sandbox", "browser"} <= set(dir(hexr))
