"""The tracker with no keyboard, no screen, or a ``kill`` (issue 14, point 5), as real
processes: stdin not a terminal, stdout not a terminal (``demo > file``), SIGTERM in a
real terminal (tmux)."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import shlex
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import pickup_order
from tote_track.api.client import ToteClient
from tote_track.sandbox.server import EmbeddedSandbox

TOTE_TRACK = Path(sys.executable).with_name("tote-track")
TIMEOUT = 60
PICKED_UP = ("payment_completed", "accept", "start_preparing", "ready", "picked_up")


@pytest.fixture(scope="module")
def live() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


def run_on_a_terminal(args: list[str], stdin: int) -> tuple[int, str, str]:
    """``args`` with stdout a real terminal (a pty) and ``stdin`` as given; a process that
    does not finish in time is a failure (it would spin there for ever)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color"}
    process = subprocess.Popen(
        args, stdin=stdin, stdout=follower, stderr=subprocess.PIPE, env=env, close_fds=True
    )
    os.close(follower)
    try:
        _, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"{shlex.join(args)} did not finish in {TIMEOUT} s with stdin not a terminal")
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.returncode, b"".join(chunks).decode(errors="replace"), err.decode()


def test_tracker_with_stdin_from_dev_null_prints_lines(live: EmbeddedSandbox) -> None:
    order_id = pickup_order(live, *PICKED_UP)
    args = [str(TOTE_TRACK), order_id, "--base-url", live.base_url, "--token", live.token]
    code, out, err = run_on_a_terminal(args, subprocess.DEVNULL)
    assert code == 0, err
    assert "stdin is not a terminal: printing one line per change" in err
    assert f"{order_id[:6].upper()} COMPLETED PAID FULFILLED · Picked up. Enjoy!" in out
    assert "\x1b[?1049h" not in out  # no alternate screen: no TUI was started


def test_tracker_with_stdin_from_a_pipe_prints_lines(live: EmbeddedSandbox) -> None:
    """``sleep 3 | tote-track ID``: a pipe that stays open and never sends a key."""
    order_id = pickup_order(live, *PICKED_UP)
    args = [str(TOTE_TRACK), order_id, "--base-url", live.base_url, "--token", live.token]
    reader, writer = os.pipe()
    try:
        code, out, err = run_on_a_terminal(args, reader)
    finally:
        os.close(reader)
        os.close(writer)
    assert code == 0, err
    assert "stdin is not a terminal" in err
    assert "Picked up. Enjoy!" in out


def test_demo_into_a_file_prints_the_demo_order_line_by_line(tmp_path: Path) -> None:
    out_file = tmp_path / "demo.txt"
    with out_file.open("w") as out:
        result = subprocess.run(
            [str(TOTE_TRACK), "demo", "--speed", "60"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
        )
    lines = out_file.read_text().splitlines()
    assert result.returncode == 0, result.stderr
    assert "stdout is not a terminal: printing one line per change of the demo order" in (
        result.stderr
    )
    assert len(lines) >= 3  # placed, ..., picked up
    assert lines[-1].endswith("COMPLETED PAID FULFILLED · Picked up. Enjoy!")
    assert "\x1b" not in out_file.read_text()


def test_a_manual_demo_without_a_terminal_says_it_needs_one() -> None:
    result = subprocess.run(
        [str(TOTE_TRACK), "demo", "--scenario", "manual"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert "needs a terminal (stdout is not one)" in result.stderr
    assert result.stdout == ""


# -- SIGTERM in a real terminal ------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout


def wait_for(what: str, found: object) -> None:
    end = time.monotonic() + TIMEOUT
    while not callable(found) or not found():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.tmux
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_sigterm_on_the_tracker_restores_the_terminal(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    name = f"tote-sigterm-test-{os.getpid()}"
    # The tracker replaces a small shell that wrote down its pid: that pid is the tracker's.
    tracker = shlex.join(
        [
            "sh",
            "-c",
            f'echo $$ > {shlex.quote(str(pid_file))}; exec "$0" demo --scenario manual',
            str(TOTE_TRACK),
        ]
    )
    tmux(
        "new-session", "-d", "-s", name, "-x", "100", "-y", "30",
        "env PS1='$ ' HISTFILE=/dev/null bash --norc --noprofile",
    )  # fmt: skip
    try:
        tmux("send-keys", "-t", name, f"clear; {tracker}; echo EXIT=$?", "Enter")

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", name)

        def flag(flag_name: str) -> str:
            return tmux("display-message", "-p", "-t", name, f"#{{{flag_name}}}").strip()

        wait_for("the tracker", lambda: "Sandbox API" in screen() and pid_file.exists())
        assert flag("alternate_on") == "1"
        assert flag("mouse_any_flag") == "1" or flag("mouse_button_flag") == "1"
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        wait_for("the shell again", lambda: "EXIT=" in screen())
        assert flag("alternate_on") == "0"
        assert flag("cursor_flag") == "1"
        assert flag("mouse_any_flag") == "0"
        assert flag("mouse_button_flag") == "0"
        assert flag("mouse_sgr_flag") == "0"
        assert "EXIT=0" in screen()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False, timeout=10)


# -- a terminal that goes away with no signal -----------------------------------------------

# The app's exit status, written by the runner only when main() ended the normal way (a
# watchdog's os._exit writes nothing).
RUNNER = """\
import sys
from tote_track.cli import main
sys.argv = ['tote-track', *sys.argv[2:]]
try:
    main()
except SystemExit as done:
    open(sys.argv_status, 'w').write(str(done.code))
    raise
"""


def _app_args(which: str, sandbox: EmbeddedSandbox) -> list[str]:
    order_id = pickup_order(sandbox, "payment_completed")
    if which == "tracker":
        return [order_id, "--base-url", sandbox.base_url, "--token", sandbox.token]
    location = asyncio.run(location_of(sandbox, order_id))
    return ["board", "--kiosk", "--location", location, "--base-url", sandbox.base_url,
            "--token", sandbox.token]  # fmt: skip


async def location_of(sandbox: EmbeddedSandbox, order_id: str) -> str:
    async with ToteClient(sandbox.config) as client:
        return (await client.get_order(order_id)).location_id


def _take_the_terminal() -> None:  # pragma: no cover - runs in the child
    """In the child, after setsid: the pty on stdin becomes its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.mark.parametrize("hangup", ["with SIGHUP", "without a signal"])
@pytest.mark.parametrize("which", ["tracker", "board"])
def test_a_terminal_that_goes_away_ends_the_app(
    which: str, hangup: str, live: EmbeddedSandbox, tmp_path: Path
) -> None:
    """The terminal closes: every write then fails with EIO. With SIGHUP (the pty is the
    app's controlling terminal: a window closed) or without (an SSH connection that drops,
    a wrapper that swallows SIGHUP), the app quits the normal way (exit status 0) and in
    time, instead of hanging on its output or living on as an orphan at full CPU."""
    status = tmp_path / "status"
    leader, follower = pty.openpty()
    runner = RUNNER.replace("sys.argv_status", repr(str(status)))
    # A new session. Without TIOCSCTTY the pty is not the app's controlling terminal, so
    # closing it sends no SIGHUP: the app can only tell by its failing writes.
    process = subprocess.Popen(
        [sys.executable, "-c", runner, "-", *_app_args(which, live)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color"},
        start_new_session=True,
        preexec_fn=_take_the_terminal if hangup == "with SIGHUP" else None,
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    try:
        end = time.monotonic() + TIMEOUT
        # The app is up once it has switched to the alternate screen and drawn something.
        while b"\x1b[?1049h" not in seen or len(seen) < 4000:
            if time.monotonic() > end:
                pytest.fail(f"the {which} did not start: {seen[-500:]!r}")
            try:
                seen += os.read(leader, 65536)
            except OSError:
                pytest.fail(f"the {which} ended before it was drawn: {seen[-500:]!r}")
        os.close(leader)  # the terminal goes away
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the {which} outlived its terminal by {TIMEOUT} s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert status.read_text() == "0"
