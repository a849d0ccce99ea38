"""Docs stay in sync with the code; README keeps its two-command promise."""

from __future__ import annotations

import re
from pathlib import Path

from junkan.model.schema import TABLES, render_markdown

ROOT = Path(__file__).parent.parent


def test_schema_doc_is_generated_from_the_code() -> None:
    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == render_markdown(), (
        "docs/schema.md is stale: run `python -m junkan.model.schema > docs/schema.md`"
    )
    for name in TABLES:
        assert f"## `{name}`" in render_markdown()


def test_readme_first_block_has_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```[a-z]*\n(.*?)```", text, re.S)
    assert block, "README.md has no code block"
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "junkan demo" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "sed -n 2p" in ci and "eval" in ci  # CI runs README's test command verbatim


def test_lint_finds_no_bugs() -> None:
    """pyflakes and bugbear rules (configured in pyproject.toml) over the package, tests and benchmarks."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    res = subprocess.run([ruff, "check", "src", "tests", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
