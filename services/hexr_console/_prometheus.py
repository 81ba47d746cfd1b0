"""A small, bounded Prometheus HTTP API client for the console's read-only views."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["PrometheusClient", "PrometheusUnavailable", "Sample", "Series"]

_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


class PrometheusUnavailable(Exception):
    """Prometheus is not configured, not reachable, or refused the query."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One instant-vector element: its labels and value."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True, slots=True)
class Series:
    """One range-vector series: labels, timestamps (s) and values (NaN dropped)."""

    labels: dict[str, str]
    timestamps: list[float]
    values: list[float]


class PrometheusClient:
    """``/api/v1/query`` and ``/api/v1/query_range`` with a timeout and a size bound."""

    def __init__(self, base_url: str | None, timeout_s: float = 5.0) -> None:
        self.base_url = (base_url or "").rstrip("/")
        self._client = httpx.Client(timeout=timeout_s)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _get(self, path: str, params: dict[str, str]) -> Any:
        if not self.base_url:
            raise PrometheusUnavailable("Prometheus is not part of this platform")
        try:
            with self._client.stream("GET", f"{self.base_url}{path}", params=params) as resp:
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > _MAX_RESPONSE_BYTES:
                        raise PrometheusUnavailable("Prometheus answer too large")
        except httpx.HTTPError:
            raise PrometheusUnavailable("Prometheus is not reachable") from None
        try:
            document = httpx.Response(resp.status_code, content=bytes(body)).json()
        except ValueError:
            raise PrometheusUnavailable("Prometheus sent no JSON") from None
        if not isinstance(document, dict) or document.get("status") != "success":
            error = document.get("error") if isinstance(document, dict) else None
            raise PrometheusUnavailable(f"query refused: {str(error)[:200]}")
        return document.get("data", {})

    def query(self, promql: str) -> list[Sample]:
        """Evaluate ``promql`` now (instant vector; scalars become one unlabelled sample)."""
        data = self._get("/api/v1/query", {"query": promql})
        kind, result = data.get("resultType"), data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return [Sample({}, _number(result[1]))]
        return [
            Sample(dict(item.get("metric", {})), _number(item.get("value", [0, "NaN"])[1]))
            for item in result or []
            if isinstance(item, dict)
        ]

    def query_range(self, promql: str, start: float, end: float, step: float) -> list[Series]:
        """Evaluate ``promql`` over ``[start, end]`` every ``step`` seconds."""
        data = self._get(
            "/api/v1/query_range",
            {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
        )
        series: list[Series] = []
        for item in data.get("result") or []:
            points = [(float(t), _number(v)) for t, v in item.get("values", [])]
            points = [(t, v) for t, v in points if math.isfinite(v)]
            series.append(
                Series(dict(item.get("metric", {})), [t for t, _ in points], [v for _, v in points])
            )
        return series


def _number(text: object) -> float:
    try:
        return float(str(text))
    except ValueError:
        return math.nan
