"""Push notifications: configs in Valkey, delivery at least once with retries, safe URLs.

A push URL must be http(s) and resolve to public addresses only — no loopback,
link-local (cloud metadata), private or reserved ranges (a2a-sdk's
``validate_push_notification_url``) — unless its ``host`` or ``host:port`` is in the
sidecar's allow list. Redirects are never followed, each attempt is bounded by a
timeout, and a failed delivery is retried with exponential backoff; a receiver may see
an event more than once (at least once), never zero times while it answers in time.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from a2a.server.context import ServerCallContext
from a2a.server.tasks.base_push_notification_sender import BasePushNotificationSender
from a2a.server.tasks.push_notification_config_store import (
    PushNotificationConfigStore,
    normalize_push_notification_config,
)
from a2a.types import TaskPushNotificationConfig
from a2a.utils.push_url_validator import validate_push_notification_url

from hexr_a2a._metrics import SidecarMetrics
from hexr_a2a._store import owner_of

__all__ = ["RetryingPushSender", "ValkeyPushConfigStore", "push_url_validator"]

_MAX_CONFIGS_PER_TASK = 16


def push_url_validator(allow: Sequence[str]) -> Callable[[str], Awaitable[bool]]:
    """A validator accepting public http(s) URLs, and the allow-listed hosts."""
    allowed = frozenset(allow)

    async def validate(url: str) -> bool:
        try:
            parsed = urllib.parse.urlparse(url)
            host_port = f"{parsed.hostname}:{parsed.port}" if parsed.port else ""
        except ValueError:
            return False
        if parsed.scheme in ("http", "https") and (
            parsed.hostname in allowed or host_port in allowed
        ):
            return True
        return await validate_push_notification_url(url)

    return validate


class ValkeyPushConfigStore(PushNotificationConfigStore):
    """Push configs per task in one Valkey hash (field ``owner|config id``)."""

    def __init__(self, client: Any, prefix: str, *, retention_s: int = 7 * 24 * 3600) -> None:
        self._valkey = client
        self._prefix = prefix
        self._retention_s = retention_s

    def _key(self, task_id: str) -> str:
        return f"{self._prefix}:push:{task_id}"

    async def set_info(
        self,
        task_id: str,
        notification_config: TaskPushNotificationConfig,
        context: ServerCallContext,
    ) -> TaskPushNotificationConfig | None:
        """Store a normalized copy for the caller (bounded per task)."""
        config = normalize_push_notification_config(task_id, notification_config)
        key = self._key(task_id)
        field = f"{owner_of(context)}|{config.id}"
        if not await self._valkey.hexists(key, field) and (
            await self._valkey.hlen(key) >= _MAX_CONFIGS_PER_TASK
        ):
            from a2a.utils.errors import InvalidParamsError

            raise InvalidParamsError(message="too many push configs for this task")
        pipe = self._valkey.pipeline(transaction=True)
        pipe.hset(key, field, config.SerializeToString())
        pipe.expire(key, self._retention_s)
        await pipe.execute()
        return config

    async def get_info(
        self, task_id: str, context: ServerCallContext
    ) -> list[TaskPushNotificationConfig]:
        """The caller's configs of ``task_id``."""
        prefix = f"{owner_of(context)}|".encode()
        fields = await self._valkey.hgetall(self._key(task_id))
        return [_parse(v) for k, v in fields.items() if k.startswith(prefix)]

    async def get_info_for_dispatch(self, task_id: str) -> list[TaskPushNotificationConfig]:
        """Every config of ``task_id`` (authorization happened when each was set)."""
        fields = await self._valkey.hgetall(self._key(task_id))
        return [_parse(v) for v in fields.values()]

    async def delete_info(
        self, task_id: str, context: ServerCallContext, config_id: str | None = None
    ) -> None:
        """Delete one of the caller's configs (or all of them)."""
        owner = owner_of(context)
        key = self._key(task_id)
        if config_id is not None:
            await self._valkey.hdel(key, f"{owner}|{config_id}")
            return
        prefix = f"{owner}|".encode()
        fields = [k for k in await self._valkey.hkeys(key) if k.startswith(prefix)]
        if fields:
            await self._valkey.hdel(key, *fields)


def _parse(raw: bytes) -> TaskPushNotificationConfig:
    config = TaskPushNotificationConfig()
    config.ParseFromString(raw)
    return config


class RetryingPushSender(BasePushNotificationSender):
    """a2a-sdk's sender with bounded retries (exponential backoff) and delivery metrics."""

    def __init__(
        self,
        config_store: PushNotificationConfigStore,
        metrics: SidecarMetrics,
        validator: Callable[[str], Awaitable[bool]],
        *,
        attempts: int = 4,
        backoff_s: float = 0.2,
        timeout_s: float = 5.0,
    ) -> None:
        # No redirects: a public URL must not bounce the sidecar to an internal one.
        client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)
        super().__init__(client, config_store)
        self._check = validator
        self._metrics = metrics
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def _dispatch_notification(
        self, event: Any, push_info: TaskPushNotificationConfig, task_id: str
    ) -> bool:
        # The URL is checked again at each delivery: DNS may have changed since it was set.
        if not await self._check(push_info.url):
            self._metrics.push("refused")
            return False
        for attempt in range(self._attempts):
            if await super()._dispatch_notification(event, push_info, task_id):
                self._metrics.push("delivered")
                return True
            if attempt + 1 < self._attempts:
                self._metrics.push("retried")
                await asyncio.sleep(self._backoff_s * 2**attempt)
        self._metrics.push("failed")
        return False

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()
