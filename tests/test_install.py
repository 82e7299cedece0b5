"""A newcomer's install: a clean clone, installed as README's Quickstart says, runs
``tote-track`` by name from the ``PATH``.

With pipx when it is installed (``pipx install .``), else ``pip install .`` into a fresh
virtualenv. It needs the package index pip is configured with (a minute or so).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="not a git checkout"),
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def test_the_quickstart_says_how_to_get_tote_track_on_the_path() -> None:
    quickstart = README.read_text(encoding="utf-8").split("## What it looks like")[0]
    for said in (
        "make sandbox",
        "source .venv/bin/activate",
        "pipx install .",
        "uv tool install .",
        "pip install .",
    ):
        assert said in quickstart


def _install(clone: Path, home: Path) -> Path:
    """Install the clone as README says; the directory holding the ``tote-track`` script."""
    pipx = shutil.which("pipx")
    if pipx is not None:
        bin_dir = home / "bin"
        env = {**os.environ, "PIPX_HOME": str(home / "pipx"), "PIPX_BIN_DIR": str(bin_dir)}
        subprocess.run([pipx, "install", "."], cwd=clone, env=env, check=True, timeout=600)
        return bin_dir
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "."],
        cwd=clone,
        check=True,
        timeout=600,
    )
    return venv / "bin"


def test_a_clean_clone_installs_and_runs_by_name(tmp_path: Path) -> None:
    clone = tmp_path / "tote-track"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", ROOT.as_uri(), str(clone)],
        check=True,
        timeout=120,
    )
    bin_dir = _install(clone, tmp_path / "home")
    assert (bin_dir / "tote-track").exists()
    # By name, from the PATH, outside the checkout and without this test's venv.
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = path
    for args in (["--help"], ["sandbox", "--help"], ["watch", "--help"]):
        done = subprocess.run(
            ["tote-track", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Usage: tote-track" in done.stdout
