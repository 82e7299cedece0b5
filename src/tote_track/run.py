"""How every command ends: :func:`run_command` runs a command's runner and turns what it
raised into an exit code (``tote_track.exit_codes``) and one line on stderr, once for all.

The runners live beside what they run (``headless.run_watch``, ``tui.tracker.run``,
``demo.run_demo_command``...) and return an exit code; when they cannot go on they raise:

* :class:`CommandFailed`: a sentence of ours and the exit code it ends with;
* ``InvalidConfigError`` (a base URL, a CA bundle refused): exit 2;
* any other ``ToteError`` that did not recover: exit 4;
* ``MemoryError`` (an answer too large to hold): exit 4, as a sentence;
* ``KeyboardInterrupt`` (Ctrl-C): exit 130, saying so in one line (as every non-zero
  exit says why);
* ``BrokenPipeError`` (the reader of stdout went away, ``| head``): exit 141, quietly.

Errors go to stderr in one style, ``Error: <sentence>``, with the server's (or the user's)
words made printable: they cannot act on the terminal.

Imports nothing heavy: ``tote-track --help`` loads it.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from tote_track import exit_codes

__all__ = [
    "WEB_DRIVER",
    "CommandFailed",
    "not_a_terminal",
    "pause_collection",
    "require_terminal",
    "resume_collection",
    "run_command",
    "say",
    "say_error",
    "served_to_browser",
    "stdin_is_terminal",
    "stdout_is_terminal",
]


class CommandFailed(Exception):
    """A command cannot go on: one sentence (and lines below it, e.g. the candidates of an
    ambiguous code) and the exit code it ends with."""

    def __init__(self, message: str, exit_code: int, lines: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.lines = tuple(lines)


def _printable(text: str) -> str:
    from tote_track.api.errors import printable

    return printable(text)


def say(line: str, *, file: TextIO | None = None) -> None:
    """A note on stderr (what the command does instead, a wait): printable, flushed."""
    print(_printable(line), file=file or sys.stderr, flush=True)


def say_error(message: str, lines: Sequence[str] = (), *, file: TextIO | None = None) -> None:
    """``Error: <message>`` (and ``lines`` below it) on stderr: every command's one style."""
    say(f"Error: {message}", file=file)
    for line in lines:
        say(line, file=file)


def stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""The driver textual-serve names (``TEXTUAL_DRIVER``) in the processes it starts."""


def served_to_browser() -> bool:
    """True in a session's process that textual-serve started (its screen is a browser tab,
    not a terminal)."""
    return os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER


def not_a_terminal() -> str | None:
    """Which of stdout and stdin is not a terminal (a screen needs both: without keys it
    could never be quit), or None when both are, or when textual-serve started this process
    (its screen is a browser tab)."""
    if served_to_browser():
        return None
    if not stdout_is_terminal():
        return "stdout"
    if not stdin_is_terminal():
        return "stdin"
    return None


def require_terminal(what: str) -> None:
    """Raise :class:`CommandFailed` (exit 2) unless ``what`` (a screen) has a terminal to
    draw on and take keys from (or a browser tab textual-serve opened)."""
    not_terminal = not_a_terminal()
    if not_terminal:
        raise CommandFailed(
            f"{what} needs a terminal ({not_terminal} is not one).", exit_codes.USAGE
        )


def _stdout_closed() -> int:
    """The reader of stdout went away (``| head``): stop quietly, as a killed pipe would."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass
    return exit_codes.PIPE_CLOSED


def pause_collection() -> None:
    """Pause Python's cyclic garbage collector while a screen starts.

    Start-up makes objects that live as long as the program (modules, classes, the screen's
    widgets) and almost no garbage; the collector's passes over them cost about 13 ms of
    CPU before the tracker's first frame (7% of it). :func:`resume_collection` ends the
    pause; :func:`run_command` ends it at the latest.
    """
    global _collection_paused
    if gc.isenabled():
        gc.disable()
        _collection_paused = True


def resume_collection() -> None:
    """End :func:`pause_collection` (nothing if there was none): what start-up made is
    kept out of later passes (``gc.freeze``), and the collector runs again."""
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.enable()


_collection_paused = False


def run_command(runner: Callable[[], int]) -> int:
    """``runner()``'s exit code, or the one its failure maps to (see the module's list)."""
    from tote_track.api.errors import InvalidConfigError, ToteError

    try:
        return runner()
    except CommandFailed as failure:
        say_error(failure.message, failure.lines)
        return failure.exit_code
    except InvalidConfigError as error:
        say_error(str(error))
        return exit_codes.USAGE
    except ToteError as error:
        say_error(str(error))
        return exit_codes.API_ERROR
    except MemoryError:
        say_error("the answer from the API is too large to hold in memory.")
        return exit_codes.API_ERROR
    except KeyboardInterrupt:
        say("Interrupted (Ctrl-C).")
        return exit_codes.INTERRUPTED
    except BrokenPipeError:
        return _stdout_closed()
    finally:
        resume_collection()
