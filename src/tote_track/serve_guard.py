"""What ``--serve`` lets in: the rules, apart from the server that applies them.

textual-serve has no notion of origin, session count or access: anything that can reach
the port gets a board (and with it the API token's use). These rules make it safe by
default:

* **Same origin only.** A request whose ``Host`` is not one this server answers to (DNS
  rebinding), or whose ``Origin`` is another site, is refused (403), page and websocket.
* **An access key beyond loopback.** A random key, printed in the URL once (like Jupyter's
  token); the page keeps it in a cookie. ``--no-key`` opts out on a trusted network.
* **Bounded sessions.** At most ``--max-sessions`` boards at once (8 by default).
* **Bounded and well-formed input.** A client's terminal size is clamped to
  :data:`COLUMNS` x :data:`ROWS`; a message that is not what the page sends is ignored.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "COLUMNS",
    "DEFAULT_MAX_SESSIONS",
    "KEY_COOKIE",
    "ROWS",
    "ClientMessage",
    "Guard",
    "clamp_size",
    "new_key",
    "read_message",
]

COLUMNS = (20, 400)
"""The narrowest and widest terminal a client may ask for."""
ROWS = (10, 150)
"""The shortest and tallest."""
DEFAULT_MAX_SESSIONS = 8
KEY_COOKIE = "tote_track_key"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def clamp_size(width: object, height: object) -> tuple[int, int]:
    """A client's terminal size as numbers within :data:`COLUMNS` x :data:`ROWS` (anything
    that is not a whole number counts as the smallest)."""

    def clamp(value: object, bounds: tuple[int, int]) -> int:
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return low
        try:
            number = int(float(value))
        except (ValueError, OverflowError):
            return low
        return max(low, min(high, number))

    return clamp(width, COLUMNS), clamp(height, ROWS)


@dataclass(frozen=True, slots=True)
class ClientMessage:
    """One message of the page's websocket, checked: ``kind`` and its checked data."""

    kind: str
    text: str = ""
    size: tuple[int, int] = (0, 0)
    ping: str = ""


def read_message(raw: str) -> ClientMessage | None:
    """The page's message ``raw``, or None when it is not one the page sends (malformed
    JSON, another shape, an unknown kind, data of the wrong type): such a message is
    ignored, never an error."""
    try:
        envelope: Any = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        return None
    kind = envelope[0]
    data = envelope[1] if len(envelope) > 1 else None
    if kind == "stdin" and isinstance(data, str):
        return ClientMessage("stdin", text=data)
    if kind == "resize" and isinstance(data, dict):
        return ClientMessage("resize", size=clamp_size(data.get("width"), data.get("height")))
    if kind == "ping" and isinstance(data, str) and len(data) <= 64:
        return ClientMessage("ping", ping=data)
    if kind in ("blur", "focus"):
        return ClientMessage(kind)
    return None


def new_key() -> str:
    """A random access key (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_name(host_header: str) -> str:
    """The host of a ``Host`` header without its port (and an IPv6 one without brackets)."""
    parts = urlsplit(f"//{host_header}")
    try:
        return (parts.hostname or "").lower()
    except ValueError:
        return ""


@dataclass(frozen=True, slots=True)
class Guard:
    """The rules of one server listening on ``host``: ``key`` (None: no key needed)."""

    host: str
    key: str | None
    max_sessions: int = DEFAULT_MAX_SESSIONS

    @classmethod
    def for_address(
        cls, host: str, *, no_key: bool = False, max_sessions: int = DEFAULT_MAX_SESSIONS
    ) -> Guard:
        """Loopback needs no key; any other address does, unless ``no_key``."""
        key = None if no_key or _is_loopback(host) else new_key()
        return cls(host, key, max_sessions)

    @property
    def loopback(self) -> bool:
        return _is_loopback(self.host)

    def host_allowed(self, host_header: str | None) -> bool:
        """Whether a request naming ``host_header`` is for this server: on loopback only
        loopback names; otherwise an address, or this machine's own name (a name an
        attacker's DNS points here is refused)."""
        name = _host_name(host_header or "")
        if not name:
            return False
        if self.loopback:
            return _is_loopback(name)
        own = {socket.gethostname().lower(), socket.getfqdn().lower(), self.host.lower()}
        return _is_ip(name) or name in own or name in LOOPBACK_NAMES

    def origin_allowed(self, origin: str | None, scheme: str, host_header: str | None) -> bool:
        """No ``Origin`` (not a browser's page), or exactly this server's own."""
        if origin is None:
            return True
        return origin.lower() == f"{scheme}://{host_header or ''}".lower()

    def key_allowed(self, given: str | None) -> bool:
        if self.key is None:
            return True
        return given is not None and hmac.compare_digest(given.encode(), self.key.encode())
