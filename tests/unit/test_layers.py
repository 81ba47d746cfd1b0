"""The layer rules of docs/architecture.md, checked on the source tree."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_PACKAGES = frozenset(
    p.name for top in ("services", "sidecars") for p in (ROOT / top).iterdir() if p.is_dir()
)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module name ``path`` imports (``from a import b`` yields ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _private_hexr(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "hexr" and any(p.startswith("_") and p != "__version__" for p in parts)


def _sources(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py"))


def test_services_and_sidecars_import_only_public_hexr_modules() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _sources("services", "sidecars")
        for line, module in _imports(path)
        if _private_hexr(module)
    ]
    assert found == []


def test_sdk_imports_no_service_or_sidecar() -> None:
    assert {"hexr_platform", "hexr_injector", "hexr_identity"} <= SERVICE_PACKAGES
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _sources("sdk")
        for line, module in _imports(path)
        if module.split(".")[0] in SERVICE_PACKAGES
    ]
    assert found == []


def test_the_checker_sees_a_private_import(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from hexr import _env\nfrom hexr.vault._layout import check_name\n")
    assert [m for _, m in _imports(probe) if _private_hexr(m)] == [
        "hexr._env",
        "hexr.vault._layout",
        "hexr.vault._layout.check_name",
    ]


def _loaded_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_logs_read_the_agent_from_the_context_leaf() -> None:
    imported = {m for path in _sources("sdk/hexr/logs") for _, m in _imports(path)}
    assert "hexr.context" in imported
    assert {m for m in imported if m.startswith("hexr._agent")} == set()


def test_recording_an_error_loads_no_logging_stack() -> None:
    loaded = _loaded_after(
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from hexr.telemetry import record_error\n"
        "span = TracerProvider().get_tracer('t').start_span('s')\n"
        "record_error(span, ValueError('token=abc'))"
    )
    assert "hexr.redact" in loaded
    assert loaded & {"structlog", "pydantic", "hexr.logs"} == set()
