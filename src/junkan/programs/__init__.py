"""Program evaluation (issue 12): which papers a funding or institutional program produced, and how
international and how highly cited they are against the national average and exact-matched non-program papers.

>>> from junkan.programs import evaluate                                   # doctest: +SKIP
>>> res = evaluate("my-store", "programs.yaml", country="JP", bootstrap=500, seed=0)
>>> res.table        # program × year (null = all years) × metric, with CIs
>>> res.write("out") # indicators.csv, papers.csv, partners.csv, provenance.json

Definitions are YAML (``load_programs``); the shipped examples are in ``junkan/data/programs/``
(``example_programs_path()``). See docs/programs.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from junkan.programs._definitions import (
    FunderSelector,
    InstitutionSelector,
    Program,
    Project,
    load_programs,
    parse_programs,
)
from junkan.programs._evaluate import CLUSTERS, DEFAULT_TEAM_BANDS, METRICS, ProgramsResult, evaluate

__all__ = [
    "CLUSTERS",
    "DEFAULT_TEAM_BANDS",
    "METRICS",
    "FunderSelector",
    "InstitutionSelector",
    "Program",
    "ProgramsResult",
    "Project",
    "evaluate",
    "example_programs_path",
    "load_programs",
    "parse_programs",
]


def example_programs_path() -> Path:
    """Path of the shipped, editable example definitions (programs of the MEXT briefing)."""
    return Path(str(resources.files("junkan") / "data" / "programs" / "jp_programs.yaml"))
