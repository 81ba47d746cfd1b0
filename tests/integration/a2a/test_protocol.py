"""The sidecar's wire behaviour: the card, each bad input's error code, nothing lost."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.a2a.conftest import message, mtls, rpc


def test_agent_card_paths_and_caching(echo: Any, caller: Any) -> None:
    with caller() as source, httpx.Client(verify=mtls(source)) as http:
        card = http.get(f"{echo.url}/.well-known/agent-card.json")
        legacy = http.get(f"{echo.url}/.well-known/agent.json")
        again = http.get(
            f"{echo.url}/.well-known/agent-card.json",
            headers={"If-None-Match": card.headers["etag"]},
        )
    assert card.status_code == legacy.status_code == 200
    assert card.json() == legacy.json()
    assert "max-age=" in card.headers["cache-control"]
    assert card.headers["last-modified"].endswith("GMT")
    assert again.status_code == 304
    document = card.json()
    bindings = {
        (i["protocolBinding"], i["protocolVersion"]) for i in document["supportedInterfaces"]
    }
    assert {("JSONRPC", "1.0"), ("HTTP+JSON", "1.0"), ("JSONRPC", "0.3")} <= bindings
    assert [s["id"] for s in document["skills"]] == ["echo"]
    assert "mtlsSecurityScheme" in document["securitySchemes"]["spiffe-mtls"]


def _raw(http: httpx.Client, url: str, body: bytes, **headers: str) -> dict[str, Any]:
    answer = http.post(
        f"{url}/a2a/jsonrpc",
        content=body,
        headers={"Content-Type": "application/json", "A2A-Version": "1.0", **headers},
    )
    assert answer.status_code < 500
    assert "Traceback" not in answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_each_bad_input_gets_its_code_and_loses_nothing(echo: Any, caller: Any) -> None:
    with caller() as source, httpx.Client(verify=mtls(source)) as http:
        stored = rpc(http, echo.url, "SendMessage", message("keep me"))["result"]["task"]
        url = echo.url

        def code(body: bytes, **headers: str) -> int:
            return int(_raw(http, url, body, **headers)["error"]["code"])

        assert code(b'{"jsonrpc": "2.0", "id": 1, "method": ') == -32700
        assert code('{"x": "\xff"}'.encode("latin-1")) == -32700  # not UTF-8
        assert code(b'{"jsonrpc": "2.0", "id": 1}') == -32600
        assert code(b"[" * 200 + b"]" * 200) == -32600  # nested too deep
        assert (
            code(b'{"jsonrpc": "2.0", "id": 1, "method": "NoSuchMethod", "params": {}}') == -32601
        )
        assert rpc(http, url, "SendMessage", {"message": {"parts": 5}})["error"]["code"] == -32602
        assert rpc(http, url, "GetTask", {"id": "no-such-task"})["error"]["code"] == -32001
        assert rpc(http, url, "CancelTask", {"id": stored["id"]})["error"]["code"] == -32002
        assert (
            code(
                b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask"}',
                **{"Content-Type": "text/plain"},
            )
            == -32005
        )
        huge = (
            b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "'
            + b"x" * (2 << 20)
            + b'"}}'
        )
        assert code(huge) == -32600
        unknown = _raw(
            http,
            url,
            b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}',
            **{"A2A-Version": "9.9"},
        )
        assert unknown["error"]["code"] == -32009
        # pre-1.0 clients: v0.3 method names without the header
        legacy = http.post(
            f"{url}/a2a/jsonrpc",
            json={"jsonrpc": "2.0", "id": 2, "method": "tasks/get", "params": {"id": stored["id"]}},
        ).json()
        assert legacy["result"]["id"] == stored["id"]
        # nothing stored was lost
        again = rpc(http, url, "GetTask", {"id": stored["id"], "historyLength": 0})["result"]
        assert again["status"]["state"] == "TASK_STATE_COMPLETED"
        assert "history" not in again


def test_rest_binding_answers_application_json(echo: Any, caller: Any) -> None:
    with caller() as source, httpx.Client(verify=mtls(source)) as http:
        sent = http.post(
            f"{echo.url}/a2a/rest/message:send",
            json=message("rest"),
            headers={"A2A-Version": "1.0"},
        )
        assert sent.status_code == 200, sent.text
        assert sent.headers["content-type"].split(";")[0] == "application/json"
        task = sent.json()["task"]
        got = http.get(f"{echo.url}/a2a/rest/tasks/{task['id']}", headers={"A2A-Version": "1.0"})
        assert got.headers["content-type"].split(";")[0] == "application/json"
        assert got.json()["artifacts"][0]["parts"][0]["text"] == "echo:rest"
        missing = http.get(f"{echo.url}/a2a/rest/tasks/nope", headers={"A2A-Version": "1.0"})
        assert missing.status_code == 404
        listed = http.get(
            f"{echo.url}/a2a/rest/tasks", params={"pageSize": 1}, headers={"A2A-Version": "1.0"}
        ).json()
        assert len(listed["tasks"]) == 1


def test_list_tasks_filters_and_pages(echo: Any, caller: Any) -> None:
    with caller("acme", "lister") as source, httpx.Client(verify=mtls(source)) as http:
        ids = {
            rpc(http, echo.url, "SendMessage", message(f"n{i}", contextId="ctx-list"))["result"][
                "task"
            ]["id"]
            for i in range(3)
        }
        rpc(http, echo.url, "SendMessage", message("other context"))
        first = rpc(http, echo.url, "ListTasks", {"contextId": "ctx-list", "pageSize": 2})["result"]
        second = rpc(
            http,
            echo.url,
            "ListTasks",
            {"contextId": "ctx-list", "pageSize": 2, "pageToken": first["nextPageToken"]},
        )["result"]
    assert first["totalSize"] == 3
    pages = [t["id"] for t in first["tasks"]] + [t["id"] for t in second["tasks"]]
    assert len(pages) == 3
    assert set(pages) == ids
    assert not second.get("nextPageToken")
