"""No function body in src/ is over :data:`MAX_BODY_LINES` lines (docstring included)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "tote_track"
MAX_BODY_LINES = 70


def long_functions(source: str, *, limit: int = MAX_BODY_LINES) -> list[str]:
    """``name:line (N lines)`` of every function (nested ones too) whose body, from its
    first statement to its last line, is over ``limit`` lines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            lines = end - node.body[0].lineno + 1
            if lines > limit:
                found.append(f"{node.name}:{node.lineno} ({lines} lines)")
    return found


def test_no_function_in_src_is_over_70_lines() -> None:
    found = {
        str(path.relative_to(SRC)): functions
        for path in sorted(SRC.rglob("*.py"))
        if (functions := long_functions(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_check_counts_a_body_from_its_first_statement() -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(71))
    source = f"def long(\n    a: int,\n) -> None:\n{body}\n\ndef short() -> None:\n    pass\n"
    assert long_functions(source) == ["long:1 (71 lines)"]
    nested = "class K:\n    async def method(self) -> None:\n" + body.replace("    ", "        ")
    assert long_functions(nested) == ["method:2 (71 lines)"]
