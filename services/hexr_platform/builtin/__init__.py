"""Third-party servers the local platform runs (Valkey, the collector, Prometheus & co).

They have no Hexr package of their own, so their specs live here; they are plugins like
any other, registered under the ``hexr.components`` entry points in ``pyproject.toml``.
"""
