"""The deployment's OpenTelemetry Collector config: pipelines reference defined parts,
memory and retries are bounded (no collector binary exists here to run it)."""

from __future__ import annotations

from pathlib import Path

import yaml

CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "otel-collector" / "config.yaml"


def test_pipelines_name_defined_components_and_are_bounded() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces"}
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            assert pipeline[kind], kind
            assert set(pipeline[kind]) <= set(config[kind]), kind
        # memory_limiter must run first, batch last (the collector's documented order).
        assert pipeline["processors"][0] == "memory_limiter"
        assert pipeline["processors"][-1] == "batch"
    assert set(config["service"]["extensions"]) <= set(config["extensions"])
    exporter = config["exporters"]["otlp/jaeger"]
    assert exporter["sending_queue"]["queue_size"] > 0
    assert exporter["retry_on_failure"]["max_elapsed_time"] == "300s"
    assert exporter["tls"]["insecure"] is False
