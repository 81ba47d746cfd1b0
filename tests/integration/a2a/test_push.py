"""Push notifications: delivered at least once (with retries), restricted URLs refused."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from tests.integration.a2a.conftest import message, mtls, rpc


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    failures_left = 1  # the first delivery fails: the sidecar must retry

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()
            Receiver.received.append({"redirect": True})
            return
        if Receiver.failures_left > 0:
            Receiver.failures_left -= 1
            self.send_response(500)
            self.end_headers()
            return
        Receiver.received.append(
            {"token": self.headers.get("X-A2A-Notification-Token"), **json.loads(body)}
        )
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _push(url: str) -> dict[str, Any]:
    return {"url": url, "token": "tok-1"}


def test_restricted_push_urls_are_refused(echo: Any, caller: Any) -> None:
    with caller("acme", "pusher") as source, httpx.Client(verify=mtls(source)) as http:
        task = rpc(http, echo.url, "SendMessage", message("x"))["result"]["task"]
        # echo allows only the session receiver's host:port; other loopback ports are not.
        for url in (
            "http://127.0.0.1:1/hook",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
        ):
            answer = rpc(
                http,
                echo.url,
                "CreateTaskPushNotificationConfig",
                {"taskId": task["id"], **_push(url)},
            )
            assert answer["error"]["code"] == -32602, url


def test_push_delivered_at_least_once_with_retry_and_crud(
    echo: Any, caller: Any, push_receiver: str
) -> None:
    sidecar, receiver = echo, push_receiver
    Receiver.received.clear()
    Receiver.failures_left = 1
    with caller("acme", "pusher") as source, httpx.Client(verify=mtls(source)) as http:
        params = message("slow")
        params["configuration"] = {
            "taskPushNotificationConfig": _push(receiver + "/hook"),
            "returnImmediately": True,
        }
        task = rpc(http, sidecar.url, "SendMessage", params)["result"]["task"]
        configs = rpc(http, sidecar.url, "ListTaskPushNotificationConfigs", {"taskId": task["id"]})
        redirect = rpc(
            http,
            sidecar.url,
            "CreateTaskPushNotificationConfig",
            {"taskId": task["id"], "id": "r", **_push(receiver + "/redirect")},
        )["result"]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not any(
            r.get("statusUpdate", {}).get("status", {}).get("state") == "TASK_STATE_COMPLETED"
            for r in Receiver.received
        ):
            time.sleep(0.1)
        deleted = rpc(
            http, sidecar.url, "DeleteTaskPushNotificationConfig", {"taskId": task["id"], "id": "r"}
        )
        after = rpc(http, sidecar.url, "ListTaskPushNotificationConfigs", {"taskId": task["id"]})
    assert [c["url"] for c in configs["result"]["configs"]] == [receiver + "/hook"]
    assert redirect["id"] == "r"
    delivered = [r for r in Receiver.received if "redirect" not in r]
    states = [r["statusUpdate"]["status"]["state"] for r in delivered if "statusUpdate" in r]
    assert states[-1] == "TASK_STATE_COMPLETED"
    assert {r["token"] for r in delivered} == {"tok-1"}
    assert "error" not in deleted
    assert [c["id"] for c in after["result"]["configs"]] == [task["id"]]
