"""A bounded client for Phoenix' span REST API, and traces assembled from spans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["PhoenixClient", "Span", "Trace", "TraceStoreError", "group_traces"]

_PAGE = 1000  # Phoenix' maximum page size
MAX_SPANS = 20_000
"""Upper bound of spans one query reads (pages of 1000), so a CLI call stays bounded."""


class TraceStoreError(Exception):
    """The trace store is unreachable or refused the query (message is user-facing)."""


@dataclass(frozen=True)
class Span:
    """One span as the trace store returns it."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start: dt.datetime
    end: dt.datetime
    status: str
    """``OK``, ``ERROR`` or ``UNSET``."""
    status_message: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def duration_ms(self) -> float:
        """Wall time of the span in milliseconds."""
        return (self.end - self.start).total_seconds() * 1000

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Span:
        """Parse one element of the API's ``data`` list."""
        context = item["context"]
        return cls(
            trace_id=str(context["trace_id"]),
            span_id=str(context["span_id"]),
            parent_id=item.get("parent_id") or None,
            name=str(item["name"]),
            start=dt.datetime.fromisoformat(item["start_time"]),
            end=dt.datetime.fromisoformat(item["end_time"]),
            status=str(item.get("status_code") or "UNSET"),
            status_message=str(item.get("status_message") or ""),
            attributes=dict(item.get("attributes") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO timestamps)."""
        return {
            "trace_id": self.trace_id, "span_id": self.span_id, "parent_id": self.parent_id,
            "name": self.name, "start_time": self.start.isoformat(),
            "end_time": self.end.isoformat(), "duration_ms": round(self.duration_ms, 3),
            "status": self.status, "status_message": self.status_message,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class Trace:
    """The spans of one trace; the root is the earliest span without a known parent."""

    trace_id: str
    spans: tuple[Span, ...]

    @property
    def roots(self) -> list[Span]:
        """Spans whose parent is not in this trace (normally one), earliest first."""
        ids = {s.span_id for s in self.spans}
        return sorted((s for s in self.spans if s.parent_id not in ids), key=lambda s: s.start)

    @property
    def root(self) -> Span:
        """The earliest root span."""
        return self.roots[0]

    @property
    def start(self) -> dt.datetime:
        """Start of the earliest span."""
        return min(s.start for s in self.spans)

    @property
    def duration_ms(self) -> float:
        """From the first span's start to the last span's end, in milliseconds."""
        return (max(s.end for s in self.spans) - self.start).total_seconds() * 1000

    @property
    def status(self) -> str:
        """``ERROR`` when any span failed, else the root's status."""
        return "ERROR" if any(s.status == "ERROR" for s in self.spans) else self.root.status

    def attribute(self, key: str) -> str:
        """The first value of ``key`` on the root, else on any span ("" when absent)."""
        for span in (self.root, *self.spans):
            value = span.attributes.get(key)
            if value not in (None, ""):
                return str(value)
        return ""

    def children(self) -> dict[str | None, list[Span]]:
        """Spans by parent id, each list by start time; roots under ``None``."""
        ids = {s.span_id for s in self.spans}
        tree: dict[str | None, list[Span]] = {}
        for span in sorted(self.spans, key=lambda s: s.start):
            parent = span.parent_id if span.parent_id in ids else None
            tree.setdefault(parent, []).append(span)
        return tree


def group_traces(spans: Iterable[Span]) -> list[Trace]:
    """Traces of ``spans``, most recent first."""
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    traces = [Trace(tid, tuple(items)) for tid, items in by_trace.items()]
    return sorted(traces, key=lambda t: t.start, reverse=True)


class PhoenixClient:
    """Reads spans of one Phoenix project (``GET /v1/projects/{project}/spans``)."""

    def __init__(self, base_url: str, project: str = "default", timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.project = project
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> PhoenixClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def spans(
        self,
        *,
        trace_ids: Sequence[str] = (),
        since: dt.datetime | None = None,
        roots_only: bool = False,
        attributes: Mapping[str, str] | None = None,
        max_spans: int = MAX_SPANS,
    ) -> list[Span]:
        """Spans matching every filter, newest first, at most ``max_spans``.

        Raises:
            TraceStoreError: unreachable, unknown project or a refused query.
        """
        params: list[tuple[str, str]] = [("trace_id", t) for t in trace_ids]
        if since is not None:
            params.append(("start_time", since.astimezone(dt.UTC).isoformat()))
        if roots_only:
            params.append(("parent_id", "null"))
        for key, value in (attributes or {}).items():
            # JSON-quoted: a numeric-looking tenant name must still match as a string.
            params.append(("attribute", f'{key}:"{value}"'))
        found: list[Span] = []
        cursor: str | None = None
        while len(found) < max_spans:
            page = [*params, ("limit", str(min(_PAGE, max_spans - len(found))))]
            if cursor:
                page.append(("cursor", cursor))
            body = self._get(f"/v1/projects/{self.project}/spans", page)
            found.extend(Span.from_api(item) for item in body.get("data", []))
            cursor = body.get("next_cursor")
            if not cursor:
                break
        return found

    def _get(self, path: str, params: Sequence[tuple[str, str]]) -> dict[str, Any]:
        try:
            response = self._client.get(path, params=tuple(params))
        except httpx.HTTPError as exc:
            raise TraceStoreError(
                f"trace store at {self.base_url} is unreachable ({type(exc).__name__});"
                " is the platform up (hexr dev up) with the trace store installed"
                " (hexr traces install)?"
            ) from exc
        if response.status_code == 404:
            # A fresh store has no project until the first span arrives.
            return {"data": []}
        if response.status_code >= 400:
            raise TraceStoreError(
                f"trace store refused the query: HTTP {response.status_code}"
            )
        body: dict[str, Any] = response.json()
        return body
