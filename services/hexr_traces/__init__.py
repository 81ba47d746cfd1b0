"""The local trace store (Arize Phoenix) and a client for its span API.

Phoenix runs from its own virtual environment (``hexr traces install``): its ~860 MB of
dependencies pin packages (strawberry-graphql, sqlglot, anthropic<2, wrapt<3, ...) that
must not constrain the project's or an agent's environment, and it is a separate process
anyway. The collector forwards OTLP to it; ``hexr traces`` queries it over REST.
"""

from hexr_traces._client import PhoenixClient, Span, Trace, TraceStoreError, group_traces
from hexr_traces._install import PHOENIX_VERSION, install_phoenix, phoenix_executable, venv_dir

__all__ = [
    "PHOENIX_VERSION",
    "PhoenixClient",
    "Span",
    "Trace",
    "TraceStoreError",
    "group_traces",
    "install_phoenix",
    "phoenix_executable",
    "venv_dir",
]
