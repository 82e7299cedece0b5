"""The README's "The sandbox, by hand" recipe runs as pasted, against a real sandbox."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .test_persistence import start_sandbox

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### The sandbox, by hand"
DOCUMENTED_URL = "http://127.0.0.1:8787/v1/online-ordering"
ORDER_LINE = re.compile(r"^recipe-order=(\S+)$", re.MULTILINE)

# Every curl must succeed (an HTTP error fails it, with the body shown), and so must
# every other command: the recipe is run exactly as written, with this in front.
STRICT = """\
set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""


def recipe() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the section has no ```sh block"
    return match.group(1)


def test_the_recipe_names_the_order_it_creates_and_ends_by_clearing_faults() -> None:
    block = recipe()
    assert DOCUMENTED_URL in block
    assert "/ID/" not in block  # no placeholder to edit by hand
    assert re.search(r"^id=\$\(", block, re.MULTILINE)
    last = [line for line in block.splitlines() if line.strip()][-1]
    assert "-X DELETE" in last
    assert "/sandbox/faults" in last


def test_the_recipe_runs_as_pasted(tmp_path: Path) -> None:
    if shutil.which("curl") is None or shutil.which("bash") is None:
        pytest.skip("curl and bash are needed to run the README's recipe; neither is optional")
    server = start_sandbox("--orders", "3")
    try:
        script = STRICT + recipe().replace(DOCUMENTED_URL, server.base_url)
        script += 'printf "\\nrecipe-order=%s\\n" "$id"\n'
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, f"stdout={result.stdout!r}\nstderr={result.stderr!r}"
        found = ORDER_LINE.search(result.stdout)
        assert found is not None, result.stdout
        with server.client() as client:
            order = client.get(f"/orders/{found.group(1)}").json()
            faults = client.get("/sandbox/faults").json()
    finally:
        server.stop(signal.SIGTERM)
    assert order["status"] == "CANCELLED"
    assert [payment["status"] for payment in order["payments"]] == ["REFUNDED"]
    assert not any(faults.values()), faults
