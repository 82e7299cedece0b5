"""run_command: the one place a runner's failure becomes an exit code and one stderr line."""

from __future__ import annotations

import ast
import gc
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tote_track import cli, exit_codes
from tote_track.api.errors import ApiConnectionError, InvalidConfigError, NotFoundError
from tote_track.run import CommandFailed, pause_collection, resume_collection, run_command

SRC = Path(__file__).resolve().parents[1] / "src" / "tote_track"


def raising(error: BaseException) -> Callable[[], int]:
    def runner() -> int:
        raise error

    return runner


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (CommandFailed("no such \x1b[31mthing", 2, ["  a", "  b"]), 2, "Error: no such "),
        (InvalidConfigError("The CA bundle is a directory"), exit_codes.USAGE, "Error: The CA"),
        (NotFoundError("Order not found", status_code=404), exit_codes.API_ERROR, "Error: Order"),
        (ApiConnectionError("Could not reach the API"), exit_codes.API_ERROR, "Error: Could"),
        (MemoryError(), exit_codes.API_ERROR, "Error: the answer from the API is too large"),
        (KeyboardInterrupt(), exit_codes.INTERRUPTED, "Interrupted (Ctrl-C)."),
    ],
)
def test_each_failure_maps_to_its_exit_code_and_one_error_line(
    error: BaseException, code: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_command(raising(error)) == code
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(said) if said else err == ""
    assert "\x1b" not in err  # words from outside cannot act on the terminal
    if isinstance(error, CommandFailed):
        assert err.splitlines()[1:] == ["  a", "  b"]


def test_a_closed_stdout_exits_141_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # no file descriptor to redirect
    assert run_command(raising(BrokenPipeError())) == exit_codes.PIPE_CLOSED
    assert capsys.readouterr().err == ""


def test_a_runner_s_own_code_passes_through() -> None:
    assert run_command(lambda: exit_codes.GAVE_UP) == exit_codes.GAVE_UP


def test_options_before_the_order_go_to_the_default_command() -> None:
    """``tote-track --base-url URL --token T ORDER`` is ``track``: the group keeps no list of
    the options that take a value."""
    result = CliRunner().invoke(
        cli.main, ["--base-url", "http://orders.example.com/v1", "--token", "s3cret", "27C343"]
    )
    assert result.exit_code == exit_codes.USAGE
    assert "Refusing to send the API token" in result.output
    assert "s3cret" not in result.output


def test_the_order_s_help_is_track_s_help_and_no_arguments_is_the_overview() -> None:
    track = CliRunner().invoke(cli.main, ["27C343", "--help"])
    assert track.exit_code == 0
    assert "Track one order live" in track.output
    overview = CliRunner().invoke(cli.main, [])
    assert "tote-track watch ORDER" in overview.output


def _exit_literals(tree: ast.AST) -> list[str]:
    """``sys.exit(<number>)``, ``return <number>`` from a ``run*``/``serve*`` function, and
    ``EXIT_*`` names: exit statuses that do not come from exit_codes."""
    found = []
    for node in ast.walk(tree):
        is_exit = isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.exit", "exit")
        if is_exit and node.args and isinstance(node.args[0], ast.Constant):
            found.append(ast.unparse(node))
        if isinstance(node, ast.Name) and node.id.startswith("EXIT_"):
            found.append(node.id)
        if isinstance(node, ast.FunctionDef) and node.name.startswith(("run", "serve")):
            for inner in ast.walk(node):
                value = inner.value if isinstance(inner, ast.Return) else None
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    found.append(f"{node.name}: {ast.unparse(inner)}")
    return sorted(found)


def test_every_exit_status_comes_from_exit_codes() -> None:
    found = {
        str(path.relative_to(SRC)): literals
        for path in SRC.rglob("*.py")
        if path.name != "exit_codes.py"
        and (literals := _exit_literals(ast.parse(path.read_text())))
    }
    assert found == {}


def test_the_check_sees_a_literal() -> None:
    code = "def run_x():\n    return 2\nsys.exit(130)\nEXIT_OK = 0\n"
    assert _exit_literals(ast.parse(code)) == ["EXIT_OK", "run_x: return 2", "sys.exit(130)"]


@pytest.mark.parametrize("error", [None, KeyboardInterrupt(), InvalidConfigError("bad")])
def test_a_paused_collector_runs_again_however_the_command_ends(
    error: BaseException | None,
) -> None:
    """``track`` pauses the cyclic collector while its screen starts; however its runner
    ends, ``run_command`` leaves the collector running."""

    def runner() -> int:
        pause_collection()
        assert not gc.isenabled()
        if error is not None:
            raise error
        return exit_codes.OK

    try:
        run_command(runner)
        assert gc.isenabled()
    finally:
        gc.enable()


def test_resuming_keeps_what_start_up_made_out_of_later_passes() -> None:
    """Resuming freezes what exists (the modules, classes and widgets start-up made), so
    later passes skip it; without a pause, resuming does nothing."""
    frozen = gc.get_freeze_count()
    resume_collection()
    assert gc.get_freeze_count() == frozen  # no pause: nothing frozen
    pause_collection()
    kept = [object() for _ in range(10)]  # tracked containers made during start-up
    kept.append([kept])
    resume_collection()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + 1
    gc.unfreeze()
