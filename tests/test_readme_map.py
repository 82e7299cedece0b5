"""README's map of the folders ("Where things live") names every module of src/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "tote_track"


def the_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Where things live")
    return readme[start : readme.index("\n## ", start)]


def unnamed(section: str) -> list[str]:
    """The modules (and stylesheets) of src/ that the section does not name in backticks,
    by file name (``alerts.py``), module name (``alerts``) or path."""
    missing = []
    for path in sorted([*SRC.rglob("*.py"), *SRC.rglob("*.tcss")]):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        stem = path.stem if path.suffix == ".py" else path.name
        named = rf"`(?:[\w/]*/)?{re.escape(stem)}(?:\.py)?`"
        if not re.search(named, section):
            missing.append(str(path.relative_to(SRC)))
    return missing


def test_the_readme_map_names_every_module() -> None:
    assert unnamed(the_map()) == []


def test_the_check_sees_a_module_left_out() -> None:
    section = the_map().replace("tracking/recent.py`", "tracking/elsewhere.py`")
    assert unnamed(section) == ["tracking/recent.py"]
