"""The dashboards: generated JSON matches the code, panel counts, variables, valid PromQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from dashboards import a2a, generate, platform_overview

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
ROOT = Path(__file__).resolve().parents[3]


def _load(name: str) -> dict[str, Any]:
    return json.loads((generate.OUTPUT / name).read_text())


@pytest.mark.parametrize("name", sorted(generate.DASHBOARDS))
def test_committed_json_is_what_the_code_generates(name: str) -> None:
    committed = (generate.OUTPUT / name).read_text()
    assert committed == generate.render(generate.DASHBOARDS[name]), (
        f"dashboards/json/{name} is stale: run python -m dashboards.generate"
    )


def test_check_mode_reports_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(generate, "OUTPUT", tmp_path)
    assert generate.main([]) == 0
    assert generate.main(["--check"]) == 0
    (tmp_path / "a2a-communication.json").write_text("{}")
    assert generate.main(["--check"]) == 1
    assert "stale: dashboards/json/a2a-communication.json" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "title", "count"),
    [("platform-overview.json", "Hexr / Platform overview", 23),
     ("a2a-communication.json", "Hexr / A2A communication", 19)],
)
def test_panels_variables_and_trace_links(name: str, title: str, count: int) -> None:
    board = _load(name)
    assert board["title"] == title
    assert len(board["panels"]) == count
    assert len({p["title"] for p in board["panels"]}) == count
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert {"datasource", "tenant", "agent", "trace_store"} <= set(variables)
    assert variables["agent"]["query"].endswith('{tenant=~"$tenant"}, agent_name)')
    assert any(link["url"] == "${trace_store}" for link in board["links"])
    linked = [p for p in board["panels"] if p.get("links")]
    assert linked
    assert all(p["links"][0]["url"].startswith("${trace_store}") for p in linked)
    for panel in board["panels"]:
        targets = panel["targets"]
        assert targets, panel["title"]
        assert [t["refId"] for t in targets] == [chr(ord("A") + i) for i in range(len(targets))]
        assert all(t["datasource"]["uid"] == "${datasource}" for t in targets)
        # grid: inside 24 columns, no two panels overlapping
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24


def substitute(expr: str) -> str:
    """A panel query with Grafana's variables replaced as the "All" selection does."""
    return (expr.replace("$__rate_interval", "1m").replace("$tenant", ".*")
            .replace("$agent", ".*"))


def test_every_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions with Prometheus' own parser.
    rules = [
        {"record": f"panel:q{i}", "expr": substitute(q.expr)}
        for i, q in enumerate(
            q for spec in (*platform_overview.PANELS, *a2a.PANELS) for q in spec.queries
        )
    ]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_provisioning_points_at_the_generated_dashboards() -> None:
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/hexr.yml").read_text()
    )["providers"][0]
    assert provider["type"] == "file"
    assert provider["options"]["path"].endswith("/hexr")
    source = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/hexr.yml").read_text()
    )["datasources"][0]
    assert source["type"] == "prometheus"
