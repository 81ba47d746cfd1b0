"""One observability configuration for the SDK, sidecars and services.

``load_observability_config()`` reads the ``observability:`` section of the YAML file named
by ``HEXR_CONFIG``, applies ``HEXR_*`` (then ``OTEL_*``) environment variables and
zero-config defaults, and validates everything at start. The same file holds one section
per component (``injector:``, ...): `read_section` gives a component its section and
`merge_settings` lays it over the defaults the platform generated.
"""

from hexr.config._labels import check_const_labels, is_unbounded_label
from hexr.config._loader import (
    ENV_FIELDS,
    get_observability_config,
    load_observability_config,
    merge_settings,
    observe_file,
    read_section,
    set_dev_observe,
)
from hexr.config._models import (
    BasicAuthConfig,
    LoggingConfig,
    MetricsConfig,
    MetricsProtection,
    ObservabilityConfig,
    TracingConfig,
)
from hexr.config._sections import SectionSettings

__all__ = [
    "ENV_FIELDS",
    "BasicAuthConfig",
    "LoggingConfig",
    "MetricsConfig",
    "MetricsProtection",
    "ObservabilityConfig",
    "SectionSettings",
    "TracingConfig",
    "check_const_labels",
    "get_observability_config",
    "is_unbounded_label",
    "load_observability_config",
    "merge_settings",
    "observe_file",
    "read_section",
    "set_dev_observe",
]
