"""`Platform` against the real binaries: start, health, crash detection, restart, cleanup."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import hvac
import pytest
import valkey

from hexr import _env
from hexr._settings import platform_file, published_env
from hexr_platform import (
    ComponentSpec,
    ComponentState,
    Platform,
    PlatformError,
    ProcessRef,
    components,
    get_spec,
    http_ok,
    python_module,
)
from hexr_platform._state import PlatformState
from hexr_platform.builtin.prometheus import prometheus_spec
from hexr_vault import local_root_token

ALL = [spec.name for spec in components()]


def _group_members(leader: ProcessRef) -> list[int]:
    """Live processes of ``leader``'s group. Pids wrap fast here (pid_max 32768), so a
    group with that id led by a process of another start time is someone else's."""
    current = ProcessRef.of(leader.pid)
    if current is not None and current.start_time != leader.start_time:
        return []
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader.pid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _group_gone(leader: ProcessRef, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _group_members(leader):
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def make_platform(tmp_path: Path) -> Iterator[type[Platform]]:
    """Platforms in private homes, always brought down at teardown."""
    made: list[Platform] = []

    def make(home: Path | None = None, **kwargs: object) -> Platform:
        platform = Platform(home or tmp_path / f"home{len(made)}", **kwargs)  # type: ignore[arg-type]
        made.append(platform)
        return platform

    try:
        yield make  # type: ignore[misc]
    finally:
        for platform in made:
            platform.down(grace_s=2.0)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """One full platform shared by tests that leave it as they found it (all healthy)."""
    platform = Platform(tmp_path_factory.mktemp("platform"))
    try:
        result = platform.up()
        assert result.ok, result.failed
        print(f"\nPlatform.up() of {len(result.started)} components: {result.elapsed_s:.3f} s")
        yield platform
    finally:
        platform.down(grace_s=2.0)


@pytest.fixture
def own_platform(make_platform) -> Platform:  # type: ignore[no-untyped-def]
    """A full platform of the test's own, for tests that tear it down."""
    platform: Platform = make_platform()
    assert platform.up().ok
    return platform


def _pids(platform: Platform) -> dict[str, int]:
    return {name: rec.pid for name, rec in PlatformState.load(platform.home).components.items()}


def test_up_starts_every_component_healthy_and_serving(running: Platform) -> None:
    statuses = {st.name: st for st in running.status()}
    assert {name: st.state for name, st in statuses.items()} == dict.fromkeys(
        ALL, ComponentState.HEALTHY
    )
    env = published_env(running.home)
    assert valkey.Valkey.from_url(env[_env.HEXR_VALKEY_URL]).ping()
    token = local_root_token(running.home)
    assert hvac.Client(url=env[_env.HEXR_VAULT_ADDR], token=token).is_authenticated()
    assert httpx.get(f"{env[_env.HEXR_PROMETHEUS_URL]}/-/ready").status_code == 200
    assert httpx.get(f"{env[_env.HEXR_PUSHGATEWAY_URL]}/-/ready").status_code == 200
    assert env[_env.OTEL_EXPORTER_OTLP_ENDPOINT] == statuses["collector"].address
    for name in ALL:
        assert (running.home / "logs" / f"{name}.log").is_file()
        assert (running.home / "data" / name).is_dir()


def test_root_token_is_kept_secret(running: Platform) -> None:
    token = local_root_token(running.home)
    secrets_dir = running.home / "secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((secrets_dir / "openbao-root-token").stat().st_mode) == 0o600
    assert token not in platform_file(running.home).read_text()
    assert token not in repr(running.status())
    pid = _pids(running)["openbao"]
    assert token.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()


def test_second_up_is_a_noop(running: Platform) -> None:
    before = _pids(running)
    result = running.up()
    assert result.noop
    assert sorted(result.already_running) == sorted(ALL)
    assert _pids(running) == before


@pytest.mark.parametrize("name", ALL)
def test_crash_is_reported_with_log_tail_then_restarted(running: Platform, name: str) -> None:
    before = _pids(running)
    process = PlatformState.load(running.home).components[name].process
    os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while process.alive() and time.monotonic() < deadline:  # alive() also reaps the zombie
        time.sleep(0.02)
    crashed = {st.name: st for st in running.status()}[name]
    assert crashed.state is ComponentState.CRASHED
    assert crashed.log_tail, "a crash report carries the last log lines"
    token = local_root_token(running.home)
    assert not any(token in line for line in crashed.log_tail), "no secret in a crash report"
    result = running.up()
    assert result.restarted == [name]
    assert sorted(result.already_running) == sorted(set(ALL) - {name})
    after = _pids(running)
    assert after[name] != before[name]
    assert {n: p for n, p in after.items() if n != name} == {
        n: p for n, p in before.items() if n != name
    }
    restarted = {st.name: st for st in running.status()}[name]
    assert restarted.state is ComponentState.HEALTHY
    assert restarted.address == crashed.address, "a restart keeps the component's ports"


def test_down_leaves_no_process_and_no_run_files(own_platform: Platform) -> None:
    running = own_platform
    leaders = [rec.process for rec in PlatformState.load(running.home).components.values()]
    assert all(_group_members(leader) for leader in leaders)
    stopped = running.down()
    assert sorted(stopped) == sorted(ALL)
    for leader in leaders:
        assert _group_gone(leader), leader
    assert not platform_file(running.home).exists()
    assert not list((running.home / "prometheus" / "targets").glob("alertmanager.json"))
    assert running.down() == []
    assert {st.state for st in running.status()} == {ComponentState.STOPPED}


def test_homes_are_isolated(make_platform) -> None:  # type: ignore[no-untyped-def]
    first, second = make_platform(), make_platform()
    assert first.up(["valkey"]).ok
    assert second.up(["valkey"]).ok
    url_one = published_env(first.home)[_env.HEXR_VALKEY_URL]
    url_two = published_env(second.home)[_env.HEXR_VALKEY_URL]
    assert url_one != url_two
    first.down()
    assert valkey.Valkey.from_url(url_two).ping()
    assert {st.name: st.state for st in second.status()}["valkey"] is ComponentState.HEALTHY


def test_configured_port_is_used(make_platform) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    platform = make_platform(ports={"valkey": port})
    assert platform.up(["valkey"]).ok
    assert published_env(platform.home)[_env.HEXR_VALKEY_URL] == f"valkey://127.0.0.1:{port}"


def test_start_failure_is_reported_with_log_tail(make_platform) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        platform = make_platform(ports={"valkey": busy.getsockname()[1]})
        result = platform.up(["valkey", "pushgateway"])
    assert "valkey" in result.failed
    assert "Address already in use" in result.failed["valkey"]
    assert result.started == ["pushgateway"], "one failure does not stop the others"
    assert not result.ok


def test_missing_optional_binary_is_reported_and_skipped(make_platform) -> None:  # type: ignore[no-untyped-def]
    missing = ComponentSpec(
        name="ghost",
        locate=lambda: None,
        argv=lambda ctx, exe: [exe],
        health=http_ok("/"),
        optional=True,
        install_hint="apt-get install ghost",
    )
    platform = make_platform(specs=[get_spec("valkey"), missing])
    result = platform.up()
    assert result.ok
    assert result.not_installed == {"ghost": "apt-get install ghost"}
    states = {st.name: st for st in platform.status()}
    assert states["ghost"].state is ComponentState.NOT_INSTALLED
    assert states["ghost"].hint == "apt-get install ghost"
    assert states["valkey"].state is ComponentState.HEALTHY


def test_python_module_component_with_dependency_is_one_entry(make_platform) -> None:  # type: ignore[no-untyped-def]
    web = ComponentSpec(
        name="web",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=http_ok("/"),
        depends_on=("valkey",),
        metrics_path="/metrics",
    )
    platform = make_platform(specs=[get_spec("valkey"), web])
    result = platform.up()
    assert result.ok, result.failed
    state = PlatformState.load(platform.home)
    assert state.components["web"].started_at >= state.components["valkey"].started_at
    target = json.loads((platform.home / "prometheus" / "targets" / "web.json").read_text())
    assert target[0]["targets"] == [f"127.0.0.1:{state.components['web'].ports['port']}"]
    assert sys.executable in Path(f"/proc/{state.components['web'].pid}/cmdline").read_text()


def test_failed_dependency_blocks_dependant(make_platform) -> None:  # type: ignore[no-untyped-def]
    broken = ComponentSpec(
        name="broken",
        locate=python_module("sys"),
        argv=lambda ctx, exe: [exe, "-c", "raise SystemExit(3)"],
        health=http_ok("/"),
    )
    child = ComponentSpec(
        name="child",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=http_ok("/"),
        depends_on=("broken",),
    )
    result = make_platform(specs=[broken, child]).up()
    assert "exited during start" in result.failed["broken"]
    assert "dependency broken" in result.failed["child"]


def test_prometheus_scrapes_platform_and_alerts_to_alertmanager(make_platform) -> None:  # type: ignore[no-untyped-def]
    # A 1 s scrape interval instead of the default 5 s keeps the test short.
    specs = [prometheus_spec("1s") if s.name == "prometheus" else s for s in components()]
    running: Platform = make_platform(specs=specs)
    assert running.up(["prometheus", "alertmanager", "pushgateway"]).ok
    prometheus = published_env(running.home)[_env.HEXR_PROMETHEUS_URL]
    am_port = PlatformState.load(running.home).components["alertmanager"].ports["port"]
    pg_port = PlatformState.load(running.home).components["pushgateway"].ports["port"]
    deadline = time.monotonic() + 20
    healthy: set[str] = set()
    alertmanagers: list[str] = []
    while time.monotonic() < deadline:
        targets = httpx.get(f"{prometheus}/api/v1/targets").json()["data"]["activeTargets"]
        healthy = {t["scrapeUrl"] for t in targets if t["health"] == "up"}
        ams = httpx.get(f"{prometheus}/api/v1/alertmanagers").json()["data"]
        alertmanagers = [am["url"] for am in ams["activeAlertmanagers"]]
        if len(healthy) >= 3 and alertmanagers:
            break
        time.sleep(0.25)
    assert f"http://127.0.0.1:{am_port}/metrics" in healthy
    assert f"http://127.0.0.1:{pg_port}/metrics" in healthy
    assert any(f"127.0.0.1:{am_port}" in url for url in alertmanagers)


def test_frozen_component_reads_unhealthy_and_up_says_so(running: Platform) -> None:
    pid = _pids(running)["valkey"]
    os.killpg(pid, signal.SIGSTOP)
    try:
        state = {st.name: st for st in running.status()}["valkey"]
        assert state.state is ComponentState.UNHEALTHY
        result = running.up()
        assert result.unhealthy == ["valkey"]
        assert not result.ok
        assert not result.noop
        assert _pids(running)["valkey"] == pid, "a live component is never restarted behind"
    finally:
        os.killpg(pid, signal.SIGCONT)
    assert {st.name: st for st in running.status()}["valkey"].state is ComponentState.HEALTHY


def test_selected_component_brings_its_dependencies(make_platform) -> None:  # type: ignore[no-untyped-def]
    web = ComponentSpec(
        name="web",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=http_ok("/"),
        depends_on=("valkey",),
    )
    platform = make_platform(specs=[get_spec("valkey"), get_spec("pushgateway"), web])
    result = platform.up(["web"])
    assert sorted(result.started) == ["valkey", "web"]


def test_dependency_cycle_is_rejected(tmp_path: Path) -> None:
    def spec(name: str, dep: str) -> ComponentSpec:
        return ComponentSpec(
            name=name, locate=lambda: "x", argv=lambda c, e: [e], health=http_ok("/"),
            depends_on=(dep,),
        )

    with pytest.raises(PlatformError, match="dependency cycle: a -> b -> a"):
        Platform(tmp_path, specs=[spec("a", "b"), spec("b", "a")])


def test_bug_in_a_spec_fails_that_component_only(make_platform) -> None:  # type: ignore[no-untyped-def]
    def broken_argv(ctx: object, exe: str) -> list[str]:
        raise KeyError("no-such-port")

    broken = ComponentSpec(name="broken", locate=lambda: sys.executable, argv=broken_argv,
                           health=http_ok("/"))
    child = ComponentSpec(name="child", locate=lambda: sys.executable,
                          argv=lambda c, e: [e], health=http_ok("/"), depends_on=("broken",))
    result = make_platform(specs=[get_spec("valkey"), broken, child]).up()
    assert "no-such-port" in result.failed["broken"]
    assert "dependency broken" in result.failed["child"]
    assert result.started == ["valkey"]


def test_post_start_after_starts_the_process_early_and_the_hook_late(make_platform) -> None:  # type: ignore[no-untyped-def]
    marks: dict[str, float] = {}

    def slow_health(ctx: object) -> bool:
        # Healthy only 0.5 s after the first probe, so the early start is measurable.
        first = marks.setdefault("slow_probe", time.monotonic())
        return time.monotonic() - first > 0.5

    slow = ComponentSpec(
        name="slow",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=slow_health,
    )
    early = ComponentSpec(
        name="early",
        locate=python_module("http.server"),
        argv=lambda ctx, exe: [exe, "-m", "http.server", "--bind", ctx.host, str(ctx.port)],
        health=http_ok("/"),
        post_start=lambda ctx: marks.setdefault("hook", time.monotonic()) and None,
        post_start_after=("slow",),
    )
    platform = make_platform(specs=[slow, early])
    result = platform.up()
    assert result.ok, result.failed
    started = PlatformState.load(platform.home).components
    assert started["early"].started_at - started["slow"].started_at < 0.4, "started in parallel"
    assert marks["hook"] - marks["slow_probe"] > 0.5, "the hook waited for `slow` to be healthy"
