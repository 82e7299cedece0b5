"""Invisible characters are pictured and the token is scrubbed in every disguise.

``printable`` shows every character a terminal would not show as itself (controls, bidi
embeddings, overrides and isolates, zero-width characters, every Unicode format character,
line and paragraph separators, lone surrogates) as a visible one; ``printable_json`` writes
them as escapes; ``redact`` (through ``server_text``, the one place the token is scrubbed)
finds the token raw, URL-encoded, base64'd in either alphabet at any alignment, and split
by invisible characters.
"""

from __future__ import annotations

import base64
import json
import sys
import unicodedata

import pytest

from tests.hostile_server import INVISIBLE, disguised_tokens, invisible_characters, leaks
from tote_track.api.errors import (
    NO_PICTURE,
    REDACTED,
    SECRET_MIN_LENGTH,
    printable,
    printable_json,
    redact,
    server_text,
)

TOKEN = "tok-HOSTILE-SECRET-0123456789"


def test_every_format_character_of_this_pythons_unicode_is_pictured() -> None:
    format_characters = "".join(
        chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"
    )
    assert len(format_characters) > 150  # the test can fail: there are many
    shown = printable(format_characters)
    assert set(shown) == {NO_PICTURE}
    assert len(shown) == len(format_characters)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("CONFIRMED\u202e PAID", "CONFIRMED\ufffd PAID"),
        ("a\u2066b\u2069c", "a\ufffdb\ufffdc"),
        ("\ufeffSub\u200b", "\ufffdSub\ufffd"),
        ("line\u2028para\u2029", "line\ufffdpara\ufffd"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("\x1b[2J\x9b", "␛[2J\ufffd"),
        ("Crème brûlée · 寿司 · 🍣", "Crème brûlée · 寿司 · 🍣"),
    ],
)
def test_printable_pictures_bidi_zero_width_and_separators(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert invisible_characters(printable(text)) == []
    assert printable(text).encode()  # a lone surrogate would not encode


def test_printable_json_keeps_the_exact_text_for_a_reader_and_nothing_raw() -> None:
    value = {"name": f"Sub{INVISIBLE}\x85\ud800!", "other": "Crème\n"}
    text = printable_json(json.dumps(value, indent=2, ensure_ascii=False))
    assert invisible_characters(text) == []
    assert "Crème" in text  # not every non-ASCII character is escaped
    assert json.loads(text) == value


@pytest.mark.parametrize("form", sorted(disguised_tokens(TOKEN)))
def test_every_disguise_of_the_token_is_redacted(form: str) -> None:
    disguised = disguised_tokens(TOKEN)[form]
    assert leaks(f"Order {disguised} not found", TOKEN), "the scan can fail"
    said = server_text(f"Order {disguised} not found.", TOKEN)
    assert leaks(said, TOKEN) == []
    assert REDACTED in said
    assert said.startswith("Order ")
    assert said.endswith(" not found.")


def test_a_token_inside_longer_base64_is_redacted_with_the_characters_it_shares() -> None:
    for prefix in ("", "a", "ab", "Authorization: Basic user:"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            blob = encode(f"{prefix}{TOKEN} and more".encode()).decode()
            assert leaks(redact(blob, TOKEN), TOKEN) == []


def test_text_without_the_token_keeps_its_invisible_characters_to_be_pictured() -> None:
    text = f"No\u202e such order{INVISIBLE}"
    assert redact(text, TOKEN) == text
    assert server_text(text, TOKEN) == printable(text)


def test_a_short_token_and_no_token_are_left_alone() -> None:
    short = "s3cret"
    assert len(short) < SECRET_MIN_LENGTH
    assert redact(f"x {short} y", short) == f"x {short} y"
    assert redact(f"x {TOKEN} y", None) == f"x {TOKEN} y"


def test_the_token_is_redacted_before_the_text_is_cut() -> None:
    said = server_text("x" * 190 + "\u200b".join(TOKEN), TOKEN)
    assert len(said) <= 200
    assert leaks(said, TOKEN) == []
    assert TOKEN[:5] not in said


def test_megabytes_of_server_text_are_scrubbed_and_cut() -> None:
    huge = "\u200b" * (4 * 1024 * 1024) + TOKEN + "x" * (4 * 1024 * 1024)
    said = server_text(huge, TOKEN)
    assert len(said) == 200
    assert leaks(said, TOKEN) == []
