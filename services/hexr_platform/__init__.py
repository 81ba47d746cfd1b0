"""The local platform supervisor behind ``hexr dev up|status|down`` and the test fixtures.

`Platform(home).up()` starts the registered components (every ``hexr.components`` entry
point, see `hexr_platform.component`) detached, on loopback ports, health-checks them and
publishes their endpoints in ``$HEXR_HOME/run/platform.json``; `status()` and `down()` read
that file. `start_component(spec, ctx)` starts one component alone (used by the fixtures).
"""

from hexr_platform._component import RunningComponent, log_tail, start_component
from hexr_platform._discovery import ENTRY_POINT_GROUP, components, get_spec
from hexr_platform._platform import ComponentState, ComponentStatus, Event, Platform, UpResult
from hexr_platform._ports import allocate_ports, configured_ports, free_port
from hexr_platform._process import ProcessRef
from hexr_platform._prometheus import rules_dir, targets_dir, write_targets
from hexr_platform.component import (
    ComponentContext,
    ComponentSpec,
    HealthCheck,
    http_ok,
    python_module,
    tcp_ok,
    unix_socket_ok,
    valkey_ping,
)
from hexr_platform.errors import ComponentStartError, NotInstalledError, PlatformError

__all__ = [
    "ENTRY_POINT_GROUP",
    "ComponentContext",
    "ComponentSpec",
    "ComponentStartError",
    "ComponentState",
    "ComponentStatus",
    "Event",
    "HealthCheck",
    "NotInstalledError",
    "Platform",
    "PlatformError",
    "ProcessRef",
    "RunningComponent",
    "UpResult",
    "allocate_ports",
    "components",
    "configured_ports",
    "free_port",
    "get_spec",
    "http_ok",
    "log_tail",
    "python_module",
    "rules_dir",
    "start_component",
    "targets_dir",
    "tcp_ok",
    "unix_socket_ok",
    "valkey_ping",
    "write_targets",
]
