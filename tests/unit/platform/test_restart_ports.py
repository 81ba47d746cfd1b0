"""Issue 17, finding 10: a component restarted from the state file keeps its main port.

The state file stores ports with sorted keys; the injector declares ("metrics", "https"),
so a context rebuilt in file order took the mTLS port as its main (scraped) port.
"""

from __future__ import annotations

import os
from pathlib import Path

from hexr_injector.platform import injector_spec
from hexr_platform._platform import Platform
from hexr_platform._process import ProcessRef
from hexr_platform._state import ComponentRecord, PlatformState


def test_state_round_trip_keeps_the_declared_port_order(tmp_path: Path) -> None:
    spec = injector_spec()
    me = ProcessRef.of(os.getpid())
    assert me is not None
    state = PlatformState()
    state.components["injector"] = ComponentRecord(
        me.pid, me.start_time, {"metrics": 41001, "https": 41002}, "https://127.0.0.1:41002",
        str(tmp_path / "injector.log"), 0.0,
    )
    (tmp_path / "run").mkdir()
    state.save(tmp_path)
    loaded = PlatformState.load(tmp_path)
    assert list(loaded.components["injector"].ports) == ["https", "metrics"]  # the file's order
    platform = Platform(tmp_path, specs=[spec], ports={})
    contexts = platform._contexts(loaded, {"injector": (spec, True)})
    assert contexts["injector"].port == 41001  # the metrics port Prometheus scrapes
