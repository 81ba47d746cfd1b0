"""Recording and alert rules: ``promtool check rules`` and every rule's unit test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
RULE_FILES = sorted(RULES.glob("*-rules.yml"))
UNIT_TESTS = sorted((RULES / "tests").glob("*.test.yml"))


def test_every_rule_file_passes_promtool_check() -> None:
    assert RULE_FILES
    result = subprocess.run(
        [PROMTOOL, "check", "rules", *map(str, RULE_FILES)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = subprocess.run(
        [PROMTOOL, "test", "rules", *(p.name for p in UNIT_TESTS)],
        capture_output=True, text=True, timeout=60, cwd=RULES / "tests",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _rules(path: Path) -> list[dict[str, object]]:
    return [rule for group in yaml.safe_load(path.read_text())["groups"]
            for rule in group["rules"]]


def test_every_alert_has_a_unit_test_and_routing_labels() -> None:
    tested = {
        case["alertname"]
        for path in UNIT_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    tested |= {"HexrTenantLLMBudgetExceeded", "HexrLLMUnpricedCalls"}  # test_deploy.py
    alerts = [rule for path in RULE_FILES for rule in _rules(path) if "alert" in rule]
    assert {a["alert"] for a in alerts} <= tested
    for alert in alerts:
        labels = alert["labels"]
        assert isinstance(labels, dict)
        assert labels["severity"] in {"critical", "warning", "info"}, alert["alert"]
        assert labels["team"] in {"platform", "finance"}, alert["alert"]


def test_every_recording_rule_is_evaluated_by_a_unit_test() -> None:
    # Covered = queried by a promql_expr_test or used by an alert whose test fires.
    # (cost-rules.yml has its own test in tests/integration/observability/test_deploy.py.)
    texts = "\n".join(p.read_text() for p in UNIT_TESTS)
    rules = _rules(RULES / "hexr-rules.yml")
    alert_exprs = "\n".join(str(rule["expr"]) for rule in rules if "alert" in rule)
    uncovered = [
        str(rule["record"]) for rule in rules
        if "record" in rule and str(rule["record"]) not in texts
        and str(rule["record"]) not in alert_exprs and not str(rule["record"]).endswith(":hourly")
    ]
    assert uncovered == []
