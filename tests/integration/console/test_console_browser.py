"""The console in a real browser (Playwright on Debian's Chromium) over a real platform.

A real agent runs under `hexr dev run` against the fake LLM and pushes its metrics; the
test signs in with the admin token, clicks through every view and every dashboard, and
keeps a screenshot of each under ``$HEXR_TEST_ARTIFACTS/console`` (default ``.artifacts``).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from hexr import _env
from hexr.endpoints import published_env
from hexr_console import load_or_create_token

HEXR = str(Path(sys.executable).with_name("hexr"))
ARTIFACTS = Path(
    os.environ.get("HEXR_TEST_ARTIFACTS") or Path(__file__).resolve().parents[3] / ".artifacts"
) / "console"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
# Unique per run: series of earlier runs (a shared Pushgateway) never add to its counts.
AGENT = f"analyst-{secrets.token_hex(3)}"
_AGENT = """
import os, sys, openai
from hexr import hexr_agent, hexr_llm
# `hexr dev run` hands the agent the platform's endpoints, the fake LLM's among them.
llm = hexr_llm(openai.OpenAI(base_url=os.environ["HEXR_LLM_BASE_URL"], api_key="local-fake"))

@hexr_agent(name=sys.argv[1], tenant="acme")
def analyze(topic: str) -> str:
    reply = llm.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": topic}])
    return reply.choices[0].message.content or ""

for i in range(3):
    analyze(f"quarterly revenue {i}")
"""


@pytest.fixture(scope="module")
def console(local_platform, tmp_path_factory) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The platform's console URL and token, after a real agent ran; a second agent stays up."""
    home = local_platform.home
    url = published_env(home)[_env.HEXR_CONSOLE_URL]
    token = load_or_create_token(home)
    env = {**os.environ, _env.HEXR_HOME: str(home)}
    script = tmp_path_factory.mktemp("agent") / "agent.py"
    script.write_text(_AGENT)
    ran = subprocess.run(
        [HEXR, "dev", "run", "--tenant", "acme", "--agent", AGENT, "--",
         sys.executable, str(script), AGENT],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert ran.returncode == 0, ran.stderr
    watcher = subprocess.Popen(
        [HEXR, "dev", "run", "--tenant", "globex", "--agent", "watcher", "--",
         sys.executable, "-c", "import time; time.sleep(120)"],
        env=env,
    )
    auth = {"authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:  # Prometheus scrapes the Pushgateway every 5 s
        usage = httpx.get(f"{url}/api/v1/usage", headers=auth, timeout=5).json()
        if any(s["labels"].get("agent_name") == AGENT for s in usage.get("llm_calls", [])):
            break
        time.sleep(1)
    # Rates need two scrapes of the pushed series: wait until the overview graphs them.
    dashboards = httpx.get(f"{url}/api/v1/dashboards", headers=auth, timeout=5).json()
    overview = next(d for d in dashboards["dashboards"] if d["uid"] == "hexr-platform-overview")
    panel = next(p for p in overview["panels"] if p["title"] == "Agent invocations")
    panel_url = f"{url}/api/v1/dashboards/{overview['uid']}/panels/{panel['id']}"
    while time.monotonic() < deadline + 30:
        if httpx.get(panel_url, headers=auth, timeout=5).json()["series"]:
            break
        time.sleep(1)
    try:
        yield url, token
    finally:
        watcher.terminate()
        watcher.wait(10)


@pytest.fixture(scope="module")
def page(console: tuple[str, str]) -> Iterator[Page]:
    """A signed-out Chromium page; screenshots go to ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def _shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _chart_states(page: Page) -> list[str]:
    # Polled from Python: the page's CSP (script-src 'self') forbids Playwright's eval.
    deadline = time.monotonic() + 60
    while True:
        states: list[str] = page.eval_on_selector_all(
            ".chart", "charts => charts.map(c => c.dataset.state || '')"
        )
        if (states and all(states)) or time.monotonic() > deadline:
            return states
        time.sleep(0.3)


def test_console_signs_in_and_shows_every_view(page: Page, console: tuple[str, str]) -> None:
    url, token = console
    page.goto(url)
    assert page.locator("#token").is_visible()
    _shoot(page, "00-sign-in")
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "That token is not valid."
    page.fill("#token", token)
    page.click("button[type=submit]")

    page.wait_for_selector("#view[data-view=components] table")
    rows = page.locator("#view tbody tr")
    states = dict(zip(rows.locator("td:nth-child(1)").all_inner_texts(),
                      rows.locator("td:nth-child(2)").all_inner_texts(), strict=True))
    assert states["identity"] == "healthy"
    assert states["console"] == "healthy"
    _shoot(page, "01-components")

    page.click("#nav a[data-view=identities]")
    page.wait_for_selector("#view[data-view=identities] table")
    text = page.locator("#view").inner_text()
    assert "tenant globex" in text.lower()
    assert "spiffe://hexr.local/agent/globex/watcher/main" in text
    assert "spiffe://hexr.local/service/credential-injector" in text
    _shoot(page, "02-identities")

    page.click("#nav a[data-view=usage]")
    page.wait_for_selector("#view[data-view=usage] table")
    usage_row = page.locator("#view tbody tr", has_text=AGENT).inner_text()
    assert "acme" in usage_row
    assert "\t3\t" in usage_row  # three LLM calls
    _shoot(page, "03-usage")

    for view in ("credentials", "denials"):
        page.click(f"#nav a[data-view={view}]")
        page.wait_for_selector(f"#view[data-view={view}] section")
        assert not page.locator("#view .error").count(), page.locator("#view").inner_text()
        _shoot(page, f"04-{view}")


def test_every_dashboard_panel_renders_from_its_own_promql(
    page: Page, console: tuple[str, str]
) -> None:
    url, token = console
    dashboards = httpx.get(
        f"{url}/api/v1/dashboards", headers={"authorization": f"Bearer {token}"}, timeout=10
    ).json()["dashboards"]
    assert {d["uid"] for d in dashboards} >= {"hexr-platform-overview", "hexr-a2a-communication"}
    shown: dict[str, dict[str, str]] = {}
    for number, dashboard in enumerate(dashboards):
        page.goto(f"{url}/#dashboards?uid={dashboard['uid']}")
        page.wait_for_selector("#view[data-view=dashboards] .grid")
        states = _chart_states(page)
        titles = page.locator(".panel figcaption").all_inner_texts()
        assert len(states) == len(dashboard["panels"]) == len(titles)
        assert "error" not in states, dict(zip(titles, states, strict=True))
        empty = [t for t, s in zip(titles, states, strict=True) if s == "empty"]
        print(f"{dashboard['uid']}: {len(states) - len(empty)} panels with data; empty: {empty}")
        _shoot(page, f"10-dashboard-{number}-{dashboard['uid']}")
        shown[dashboard["uid"]] = dict(zip(titles, states, strict=True))
    # The agent above made LLM calls: the overview's agent and LLM panels have data.
    overview = shown["hexr-platform-overview"]
    assert overview["Agent invocations"] == "data"
    assert overview["LLM calls by model"] == "data"


def test_console_refuses_unauthenticated_requests(console: tuple[str, str]) -> None:
    url, _ = console
    for path in ("/api/v1/components", "/api/v1/identities", "/api/v1/usage"):
        response = httpx.get(f"{url}{path}", timeout=5)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    assert "Sign in" in httpx.get(url, timeout=5).text
