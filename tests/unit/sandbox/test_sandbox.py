"""hexr.sandbox: limits, isolation and reporting of real sandboxed processes."""

from __future__ import annotations

import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import hexr.sandbox
from hexr.errors import HexrError, SandboxError
from tests.fixtures.otel import OtelCapture


def test_print_runs_with_a_minimal_result(otel: OtelCapture) -> None:
    result = hexr.sandbox.exec("print(1)")
    assert (result.exit_code, result.stdout, result.limit) == (0, "1\n", "none")
    (span,) = otel.spans("hexr.sandbox.exec")
    attrs = dict(span.attributes or {})
    assert attrs["language"] == "python"
    assert attrs["exit_code"] == 0
    assert attrs["limit"] == "none"
    assert attrs["timeout"] == 10.0
    labels = {"tenant": "tests", "agent_name": "pytest", "language": "python"}
    assert otel.metric("hexr_sandbox_executions_total", **labels, limit="none") >= 1
    assert otel.metric("hexr_sandbox_duration_seconds_count", **labels) >= 1


def test_infinite_loop_hits_the_cpu_limit() -> None:
    result = hexr.sandbox.exec("while True:\n    pass", timeout=5, cpu_time=1)
    assert result.limit == "cpu_time"
    assert result.exit_code is not None
    assert result.exit_code < 0


def test_sleeping_forever_hits_the_wall_time() -> None:
    result = hexr.sandbox.exec("sleep 100", language="bash", timeout=0.5)
    assert result.limit == "wall_time"


def test_fork_bomb_is_stopped_at_the_process_limit() -> None:
    code = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    result = hexr.sandbox.exec(code, timeout=10, processes=8)
    assert result.limit == "processes"


def test_memory_hog_hits_the_memory_limit() -> None:
    result = hexr.sandbox.exec("x = bytearray(2 << 30)", memory=128 << 20)
    assert result.limit == "memory"
    assert result.exit_code != 0


def test_a_100_mb_print_is_cut_at_the_output_limit() -> None:
    code = "import sys\nsys.stdout.write('x' * 100_000_000)"
    result = hexr.sandbox.exec(code, timeout=20, max_output=1 << 20)
    assert result.limit == "output"
    assert result.truncated
    assert len(result.stdout) == 1 << 20


def test_environment_holds_only_what_was_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXR_VAULT_TOKEN", "hvs.agent-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "agent-aws-secret")
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", "unix:///tmp/nowhere.sock")
    result = hexr.sandbox.exec(
        "import os, json; print(json.dumps(dict(os.environ)))", env_vars={"GREETING": "hi"}
    )
    assert "agent-secret" not in result.stdout
    assert "agent-aws-secret" not in result.stdout
    assert "SPIFFE_ENDPOINT_SOCKET" not in result.stdout
    assert '"GREETING": "hi"' in result.stdout


@pytest.fixture
def svid_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # World-accessible, so only the sandbox's own isolation can keep the code out.
    directory = Path(f"/tmp/hexr-i20-sock-{os.getpid()}")
    directory.mkdir(mode=0o777, exist_ok=True)
    directory.chmod(0o777)
    path = directory / "agent.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    path.chmod(0o777)
    server.listen()
    try:
        yield path
    finally:
        server.close()
        path.unlink()
        directory.rmdir()


def test_svid_socket_is_unreachable(svid_socket: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", f"unix://{svid_socket}")
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(svid_socket))  # reachable from the agent
    code = (
        "import socket\ns = socket.socket(socket.AF_UNIX)\n"
        f"try:\n    s.connect({str(svid_socket)!r})\n    print('CONNECTED')\n"
        "except OSError as e:\n    print('refused', e.errno)\n"
    )
    result = hexr.sandbox.exec(code)
    assert result.stdout.startswith("refused"), result.stderr


def test_network_is_unreachable_even_on_loopback() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    try:
        code = (
            "import socket\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "    print('CONNECTED')\nexcept OSError as e:\n    print('no network', e.errno)\n"
        )
        result = hexr.sandbox.exec(code)
    finally:
        server.close()
    assert result.network_isolated
    assert result.stdout.startswith("no network"), result.stderr


def test_every_run_gets_a_fresh_directory_with_its_files() -> None:
    first = hexr.sandbox.exec(
        "import os\nopen('left.txt', 'w').write('x')\nprint(sorted(os.listdir('.')))",
        files={"data.csv": "a,b\n"},
    )
    assert "data.csv" in first.stdout
    second = hexr.sandbox.exec("import os\nprint('left.txt' in os.listdir('.'))")
    assert second.stdout == "False\n"


def _wheel(house: Path) -> None:
    name = "hexr_demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(house / name, "w") as whl:
        whl.writestr("hexr_demo_pkg.py", "ANSWER = 42\n")
        info = "hexr_demo_pkg-1.0.dist-info"
        whl.writestr(
            f"{info}/METADATA", "Metadata-Version: 2.1\nName: hexr-demo-pkg\nVersion: 1.0\n"
        )
        whl.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        whl.writestr(f"{info}/RECORD", "")


def test_packages_come_from_the_wheelhouse_only(tmp_path: Path) -> None:
    _wheel(tmp_path)
    result = hexr.sandbox.exec(
        "import hexr_demo_pkg\nprint(hexr_demo_pkg.ANSWER)",
        packages=["hexr-demo-pkg"],
        wheelhouse=str(tmp_path),
    )
    assert result.stdout == "42\n", result.stderr
    with pytest.raises(SandboxError, match="could not be installed"):
        hexr.sandbox.exec("print(1)", packages=["requests"], wheelhouse=str(tmp_path))


def test_agent_packages_are_not_importable() -> None:
    result = hexr.sandbox.exec("import hexr")
    assert "ModuleNotFoundError" in result.stderr


@pytest.mark.parametrize(
    "kwargs",
    [
        {"language": "ruby"},
        {"files": {"../escape": "x"}},
        {"env_vars": {"BAD-NAME": "x"}},
        {"packages": ["pkg; rm -rf /"]},
        {"timeout": 0},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(SandboxError) as caught:
        hexr.sandbox.exec("print(1)", **kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, HexrError)


def test_a_daemonized_child_does_not_outlive_the_run() -> None:
    code = (
        "import os, sys, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(60)\n"
        "print(pid)\n"
    )
    result = hexr.sandbox.exec(code, timeout=30)
    assert result.limit == "none"  # the leftover holding the pipes did not run to the wall time
    stat = Path(f"/proc/{int(result.stdout)}/stat")
    # Killed: gone, or a zombie waiting for init to reap it.
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
