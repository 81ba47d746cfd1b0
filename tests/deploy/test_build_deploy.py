"""`hexr build` finds every agent role by static analysis; `hexr deploy` renders a workload
that validates and carries both sidecars and one SPIRE identity per process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hexr.identity import SpiffeId
from hexr_cli._app import app
from hexr_deploy import BuildError, build, find_agents
from tests.deploy import k8s

AGENTS = Path(__file__).parent / "agents"
runner = CliRunner()


def test_cli_default_trust_domain_is_the_sdks():
    from hexr.endpoints import DEFAULT_TRUST_DOMAIN
    from hexr_cli import deploy

    assert deploy.DEFAULT_TRUST_DOMAIN == DEFAULT_TRUST_DOMAIN


def test_crew_file_is_never_imported():
    # The crew imports a framework that is not installed: analysing it must not run it.
    done = subprocess.run([sys.executable, str(AGENTS / "crew.py")], capture_output=True,
                          check=False, timeout=30)
    assert done.returncode != 0
    assert b"ModuleNotFoundError" in done.stderr
    assert len(find_agents(AGENTS / "crew.py")) == 4


def test_build_finds_every_role_of_a_multi_role_crew(tmp_path, monkeypatch):
    monkeypatch.delenv("HEXR_TRUST_DOMAIN", raising=False)
    result = runner.invoke(app, ["build", str(AGENTS / "crew.py"), "--tenant", "acme",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.json"))
    assert written == [
        "acme/research-crew/planner.json", "acme/research-crew/researcher.json",
        "acme/research-crew/writer.json", "acme/summarizer/main.json",
    ]
    ctx = json.loads((tmp_path / "acme/research-crew/researcher.json").read_text())
    assert ctx["spiffe_id"] == str(SpiffeId.for_agent("acme", "research-crew", "researcher"))
    assert (ctx["function"], ctx["framework"], ctx["source"]) == (
        "ResearchCrew.research", "crewai", "crew.py")
    main = json.loads((tmp_path / "acme/summarizer/main.json").read_text())
    assert (main["role"], main["function"]) == ("main", "summarize")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from hexr import hexr_agent\n@hexr_agent(name=NAME, tenant='acme')\ndef f(): ...\n",
         "string literal"),
        ("from hexr import hexr_agent\n@hexr_agent(name='a', tenant='other')\ndef f(): ...\n",
         r"tenant\(s\) other"),
        ("from hexr import hexr_agent\n@hexr_agent(name='a', tenant='acme', role='a2a')\n"
         "def f(): ...\n", "reserved"),
        ("from hexr import hexr_agent\n@hexr_agent('a', 'acme')\ndef f(): ...\n"
         "@hexr_agent('a', 'acme')\ndef g(): ...\n", "already declared"),
        ("from hexr import hexr_agent\n@hexr_agent(**opts)\ndef f(): ...\n", "cannot be analysed"),
        ("def f(:\n", "not valid Python"),
        ("def hexr_agent(**kw): ...\n@hexr_agent(name='a', tenant='acme')\ndef f(): ...\n",
         "no @hexr_agent"),
    ],
)
def test_build_refuses_what_it_cannot_decide_statically(tmp_path, source, message):
    path = tmp_path / "agent.py"
    path.write_text(source)
    with pytest.raises(BuildError, match=message):
        build(path, "acme", "hexr.local")


def _deploy(source: Path, *args: str) -> list[dict]:
    result = runner.invoke(app, ["deploy", str(source), "--tenant", "acme", "--dry-run",
                                 "--trust-domain", "prod.example", *args])
    assert result.exit_code == 0, result.output
    return k8s.load_all(result.output)


def test_deploy_dry_run_validates_and_has_sidecars_and_identities():
    docs = _deploy(AGENTS / "crew.py", "--image", "registry.internal/crew@sha256:" + "0" * 64)
    assert k8s.errors(docs) == []
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"research-crew", "summarizer"}
    crew = deployments["research-crew"]
    assert crew["metadata"]["namespace"] == "tenant-acme"
    pod = crew["spec"]["template"]
    assert pod["metadata"]["labels"].items() >= {
        "hexr.io/managed": "true", "hexr.io/tenant": "acme", "hexr.io/agent": "research-crew",
    }.items()
    spec = pod["spec"]
    sidecars = {c["name"]: c for c in spec["initContainers"]}
    assert set(sidecars) == {"injector", "a2a"}
    assert all(c["restartPolicy"] == "Always" for c in sidecars.values())
    any_address = "0.0.0.0"  # noqa: S104 - the mTLS sidecar listens on the pod's network
    assert sidecars["a2a"]["command"] == ["python", "-m", "hexr_a2a", "--host", any_address]
    a2a_env = {e["name"]: e.get("value") for e in sidecars["a2a"]["env"]}
    assert a2a_env["HEXR_A2A_AGENT"].split(":")[1].isidentifier()
    assert sidecars["injector"]["command"] == ["python", "-m", "hexr_injector"]
    roles = [c["name"] for c in spec["containers"]]
    assert roles == ["planner", "researcher", "writer"]
    assert {"name": "spiffe-workload-api",
            "csi": {"driver": "csi.spiffe.io", "readOnly": True}} in spec["volumes"]
    ports = [p["containerPort"] for c in [*spec["initContainers"], *spec["containers"]]
             for p in c["ports"]]
    assert len(ports) == len(set(ports)), "containers of one pod share its ports"
    sa = next(d for d in docs if d["kind"] == "ServiceAccount"
              and d["metadata"]["name"] == "research-crew")
    assert spec["serviceAccountName"] == sa["metadata"]["name"]

    # One ClusterSPIFFEID per process (roles and sidecars) giving the local platform's IDs,
    # each bound to its own container.
    ids = {}
    for d in docs:
        if d["kind"] == "ClusterSPIFFEID" and d["spec"]["podSelector"]["matchLabels"][
                "hexr.io/agent"] == "research-crew":
            spiffe_id = d["spec"]["spiffeIDTemplate"].replace("{{ .TrustDomain }}",
                                                              "prod.example")
            selectors = d["spec"]["workloadSelectorTemplates"]
            assert "k8s:ns:tenant-acme" in selectors
            assert "k8s:sa:research-crew" in selectors
            container = next(s.split(":", 2)[2] for s in selectors
                             if s.startswith("k8s:container-name:"))
            ids[container] = spiffe_id
    assert ids == {
        role: str(SpiffeId.for_agent("acme", "research-crew", role, "prod.example"))
        for role in ["planner", "researcher", "writer", "injector", "a2a"]
    }
    assert set(ids) == set(roles) | set(sidecars)


def test_deploy_replicas_get_a_pdb_and_spread_and_contexts_match_build(tmp_path):
    docs = _deploy(AGENTS / "single.py", "--replicas", "3")
    assert k8s.errors(docs) == []
    kinds = {d["kind"]: d for d in docs}
    assert kinds["PodDisruptionBudget"]["spec"]["minAvailable"] == 2
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    assert "podAntiAffinity" in pod["affinity"]
    built = runner.invoke(app, ["build", str(AGENTS / "single.py"), "--tenant", "acme",
                                "--trust-domain", "prod.example", "--out", str(tmp_path)])
    assert built.exit_code == 0, built.output
    contexts = kinds["ConfigMap"]["data"]
    assert set(contexts) == {"main.json", "injector.json", "a2a.json"}
    assert contexts["main.json"] == (tmp_path / "acme/analyst/main.json").read_text()
    assert json.loads(contexts["a2a.json"])["spiffe_id"] == str(
        SpiffeId.for_agent("acme", "analyst", "a2a", "prod.example"))


def test_deploy_without_a_cluster_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing-kubeconfig"))
    result = runner.invoke(app, ["deploy", str(AGENTS / "single.py"), "--tenant", "acme"])
    assert result.exit_code == 1
    assert "no current context" in result.output


def test_deploy_applies_server_side_with_kubectl(tmp_path, monkeypatch):
    from tests.deploy.fake_apiserver import fake_apiserver

    expected = _deploy(AGENTS / "crew.py")
    with fake_apiserver() as api:
        monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig(tmp_path)))
        result = runner.invoke(app, ["deploy", str(AGENTS / "crew.py"), "--tenant", "acme",
                                     "--trust-domain", "prod.example"])
        assert result.exit_code == 0, result.output
    assert "serverside-applied" in result.output
    assert [a.body for a in api.applied] == expected
    for request in api.applied:
        assert request.content_type == "application/apply-patch+yaml"
        assert request.query["fieldManager"] == ["hexr"]
        assert request.query["fieldValidation"] == ["Strict"]
    paths = {a.path for a in api.applied}
    assert "/apis/apps/v1/namespaces/tenant-acme/deployments/research-crew" in paths
    assert "/apis/spire.spiffe.io/v1alpha1/clusterspiffeids/hexr-acme-research-crew-a2a" in paths


def test_apply_reports_what_the_server_refused(tmp_path, monkeypatch):
    from hexr_deploy import ApplyError, apply
    from tests.deploy.fake_apiserver import fake_apiserver

    bad = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "x", "namespace": "tenant-acme"}, "dta": {}}
    with fake_apiserver() as api:
        monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig(tmp_path)))
        with pytest.raises(ApplyError, match="kubectl apply failed"):
            apply([bad])
    assert api.applied == []
