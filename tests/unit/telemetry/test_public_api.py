import subprocess
import sys

import hexr.telemetry


def test_every_public_name_resolves() -> None:
    for name in hexr.telemetry.__all__:
        assert getattr(hexr.telemetry, name) is not None, name


def test_observability_helpers_load_lazily() -> None:
    code = (
        "import sys, hexr.telemetry as t; before = 'hexr.telemetry._metrics_auth' in sys.modules;"
        " t.MetricsGuard; print(before, 'hexr.telemetry._metrics_auth' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "True"]
