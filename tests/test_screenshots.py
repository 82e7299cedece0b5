"""The README's screenshots show the current UI: regenerating them changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCREENSHOTS = Path(__file__).parent.parent / "screenshots"


def test_committed_screenshots_match_the_current_ui(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCREENSHOTS / "generate.py"), "--svg-only", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert fresh == sorted(p.name for p in SCREENSHOTS.glob("*.svg"))
    assert len(fresh) == 12
    stale = [
        name for name in fresh if (tmp_path / name).read_text() != (SCREENSHOTS / name).read_text()
    ]
    assert not stale, f"run `make screenshots` and look at the PNGs: {stale} changed"
