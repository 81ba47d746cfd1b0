"""Prometheus metrics of the identity service, served on its HTTP port at ``/metrics``.

``hexr_identity_svids_issued_total{kind}`` counts signed SVIDs (``x509``, ``jwt``);
``hexr_identity_svid_rotations_total{kind="x509"}`` the re-issues of an X.509-SVID a
workload already held; ``hexr_identity_svid_earliest_expiry_timestamp_seconds`` is the
earliest ``notAfter`` among the current X.509-SVIDs of registered (live) workloads, so an
exited agent's SVID, which nobody rotates, never looks like stuck rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["IdentityMetrics"]


class _ExpiryCollector(Collector):
    def __init__(self, earliest: Callable[[], float | None]) -> None:
        self._earliest = earliest

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "hexr_identity_svid_earliest_expiry_timestamp_seconds",
            "Earliest expiry (unix time) of the X.509-SVIDs held by registered workloads.",
        )
        value = self._earliest()
        if value is not None:
            family.add_metric([], value)
        yield family


class IdentityMetrics:
    """The service's counters and the expiry gauge, in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.issued = Counter(
            "hexr_identity_svids_issued", "SVIDs signed, by kind.", ["kind"],
            registry=self.registry,
        )
        self.rotations = Counter(
            "hexr_identity_svid_rotations", "X.509-SVIDs re-issued at rotation time.",
            ["kind"], registry=self.registry,
        )
        # Pre-create the series: a dashboard shows 0, not "no data", before the first one.
        for kind in ("x509", "jwt"):
            self.issued.labels(kind)
        self.rotations.labels("x509")

    def watch_expiry(self, earliest: Callable[[], float | None]) -> None:
        """Report ``earliest()`` as the earliest-expiry gauge at every scrape."""
        self.registry.register(_ExpiryCollector(earliest))
