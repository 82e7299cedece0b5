"""The hostile-server fixture itself: routes, raw answers, recorded requests."""

from __future__ import annotations

import httpx

from tests.hostile_server import Answer, HostileServer, json_reply


def test_routes_answer_and_requests_are_recorded(hostile_server: HostileServer) -> None:
    hostile_server.route("GET", r"/orders/[^/]+", json_reply({"ok": True}, headers={"X-A": "1"}))
    hostile_server.route("GET", r"/raw", lambda seen: Answer(502, b"<html>", {}))
    with httpx.Client(base_url=hostile_server.base_url) as client:
        first = client.get("/orders/abc", params={"limit": "3"})
        raw = client.get("/raw")
        missing = client.get("/nothing")
    assert (first.status_code, first.json(), first.headers["x-a"]) == (200, {"ok": True}, "1")
    assert (raw.status_code, raw.content) == (502, b"<html>")
    assert missing.status_code == 404
    assert [r.path for r in hostile_server.requests] == ["/orders/abc", "/raw", "/nothing"]
    assert hostile_server.seen("GET", r"/orders/.*")[0].query == {"limit": ["3"]}
