"""``--serve``'s rules: same origin only, a key beyond loopback, bounded sizes and input."""

from __future__ import annotations

import pytest

from tote_track.serve_guard import COLUMNS, ROWS, Guard, clamp_size, read_message


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (20000, 20000, (COLUMNS[1], ROWS[1])),
        (-5, -5, (COLUMNS[0], ROWS[0])),
        ("120", 40.7, (120, 40)),
        (None, "tall", (COLUMNS[0], ROWS[0])),
        (True, float("inf"), (COLUMNS[0], ROWS[0])),
        (80, 24, (80, 24)),
    ],
)
def test_a_clients_size_is_clamped(
    width: object, height: object, expected: tuple[int, int]
) -> None:
    assert clamp_size(width, height) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "{}",
        "[]",
        "[1, 2]",
        '["stdin", 5]',
        '["resize", [1, 2]]',
        '["ping", {"a": 1}]',
        '["explode"]',
        "[" * 100_000,
    ],
)
def test_malformed_messages_are_ignored(raw: str) -> None:
    assert read_message(raw) is None


def test_the_pages_messages_are_read() -> None:
    resize = read_message('["resize", {"width": 20000, "height": 20000}]')
    assert resize is not None
    assert resize.size == (400, 150)
    stdin = read_message('["stdin", "q"]')
    assert stdin is not None
    assert stdin.text == "q"
    ping = read_message('["ping", "123"]')
    assert ping is not None
    assert ping.ping == "123"


def test_loopback_needs_no_key_and_answers_only_to_loopback_names() -> None:
    guard = Guard.for_address("127.0.0.1")
    assert guard.key is None
    assert guard.key_allowed(None)
    assert guard.host_allowed("127.0.0.1:8080")
    assert guard.host_allowed("localhost:8080")
    assert not guard.host_allowed("evil.example:8080")  # DNS rebinding
    assert not guard.host_allowed(None)


def test_a_foreign_origin_is_refused() -> None:
    guard = Guard.for_address("127.0.0.1")
    assert guard.origin_allowed("http://127.0.0.1:8080", "http", "127.0.0.1:8080")
    assert guard.origin_allowed(None, "http", "127.0.0.1:8080")
    assert not guard.origin_allowed("http://evil.example", "http", "127.0.0.1:8080")
    assert not guard.origin_allowed("null", "http", "127.0.0.1:8080")


def test_beyond_loopback_a_random_key_is_needed_unless_no_key() -> None:
    guard = Guard.for_address("0.0.0.0")
    assert guard.key is not None
    assert len(guard.key) >= 20
    assert guard.key != Guard.for_address("0.0.0.0").key
    assert not guard.key_allowed(None)
    assert not guard.key_allowed("wrong")
    assert guard.key_allowed(guard.key)
    assert guard.host_allowed("192.168.1.5:8080")
    assert not guard.host_allowed("evil.example:8080")
    assert Guard.for_address("0.0.0.0", no_key=True).key is None
