"""The local platform supervisor behind ``hexr dev up|status|down`` and the test fixtures.

`Platform(home).up()` starts the registered components (`_registry.COMPONENTS`) detached,
on loopback ports, health-checks them and publishes their endpoints in
``$HEXR_HOME/run/platform.json``; `status()` and `down()` read that file.
`start_component(spec, ctx)` starts one component alone (used by the test fixtures).
"""

from hexr_platform._component import RunningComponent, log_tail, start_component
from hexr_platform._health import http_ok, tcp_ok, unix_socket_ok, valkey_ping
from hexr_platform._platform import ComponentState, ComponentStatus, Event, Platform, UpResult
from hexr_platform._ports import allocate_ports, configured_ports, free_port
from hexr_platform._process import ProcessRef
from hexr_platform._prometheus import rules_dir, targets_dir, write_targets
from hexr_platform._registry import (
    COMPONENTS,
    PROMETHEUS_INSTALL_HINT,
    alertmanager_spec,
    collector_spec,
    get_spec,
    openbao_root_token,
    openbao_spec,
    prometheus_spec,
    pushgateway_spec,
    python_module,
    valkey_spec,
)
from hexr_platform._spec import ComponentContext, ComponentSpec, HealthCheck
from hexr_platform.errors import ComponentStartError, NotInstalledError, PlatformError

__all__ = [
    "COMPONENTS",
    "PROMETHEUS_INSTALL_HINT",
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
    "alertmanager_spec",
    "allocate_ports",
    "collector_spec",
    "configured_ports",
    "free_port",
    "get_spec",
    "http_ok",
    "log_tail",
    "openbao_root_token",
    "openbao_spec",
    "prometheus_spec",
    "pushgateway_spec",
    "python_module",
    "rules_dir",
    "start_component",
    "targets_dir",
    "tcp_ok",
    "unix_socket_ok",
    "valkey_ping",
    "valkey_spec",
    "write_targets",
]
