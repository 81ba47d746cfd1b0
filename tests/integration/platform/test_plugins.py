"""Components are plugins: a package registered only through an entry point is started,
listed and stopped by `hexr dev`, and one whose extra is missing is listed as not installed.
The base install's `hexr version` and `hexr --help` need no `server` extra."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_PLUGIN = '''
from hexr_platform.component import ComponentSpec, http_ok, python_module


def echo_spec() -> ComponentSpec:
    return ComponentSpec(
        name="echo-web",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=http_ok("/"),
        order=95,
    )
'''


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A distribution on ``sys.path`` that only declares ``hexr.components`` entry points."""
    root = tmp_path_factory.mktemp("plugin")
    (root / "echo_component.py").write_text(_PLUGIN)
    (root / "needs_extra_component.py").write_text("import no_such_module_hexr_extra\n")
    info = root / "echo_component-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: echo-component\nVersion: 0.1\nProvides-Extra: shiny\n"
    )
    (info / "entry_points.txt").write_text(
        textwrap.dedent(
            """\
            [hexr.components]
            echo-web = echo_component:echo_spec
            needs-extra = needs_extra_component:spec [shiny]
            """
        )
    )
    return root


def _hexr(args: list[str], home: Path, plugin: Path | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEXR_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    if plugin is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "hexr_cli", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


def test_entry_point_component_is_started_listed_and_stopped(
    plugin_path: Path, tmp_path: Path
) -> None:
    up = _hexr(["dev", "up", "-c", "echo-web", "--no-observe"], tmp_path, plugin_path)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        status = _hexr(["dev", "status"], tmp_path, plugin_path)
        row = next(line for line in status.stdout.splitlines() if "echo-web" in line)
        assert "healthy" in row
        missing = next(line for line in status.stdout.splitlines() if "needs-extra" in line)
        assert "not installed" in missing
        assert "pip install 'echo-component[shiny]'" in status.stdout
    finally:
        down = _hexr(["dev", "down"], tmp_path, plugin_path)
    assert down.returncode == 0, down.stdout + down.stderr
    # Without the plugin on the path, the platform does not know the component.
    assert "echo-web" not in _hexr(["dev", "status"], tmp_path, None).stdout


_BLOCK_SERVER_EXTRA = """
import sys
_BLOCKED = {"starlette", "uvicorn", "grpclib", "regopy"}
class _Without:
    # Wraps a finder so the server extra modules are simply not found.
    def __init__(self, inner):
        self.inner = inner
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            return None
        return self.inner.find_spec(name, path, target)
    def __getattr__(self, attr):
        return getattr(self.inner, attr)
sys.meta_path[:] = [_Without(finder) for finder in sys.meta_path]
sys.argv = ["hexr", *sys.argv[1:]]
from hexr_cli import main
try:
    main()
finally:
    loaded = sorted(m for m in _BLOCKED if m in sys.modules)
    print("LOADED", loaded, file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["version"], ["--help"], ["dev", "status"]])
def test_base_install_cli_needs_no_server_extra(args: list[str], tmp_path: Path) -> None:
    # The modules of the `server` extra cannot be found, as in `pip install hexr`.
    env = {**os.environ, "HEXR_HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-c", _BLOCK_SERVER_EXTRA, *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "LOADED []" in result.stderr
    if args == ["dev", "status"]:
        assert result.returncode == 3  # nothing runs
        assert "pip install 'hexr[server]'" in result.stdout
    else:
        assert result.returncode == 0, result.stderr
