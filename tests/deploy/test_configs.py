"""Platform configs pass their validators where one exists (promtool, amtool, the compose
schema); the collector and Grafana configs, which have no validator here (no otelcol or
Grafana binary can be installed), are checked against the services that serve them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.deploy import chart

ROOT = chart.ROOT
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose" / "docker-compose.yaml"


def _rule_files() -> list[Path]:
    return chart.rule_files()


_SD_ROLES = {"pod", "endpoints", "endpointslice", "service", "node", "ingress"}
_SD_KEYS = {"role", "namespaces", "selectors", "api_server", "kubeconfig_file", "attach_metadata"}


def _without_kubernetes_sd(text: str) -> str:
    """The config with kubernetes_sd_configs checked here and swapped for static targets.

    Debian's promtool is built without the Kubernetes service discovery (it rejects the
    field), so its blocks are checked against the documented roles and keys, and everything
    else (relabelling, auth, rule files, alerting) goes through promtool unchanged.
    """
    config = yaml.safe_load(text)
    jobs = [*config.get("scrape_configs", []), *config.get("alerting", {}).get("alertmanagers", [])]
    for job in jobs:
        for sd in job.pop("kubernetes_sd_configs", []):
            assert sd["role"] in _SD_ROLES, sd
            assert set(sd) <= _SD_KEYS, sd
            job.setdefault("static_configs", []).append({"targets": ["k8s-sd.invalid:9464"]})
    return yaml.safe_dump(config)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("config", ["prometheus/kubernetes.yml", "compose/prometheus.yml"])
def test_promtool_checks_prometheus_config_with_its_rule_files(tmp_path, config):
    # Lay out the paths the config names (rules, the scrape token) under a private root.
    text = _without_kubernetes_sd((DEPLOY / config).read_text()).replace(
        "/etc/prometheus/", f"{tmp_path}/")
    (tmp_path / "rules").mkdir()
    for rule in _rule_files():
        shutil.copy(rule, tmp_path / "rules" / rule.name)
    (tmp_path / "secrets/hexr-metrics").mkdir(parents=True)
    (tmp_path / "secrets/hexr-metrics/token").write_text("t" * 32)
    (tmp_path / "prometheus.yml").write_text(text)
    done = _run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(_rule_files())} rule files found" in done.stdout + done.stderr


def test_promtool_and_the_sd_check_reject_broken_configs(tmp_path):
    text = (DEPLOY / "prometheus/kubernetes.yml").read_text()
    bad = tmp_path / "p.yml"
    bad.write_text(_without_kubernetes_sd(text.replace("regex: metrics", "regex: '[metrics'")))
    assert _run(["promtool", "check", "config", str(bad)]).returncode != 0
    with pytest.raises(AssertionError):
        _without_kubernetes_sd(text.replace("role: pod", "role: pods"))


def test_amtool_checks_alertmanager_config():
    done = _run(["amtool", "check-config", str(DEPLOY / "alertmanager/alertmanager.yml")])
    assert done.returncode == 0, done.stdout + done.stderr


def _services(docs):
    return {d["metadata"]["name"]: {p["port"] for p in d["spec"]["ports"]}
            for d in docs if d["kind"] == "Service"}


def test_collector_pipelines_are_complete_and_point_at_real_services():
    config = yaml.safe_load((DEPLOY / "otel-collector/config.yaml").read_text())
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces", "metrics"}
    for name, pipe in pipelines.items():
        assert pipe["receivers"] == ["otlp"], name
        # memory_limiter first (it must refuse data before anything buffers it), batch last.
        assert pipe["processors"][0] == "memory_limiter", name
        assert pipe["processors"][-1] == "batch", name
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipe[kind]) <= set(config[kind]), (name, kind)
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert pipelines["traces"]["exporters"] == ["otlp/jaeger"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    # Content and credential attributes are dropped from spans (defence in depth).
    assert "attributes/scrub" in pipelines["traces"]["processors"]
    exporter = config["exporters"]["otlp/jaeger"]
    assert exporter["sending_queue"]["queue_size"] > 0
    assert exporter["retry_on_failure"]["max_elapsed_time"] == "300s"
    services = _services(chart.render())
    host, port = config["exporters"]["otlp/jaeger"]["endpoint"].rsplit(":", 1)
    assert host == "jaeger-collector.hexr-system.svc"
    assert int(port) in services["jaeger-collector"]
    prom_port = int(config["exporters"]["prometheus"]["endpoint"].rsplit(":", 1)[1])
    assert prom_port in services["otel-collector"]
    scrape = yaml.safe_load((DEPLOY / "prometheus/kubernetes.yml").read_text())
    targets = [t for job in scrape["scrape_configs"] for sc in job.get("static_configs", [])
               for t in sc["targets"]]
    assert f"otel-collector.hexr-system.svc:{prom_port}" in targets


def test_grafana_provisioning_points_at_real_services_and_mounts():
    docs = chart.render()
    services = _services(docs)
    sources = yaml.safe_load((DEPLOY / "grafana/datasources/hexr.yaml").read_text())
    assert {s["type"] for s in sources["datasources"]} == {"prometheus", "jaeger"}
    for source in sources["datasources"]:
        host, port = source["url"].removeprefix("http://").split(":")
        assert int(port) in services[host.split(".")[0]], source["name"]
    providers = yaml.safe_load((DEPLOY / "grafana/dashboards/hexr.yaml").read_text())
    path = providers["providers"][0]["options"]["path"]
    grafana = next(d for d in docs if d["kind"] == "Deployment"
                   and d["metadata"]["name"] == "grafana")
    mounts = {m["mountPath"]: m["name"]
              for m in grafana["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert mounts[path] == "dashboards"


def test_compose_file_matches_the_compose_spec_and_its_references_exist():
    schema = json.loads((Path(__file__).parent / "schemas/compose-spec.json").read_text())
    doc = yaml.safe_load(COMPOSE.read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
    services = doc["services"]
    assert {"spire-server", "spire-agent", "openbao", "valkey", "otel-collector", "jaeger",
            "prometheus", "grafana", "agent", "injector", "a2a"} <= set(services)
    for name, svc in services.items():
        deps = svc.get("depends_on", [])
        assert set(deps) <= set(services), name
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE.parent / source).exists(), (name, source)
            elif not source.startswith("/"):
                assert source in doc["volumes"], (name, source)
        assert set(svc.get("secrets", [])) <= set(doc.get("secrets", {})), name
        build = svc.get("build")
        if build:
            context = COMPOSE.parent / build["context"]
            assert (context / build["dockerfile"]).exists(), name
    # The sidecars share the agent's network namespace, as in a pod.
    assert services["injector"]["network_mode"] == services["a2a"]["network_mode"] == \
        "service:agent"
    mounted_rules = {Path(v.split(":")[1]).name for v in services["prometheus"]["volumes"]
                     if "/rules/" in v}
    assert mounted_rules == {p.name for p in _rule_files()}, (
        "deploy/compose/docker-compose.yaml: mount every rule file of deploy/prometheus "
        "into the prometheus service (../prometheus/<file>:/etc/prometheus/rules/<file>:ro)")


def test_compose_schema_check_rejects_an_unknown_key():
    schema = json.loads((Path(__file__).parent / "schemas/compose-spec.json").read_text())
    doc = yaml.safe_load(COMPOSE.read_text())
    doc["services"]["agent"]["restart_polcy"] = "always"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(doc)


def test_dockerfiles_are_multi_stage_and_non_root():
    for name in ("Dockerfile", "agent.Dockerfile", "spire-tools.Dockerfile"):
        lines = [line.strip() for line in (DEPLOY / "docker" / name).read_text().splitlines()]
        froms = [line for line in lines if line.startswith("FROM ")]
        assert len(froms) >= 2, name
        users = [line for line in lines if line.startswith("USER ")]
        assert users, name
        assert users[-1] == "USER 10001:10001", name


# Top-level keys of spire-controller-manager 0.6.6's config file (the json tags of
# ControllerManagerConfig and its inlined spec, api/v1alpha1/controllermanagerconfig_types.go);
# its CRD describes the spec-wrapped resource, not this file.
_CM_KEYS = {
    "apiVersion", "kind", "clusterName", "clusterDomain", "trustDomain", "ignoreNamespaces",
    "validatingWebhookConfigurationName", "gcInterval", "spireServerSocketPath", "logLevel",
    "logEncoding", "grpc", "syncPeriod", "leaderElection", "cacheNamespace", "cacheNamespaces",
    "gracefulShutDown", "controller", "metrics", "health", "webhook", "className",
    "watchClassless", "parentIDTemplate", "reconcile", "entryIDPrefix", "entryIDPrefixCleanup",
    "staticManifestPath", "expandEnvStaticManifests", "enableEntryRenderCache",
    "entryRenderCacheSize",
}


def test_spire_controller_manager_config_uses_its_keys_and_our_webhook():
    docs = chart.render()
    server = next(d for d in docs if d["kind"] == "ConfigMap"
                  and d["metadata"]["name"] == "spire-server")
    config = yaml.safe_load(server["data"]["controller-manager.yaml"])
    assert set(config) <= _CM_KEYS
    assert config["kind"] == "ControllerManagerConfig"
    assert config["trustDomain"] == "hexr.local"
    assert config["spireServerSocketPath"] in server["data"]["server.conf"]
    hooks = {d["metadata"]["name"]: d for d in docs
             if d["kind"] == "ValidatingWebhookConfiguration"}
    service = hooks[config["validatingWebhookConfigurationName"]]["webhooks"][0]["clientConfig"]
    assert service["service"]["name"] in _services(docs)
