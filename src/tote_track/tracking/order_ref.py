"""What a customer types to name an order: its id, its link, or its short code.

Customers have the short code (``27C343``: the id's first 6 characters, upper-cased, shown on
every screen and receipt) or a link to the order (``https://shop.example/orders/<id>``).
:func:`parse_order_ref` turns any of these into an :class:`OrderRef`; it does no I/O. A link
only gives the id: the order is always read from the configured API, never from the link's
host (the API token must never go to a host taken from pasted text).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from tote_track.api.errors import shorten

ECHO_LIMIT = 100
"""The most characters of what the user typed that a message quotes back."""

__all__ = [
    "MAX_ORDERS",
    "ORDER_ID_EXAMPLE",
    "SHORT_CODE_LENGTH",
    "OrderRef",
    "parse_order_ref",
    "parse_order_refs",
]

ORDER_ID_EXAMPLE = "f9a8b7c6-d5e4-3210-fedc-ba9876543210"
SHORT_CODE_LENGTH = 6
_SHORT_CODE = re.compile(rf"#?([0-9A-Fa-f]{{{SHORT_CODE_LENGTH}}})")


@dataclass(frozen=True, slots=True)
class OrderRef:
    """Either a full order id (canonical UUID text) or a short code (upper-case hex)."""

    order_id: str | None = None
    short_code: str | None = None


def _canonical_id(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def parse_order_ref(text: str) -> OrderRef:
    """The order named by ``text``: an id, a link with ``/orders/<id>`` in its path, or a code.

    Raises ValueError with one sentence for the customer when ``text`` is none of these.
    """
    value = text.strip()
    order_id = _canonical_id(value)
    if order_id is not None:
        return OrderRef(order_id=order_id)
    code = _SHORT_CODE.fullmatch(value)
    if code is not None:
        return OrderRef(short_code=code.group(1).upper())
    if "://" in value:
        parts = [unquote(part) for part in urlsplit(value).path.split("/")]
        for before, after in itertools.pairwise(parts):
            if before == "orders":
                order_id = _canonical_id(after)
                if order_id is not None:
                    return OrderRef(order_id=order_id)
        raise ValueError(
            f"{shorten(value, ECHO_LIMIT)!r} is not a link to an order: its path has no "
            f"/orders/<order id> (an order id looks like {ORDER_ID_EXAMPLE})."
        )
    raise ValueError(
        f"{shorten(value, ECHO_LIMIT)!r} is not an order: give the order's 6-character code (like "
        f"{ORDER_ID_EXAMPLE[:SHORT_CODE_LENGTH].upper()}), its id (like {ORDER_ID_EXAMPLE}) "
        "or its link."
    )


MAX_ORDERS = 20
"""The most orders one tracker or one ``watch`` follows."""


def parse_order_refs(texts: Sequence[str]) -> list[OrderRef]:
    """The orders ``texts`` name (ids, codes and links mixed), each once, in the order
    first given: an id and a link to it are one order, as are ``27c343`` and ``#27C343``.

    Raises ValueError with one sentence when one of them names no order, when none is
    given, or when more than :data:`MAX_ORDERS` different orders are named.
    """
    refs = list(dict.fromkeys(parse_order_ref(text) for text in texts))
    if not refs:
        raise ValueError("Name at least one order: its code, its id or its link.")
    if len(refs) > MAX_ORDERS:
        raise ValueError(
            f"{len(refs)} orders named; at most {MAX_ORDERS} can be followed at once "
            "(start another tote-track for the rest)."
        )
    return refs
