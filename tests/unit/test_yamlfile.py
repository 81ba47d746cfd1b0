"""hexr.yamlfile: one YAML loader, bounded against alias bombs, with quiet errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hexr.errors import ConfigError
from hexr.yamlfile import load_yaml, read_yaml


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 {k: v}"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} {{p: *a{i - 1}, q: *a{i - 1}, r: *a{i - 1}, s: *a{i - 1}}}")
    return "\n".join(lines)


def test_loads_a_document() -> None:
    assert load_yaml("a: [1, 2]\n", "f.yaml") == {"a": [1, 2]}
    assert load_yaml("", "f.yaml") is None


@pytest.mark.parametrize("text", [_alias_bomb(20), "a: &a [*a]", "x: " + "[" * 40 + "]" * 40])
def test_alias_bombs_and_deep_nesting_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match=r"f\.yaml: too large or too deeply nested"):
        load_yaml(text, "f.yaml")


def test_errors_give_the_line_and_never_quote_the_document() -> None:
    with pytest.raises(ConfigError) as caught:
        load_yaml("ok: 1\npassword: [s3cr3t-value", "f.yaml")
    assert str(caught.value).startswith("f.yaml: not valid YAML at line")
    assert "s3cr3t" not in str(caught.value)


def test_read_yaml_bounds_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 100)
    with pytest.raises(ConfigError, match=r"file: .* is larger than 50 bytes"):
        read_yaml(path, max_bytes=50)
    assert read_yaml(path)["a"] == "x" * 100
