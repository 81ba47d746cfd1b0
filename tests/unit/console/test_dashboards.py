import json
from pathlib import Path

from hexr_console._dashboards import expand, legend, load_dashboards


def test_expand_replaces_grafana_variables_and_matches_all_for_unknown() -> None:
    expr = 'rate(x{tenant=~"$tenant", agent_name=~"${agent}", r=~"[[region]]"}[$__rate_interval])'
    out = expand(expr, {"tenant": "acme", "agent": ".*", "__rate_interval": "60s"})
    assert out == 'rate(x{tenant=~"acme", agent_name=~".*", r=~".*"}[60s])'


def test_legend_uses_the_format_or_the_labels() -> None:
    labels = {"__name__": "m", "tenant": "acme", "tier": "L1"}
    assert legend("{{tenant}} {{ tier }}", labels) == "acme L1"
    assert legend("", labels) == "tenant=acme, tier=L1"
    assert legend("", {"__name__": "m"}) == "value"


def test_load_reads_rows_numbers_panels_and_skips_bad_files(tmp_path: Path) -> None:
    dashboard = {
        "uid": "d1",
        "title": "One",
        "panels": [
            {"type": "timeseries", "title": "a", "targets": [{"expr": "up", "refId": "A"}]},
            {"type": "row", "panels": [
                {"type": "stat", "title": "b", "fieldConfig": {"defaults": {"unit": "s"}},
                 "targets": [{"expr": "sum(up)", "legendFormat": "{{job}}", "refId": "A"}]},
            ]},
            {"type": "text", "title": "no query"},
        ],
    }
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "one.json").write_text(json.dumps(dashboard))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "nouid.json").write_text(json.dumps({"panels": []}))
    (tmp_path / "huge.json").write_text(" " * (3 * 1024 * 1024))
    found = load_dashboards(tmp_path)
    assert list(found) == ["d1"]
    panels = found["d1"].panels
    assert [(p.id, p.title, p.type, p.instant) for p in panels] == [
        (1, "a", "timeseries", False),
        (2, "b", "stat", True),
    ]
    assert panels[1].unit == "s"
    assert panels[1].targets[0].legend == "{{job}}"
    assert found["d1"].panel(3) is None
    assert load_dashboards(tmp_path / "missing") == {}
