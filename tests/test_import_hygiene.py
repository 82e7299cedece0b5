"""The core layers never pull in the UI or the sandbox's server stack, and the tracker's
first frame imports only what it shows."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import pickup_order
from tote_track.sandbox.server import EmbeddedSandbox

FORBIDDEN = ("textual", "fastapi", "uvicorn", "starlette", "tote_track.tui", "tote_track.sandbox")


def loaded_after(imports: str, *, matching: str) -> list[str]:
    """The modules loaded in a fresh interpreter after running ``imports``, for which the
    expression ``matching`` (over ``m``, a module's name) is true."""
    code = f"import sys\n{imports}\nprint(','.join(sorted(m for m in sys.modules if {matching})))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [name for name in result.stdout.strip().split(",") if name]


@pytest.mark.parametrize(
    "module",
    [
        "tote_track.api",
        "tote_track.tracking",
        "tote_track.cli",
        "tote_track.run",
        "tote_track.headless",
        "tote_track.serve",
    ],
)
def test_core_modules_do_not_import_ui_or_server(module: str) -> None:
    imports = (
        "import importlib, pkgutil\n"
        f"importlib.import_module({module!r})\n"
        "import tote_track.api, tote_track.tracking\n"
        "for pkg in (tote_track.api, tote_track.tracking):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)"
    )
    matching = (
        f"m.split('.')[0] in {FORBIDDEN!r} "
        "or m.startswith(('tote_track.tui', 'tote_track.sandbox'))"
    )
    assert loaded_after(imports, matching=matching) == []


def test_the_interfaces_never_import_the_sandbox() -> None:
    """Only ``cli`` and ``demo`` start a sandbox: no tracker or board module imports it."""
    imports = (
        "import importlib, pkgutil, tote_track.tui\n"
        "for m in pkgutil.walk_packages(tote_track.tui.__path__, 'tote_track.tui.'):\n"
        "    importlib.import_module(m.name)"
    )
    assert loaded_after(imports, matching="m.startswith('tote_track.sandbox')") == []


def test_the_trackers_first_frame_imports_no_dialog_console_panel_or_sandbox() -> None:
    """Start-up pays only for what the first frame shows: the dialogs and the QA console
    are imported when first opened, the order's panels (and the rules behind the stepper
    and the alerts) with the first order."""
    matching = (
        "m.startswith(('tote_track.tui.tracker.dialogs', 'tote_track.tui.tracker.qa_console', "
        "'tote_track.tui.tracker.panels', 'tote_track.tracking.stepper', "
        "'tote_track.tracking.alerts', 'tote_track.sandbox', 'fastapi', 'uvicorn'))"
    )
    assert (
        loaded_after("import tote_track.cli, tote_track.tui.tracker.app", matching=matching) == []
    )


def test_the_trackers_first_frame_needs_neither_the_client_nor_the_models() -> None:
    """httpx and pydantic (about 150 ms of imports) load after the first frame is drawn: the
    frame comes from the order id alone. httpx loads first, for the first request; pydantic
    and the models load while that request is out."""
    matching = (
        "m.split('.')[0] in ('httpx', 'httpcore', 'pydantic') "
        "or m in ('tote_track.api.client', 'tote_track.api.models')"
    )
    imports = "import tote_track.cli, tote_track.tui.tracker.app"
    assert loaded_after(imports, matching=matching) == []
    # The check itself sees them once they are imported.
    assert "httpx" in loaded_after(imports + "\nimport tote_track.api.client", matching=matching)


def test_the_trust_loads_without_the_client_libraries() -> None:
    """The tracker starts loading the trusted CAs, and opening the API's connection, on a
    thread before httpx and pydantic are imported: the modules that do it need neither."""
    matching = "m.split('.')[0] in ('httpx', 'httpcore', 'pydantic')"
    assert loaded_after("import tote_track.api.trust", matching=matching) == []
    assert loaded_after("import tote_track.api.warm", matching=matching) == []


def test_a_request_leaves_before_pydantic_and_the_models_load() -> None:
    """The client's requests need httpx alone: pydantic and the models (about 75 ms of
    imports) load when a first answer is read, so a first request sent while a program
    starts (``api.early``) does not wait for them."""
    matching = "m.split('.')[0] == 'pydantic' or m == 'tote_track.api.models'"
    request = (
        "import asyncio, httpx\n"
        "from tote_track.api.client import ToteClient\n"
        "from tote_track.api.config import ClientConfig\n"
        "async def main():\n"
        "    answer = httpx.Response(200, json={'id': 'x'})\n"
        "    transport = httpx.MockTransport(lambda request: answer)\n"
        "    config = ClientConfig('http://127.0.0.1:9/v1')\n"
        "    async with ToteClient(config, transport=transport) as client:\n"
        "        return await client.get_order_reply('x')\n"
        "reply = asyncio.run(main())"
    )
    assert loaded_after(request, matching=matching) == []
    read = request + "\ntry:\n    ToteClient.read_order(reply)\nexcept Exception:\n    pass"
    assert "tote_track.api.models" in loaded_after(read, matching=matching)


def test_the_trackers_runner_loads_no_ui_client_or_models_by_itself() -> None:
    """``tote-track ORDER``'s runner (and the early call a short code's lookup uses) load
    neither Textual, nor httpx, nor pydantic and the models: each comes when it is needed
    (a code's lookup starts its thread before Textual is imported)."""
    matching = "m.split('.')[0] in ('textual', 'pydantic', 'httpx') or m == 'tote_track.api.models'"
    imports = "import tote_track.cli, tote_track.tui.tracker.run, tote_track.api.early"
    assert loaded_after(imports, matching=matching) == []


@pytest.fixture(scope="module")
def sandbox() -> Iterator[EmbeddedSandbox]:
    with EmbeddedSandbox() as running:
        yield running


def loaded_by_command(*args: str) -> list[str]:
    """The modules a ``tote-track`` command loaded by the time it exited (function-level
    imports included), run in a fresh interpreter without a terminal."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('MODULES=' + ','.join(sorted(sys.modules)), "
        "file=sys.stderr))\n"
        "from tote_track.cli import main\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("MODULES=")]
    return line.removeprefix("MODULES=").split(",")


@pytest.mark.parametrize(
    "command",
    [["watch"], ["watch", "--json"], [], ["list"], ["list", "--all", "--json"]],
    ids=["watch", "watch --json", "track in a pipe", "list", "list --all --json"],
)
def test_the_commands_without_a_screen_load_no_ui_and_no_server(
    sandbox: EmbeddedSandbox, command: list[str]
) -> None:
    """``watch``, ``list`` and ``tote-track ORDER`` in a pipe, run to their end: neither
    Textual nor the sandbox's server stack is loaded, at module level or inside a function."""
    api = ["--base-url", sandbox.base_url, "--token", sandbox.token]
    done = ("payment_completed", "accept", "start_preparing", "ready", "picked_up")
    order = [] if command[:1] == ["list"] else [pickup_order(sandbox, *done)]
    loaded = loaded_by_command(*command, *order, *api)
    assert "tote_track.headless" in loaded  # the check sees what the command ran
    # The tracker's runner (and its packages) decides there is no screen: nothing more.
    runner = {"tote_track.tui", "tote_track.tui.tracker", "tote_track.tui.tracker.run"}
    forbidden = [
        name
        for name in loaded
        if name.split(".")[0] in ("textual", "fastapi", "uvicorn", "starlette")
        or name.startswith("tote_track.sandbox")
        or (name.startswith("tote_track.tui") and name not in runner)
    ]
    assert forbidden == []
