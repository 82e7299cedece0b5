"""A hostile API on a loopback socket: it answers whatever a test tells it to.

The sandbox is faithful; this server is not. Tests route a method and a path pattern to an
answer (a status, a JSON body or raw bytes, headers) or to a function of the request, and
read back every request it saw. It listens on 127.0.0.1 only, one thread per connection.

    with HostileServer() as server:
        server.route("GET", r"/orders/[^/]+", json_reply(order))
        ... ClientConfig(server.base_url, "sandbox") ...
        assert len(server.requests) == 1
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

API_PREFIX = "/v1/online-ordering"


@dataclass(frozen=True)
class Seen:
    """One request the server received (the path is without the API prefix)."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Seen], Answer]


def json_reply(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Handler:
    """Always the same JSON answer."""
    body = json.dumps(payload).encode()
    answer = Answer(status, body, {"Content-Type": "application/json", **(headers or {})})
    return lambda _: answer


def error_reply(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Handler:
    """An error in the API's envelope."""
    return json_reply({"error": {"code": code, "message": message}}, status, headers)


def order_summary(guide_order_json: dict[str, Any], n: int = 0, **changes: Any) -> dict[str, Any]:
    """The guide's order as a list row (no items, no payments), its id made the ``n``-th."""
    data = copy.deepcopy(guide_order_json)
    del data["items"], data["payments"]
    data["id"] = f"{n:08x}" + data["id"][8:]
    data.update(changes)
    return data


def endless_pages(rows: list[dict[str, Any]]) -> Handler:
    """Every page says more follow, each with a cursor never sent before."""
    cursors = count()

    def answer(seen: Seen) -> Answer:
        page = {"data": rows, "pagination": {"has_more": True, "next_cursor": f"c{next(cursors)}"}}
        return json_reply(page)(seen)

    return answer


class HostileServer:
    """A programmable HTTP/1.1 server on ``127.0.0.1`` (a free port)."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, Nagle's algorithm and
            # the client's delayed ACK add 40 ms to every keep-alive request.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                path = parts.path.removeprefix(API_PREFIX)
                seen = Seen(
                    self.command,
                    path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with server._lock:
                    server.requests.append(seen)
                answer = server._answer(seen)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` requests whose path (without the API prefix) fully matches
        ``pattern`` with ``handler``; the latest route for a request wins."""
        with self._lock:
            self._routes.insert(0, (method.upper(), re.compile(pattern), handler))

    def seen(self, method: str | None = None, pattern: str | None = None) -> list[Seen]:
        """The requests received, optionally only those of ``method`` matching ``pattern``."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (pattern is None or re.fullmatch(pattern, r.path))
            ]

    def _answer(self, seen: Seen) -> Answer:
        with self._lock:
            routes = list(self._routes)
        for method, pattern, handler in routes:
            if method == seen.method and pattern.fullmatch(seen.path):
                return handler(seen)
        return Answer(
            404,
            json.dumps({"error": {"code": "not_found", "message": "No route."}}).encode(),
            {"Content-Type": "application/json"},
        )

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- invisible characters, the token in disguise, oversized answers ----------------------------

INVISIBLE = (
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\u200b\u200c\u200d\u200e\u200f"  # zero-width space, joiners, marks
    "\u2028\u2029\ufeff\u00ad\u2060\U000e0041"  # separators, BOM, soft hyphen, word joiner, tag
)
"""One of each kind of character a terminal does not show as itself (besides controls)."""


def disguised_tokens(token: str) -> dict[str, str]:
    """The token as a hostile server's message might echo it, by name: base64 in either
    alphabet, padded or not, at each alignment inside a longer base64 text; URL-encoded
    (some characters, every character, lower-case hex); split by invisible characters."""
    forms: dict[str, str] = {}
    for prefix in ("", "x", "xy"):
        for alphabet, encode in (("std", base64.b64encode), ("url", base64.urlsafe_b64encode)):
            encoded = encode(f"{prefix}{token}".encode()).decode()
            forms[f"base64-{alphabet}-{len(prefix)}"] = encoded
            forms[f"base64-{alphabet}-{len(prefix)}-unpadded"] = encoded.rstrip("=")
    forms["basic-header"] = "Basic " + base64.b64encode(f"user:{token}".encode()).decode()
    forms["url-encoded"] = quote(f"Bearer {token}", safe="")
    forms["url-encoded-all"] = "".join(f"%{byte:02X}" for byte in token.encode())
    forms["url-encoded-lower"] = "".join(f"%{byte:02x}" for byte in token.encode())
    forms["zero-width-split"] = "\u200b".join(token)
    forms["bidi-split"] = token[:6] + "\u202e\u2066" + token[6:]
    forms["bom-and-nul-split"] = token[:4] + "\ufeff" + token[4:9] + "\x00" + token[9:]
    return forms


def leaks(text: str, token: str) -> list[str]:
    """Which forms of ``token`` ``text`` shows: raw, base64 (the characters only the token's
    bits decide, at any alignment), URL-encoded; in the text as it is and with every
    invisible character and picture of one taken out (a token split by them still reads)."""
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + token.encode()).decode()
            cores.add(encoded[-(-offset * 4 // 3) + 1 : -4])
    forms = {token, quote(token, safe=""), *cores}
    pictures = re.compile("[\x00-\x1f\x7f-\x9f\u2400-\u2426\ufffd" + INVISIBLE + "]")
    seen = (text, pictures.sub("", text))
    decoded = unquote(seen[1])
    return sorted(form for form in forms if any(form in t for t in (*seen, decoded)))


def invisible_characters(text: str) -> list[str]:
    """The characters of ``text`` a terminal would not show as themselves, but line breaks:
    controls, format characters (category Cf), separators, surrogates."""
    return [
        c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]


def oversized_order(
    order: dict[str, Any], *, name_chars: int = 0, item_count: int = 0
) -> dict[str, Any]:
    """``order`` with a first item named by ``name_chars`` characters, or ``item_count``
    copies of its first item (distinct ids)."""
    data = copy.deepcopy(order)
    first = data["items"][0]
    if name_chars:
        first["name"] = ("Sub " * (name_chars // 4 + 1))[:name_chars]
    if item_count:
        data["items"] = [dict(first, id=f"item-{n}") for n in range(item_count)]
    return data


def fat_endless_pages(row: dict[str, Any], *, per_page: int = 100, fat: int = 60_000) -> Handler:
    """Pages of ``per_page`` copies of ``row``, each with an unknown field of ``fat``
    characters, every one saying more follow (a new cursor each time). The rows are encoded
    once: the server keeps up with a client reading megabytes a second."""
    rows = [dict(row, id=f"{n:08x}{row['id'][8:]}", padding="p" * fat) for n in range(per_page)]
    head = b'{"data": ' + json.dumps(rows).encode() + b', "pagination": {"has_more": true, '
    cursors = count()

    def answer(_: Seen) -> Answer:
        body = head + f'"next_cursor": "c{next(cursors)}"}}}}'.encode()
        return Answer(200, body, {"Content-Type": "application/json"})

    return answer
