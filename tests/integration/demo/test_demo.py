"""``hexr demo --rounds 1`` end to end on a cold local platform of its own.

Real components throughout: the platform `hexr dev up` starts (identity, Valkey, OpenBao,
injector, gateway, fake LLM, collector, Prometheus, trace store when installed), a moto
server for STS and S3, three A2A sidecars, the guard's scanners.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEXR = str(Path(sys.executable).with_name("hexr"))


def test_demo_runs_the_workflow_and_refuses_every_cross_tenant_attempt(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "HEXR_HOME": str(home)}
    for name in ("HEXR_CONFIG", "HEXR_INJECTOR_CONFIG", "HEXR_VAULT_TOKEN", "VAULT_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [HEXR, "demo", "--rounds", "1", "--json"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["completed"] is True
    assert [r["state"] for r in result["rounds"]] == ["completed"]
    assert result["guard"]["blocked"] is True
    assert result["guard"]["direction"] == "prompt"
    by = {a["attempt"]: a for a in result["attempts"]}
    assert all(a["refused"] for a in by.values())
    assert by["read acme's secret"]["by"] == "PolicyDenied"
    assert "SDK:" in by["read acme's secret"]["how"]
    assert "vault ACL" in by["read acme's secret"]["how"]
    assert by["get acme's AWS credential"]["by"] == "PolicyDenied"
    assert by["call acme's researcher over A2A"]["by"] == "A2AError"
    assert "403" in by["call acme's researcher over A2A"]["how"]
    assert by["list acme's gateway tools"]["by"] == "GatewayError"
    # The demo started the platform, so it stopped it again.
    assert result["platform_started"] is True
    status = subprocess.run([HEXR, "dev", "status"], env=env, capture_output=True, timeout=30,
                            check=False)
    assert status.returncode == 3
