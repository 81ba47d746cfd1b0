"""Grafana dashboards as code (``grafana-foundation-sdk``, Grafana 11.6 schema).

``python -m dashboards.generate`` writes ``dashboards/json/*.json``; a test regenerates
them and fails on any difference. Every panel is a `PanelSpec` that names the component
producing its series, so a test can run each query against a real Prometheus.
"""
