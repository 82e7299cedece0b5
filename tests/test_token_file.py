"""``--token-file FILE`` (``-``: standard input) on every command that takes a token.

A token on the command line shows in ``ps``; one read from a file (or a pipe) does not.
Every command with ``--token`` also takes ``--token-file``, its help says why, the file's
token is the one sent (and wins over ``TOTE_API_TOKEN``), both flags at once or a file
that cannot be a token is a usage error (exit 2) naming the file, never the token. The
sandbox takes it too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from tests.hostile_server import HostileServer, json_reply
from tests.sandbox.test_persistence import start_sandbox
from tote_track import cli
from tote_track.cli.params import TOKEN_FILE_LIMIT

TOKEN = "tok-FILE-SECRET-5f0c2e9a7b3d41c8"
EMPTY_PAGE = {"data": [], "pagination": {"has_more": False}}


def commands_with_a_token() -> list[click.Command]:
    return [
        command
        for command in cli.main.commands.values()
        if any(param.name == "token" for param in command.params)
    ]


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(cli.main, list(args), input=stdin, env=env)
    assert TOKEN not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n")
    return path


def test_every_command_that_takes_a_token_takes_a_token_file() -> None:
    commands = commands_with_a_token()
    assert {command.name for command in commands} >= {"track", "watch", "list", "board", "sandbox"}
    for command in commands:
        names = {param.name for param in command.params}
        assert "token_file" in names, command.name
        shown = invoke(command.name or "", "--help").stdout
        assert "--token-file FILE" in shown
        assert "(in `ps`)" in " ".join(shown.split()), command.name


@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_the_files_token_is_the_one_sent(
    hostile_server: HostileServer, token_file: Path, from_stdin: bool
) -> None:
    hostile_server.route("GET", "/orders", json_reply(EMPTY_PAGE))
    where = "-" if from_stdin else str(token_file)
    stdin = token_file.read_text() if from_stdin else None
    env = {"TOTE_API_TOKEN": "tok-FROM-THE-ENVIRONMENT-0000"}  # the file wins
    result = invoke(
        "list", "--base-url", hostile_server.base_url, "--token-file", where, stdin=stdin, env=env
    )
    assert result.exit_code == 0, result.stderr
    [seen] = hostile_server.seen("GET", "/orders")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"


def test_a_token_file_keeps_the_token_out_of_ps(token_file: Path) -> None:
    # An API that accepts the connection and never answers keeps the command running
    # while its command line (what `ps` shows) is read.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        base_url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1/online-ordering"
        argv = [sys.executable, "-m", "tote_track", "list", "--token-file", str(token_file)]
        env = {**os.environ, "TOTE_API_BASE_URL": base_url}
        env.pop("TOTE_API_TOKEN", None)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            shown = b""
            deadline = time.monotonic() + 30
            while b"--token-file" not in shown:  # until the new program is the one running
                assert proc.poll() is None, "the command ended before its line could be read"
                assert time.monotonic() < deadline, "the command line never showed the program"
                shown = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
                time.sleep(0.01)
        finally:
            proc.kill()
            out, err = proc.communicate(timeout=30)
    assert TOKEN.encode() not in shown
    assert str(token_file).encode() in shown
    assert TOKEN.encode() not in out + err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot be read (no such file or directory)"),
        ("", "holds no token (it is empty)"),
        (" \n\n", "holds no token (it is empty)"),
        ("x" * (TOKEN_FILE_LIMIT + 1), "is larger than 64 KiB: it is not a token"),
        (b"\xff\xfe\x00", "is not text"),
    ],
    ids=["missing", "empty", "blank", "huge", "binary"],
)
def test_a_file_that_cannot_hold_a_token_is_a_usage_error(
    tmp_path: Path, content: str | bytes | None, words: str
) -> None:
    path = tmp_path / "token"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = invoke("watch", "27C343", "--token-file", str(path))
    assert result.exit_code == 2
    assert f"Invalid value for '--token-file': '{path}' {words}." in result.stderr


def test_both_flags_at_once_is_a_usage_error(token_file: Path) -> None:
    result = invoke("list", "--token", "t0k", "--token-file", str(token_file))
    assert result.exit_code == 2
    assert "Give the token once: --token or --token-file." in result.stderr


def test_the_sandbox_takes_its_token_from_a_file(token_file: Path) -> None:
    sandbox = start_sandbox("--token-file", str(token_file))
    try:
        assert TOKEN not in sandbox.banner
        assert TOKEN.encode() not in Path(f"/proc/{sandbox.proc.pid}/cmdline").read_bytes()
        with httpx.Client(base_url=sandbox.base_url, timeout=10) as http:
            ours = http.post("/sandbox/orders", headers={"Authorization": f"Bearer {TOKEN}"})
            default = http.post("/sandbox/orders", headers={"Authorization": "Bearer sandbox"})
        assert ours.status_code == 201
        assert default.status_code == 401
    finally:
        sandbox.stop()
