"""The core layers never pull in the UI or the sandbox's server stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("textual", "fastapi", "uvicorn", "starlette", "tote_track.tui", "tote_track.sandbox")


@pytest.mark.parametrize("module", ["tote_track.api", "tote_track.tracking", "tote_track.cli"])
def test_core_modules_do_not_import_ui_or_server(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "import pkgutil, tote_track.api, tote_track.tracking\n"
        "for pkg in (tote_track.api, tote_track.tracking):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        f"or m.startswith(('tote_track.tui', 'tote_track.sandbox')))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_interfaces_never_import_the_sandbox() -> None:
    """Only ``cli`` and ``demo`` start a sandbox: no tracker or board module imports it."""
    code = (
        "import importlib, pkgutil, sys, tote_track.tui\n"
        "for m in pkgutil.walk_packages(tote_track.tui.__path__, 'tote_track.tui.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('tote_track.sandbox'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_trackers_first_frame_imports_no_dialog_console_or_sandbox() -> None:
    """Start-up pays only for what the first frame shows: the dialogs and the QA console
    are imported when first opened."""
    code = (
        "import sys, tote_track.tui.tracker.app\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith(("
        "'tote_track.tui.tracker.dialogs', 'tote_track.tui.tracker.qa_console', "
        "'tote_track.sandbox', 'fastapi', 'uvicorn')))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_trackers_first_frame_needs_neither_the_client_nor_the_models() -> None:
    """httpx and pydantic (about 200 ms of imports) load after the first frame is drawn,
    when the first fetch needs them; the frame comes from the order id alone."""
    code = (
        "import sys, tote_track.cli, tote_track.tui.tracker.app\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ("
        "'httpx', 'httpcore', 'pydantic') or m in ("
        "'tote_track.api.client', 'tote_track.api.models'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
