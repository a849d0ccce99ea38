"""A simulated OpenAlex world with planted truth (``junkan simulate``).

The output has the exact layout and JSON schema of an OpenAlex snapshot (``data/works``, ``data/authors``,
``updated_date=`` partitions, ``manifest``), so it enters junkan only through the ordinary ingest, plus
ground truth (``truth/*.parquet``), cohort files (``cohorts/*.csv``) and ``simulation.json``. Everything is
labelled as simulated. See docs/simulation.md.
"""

from __future__ import annotations

from junkan.simulate.core import LABEL, SimulationResult, simulate, simulate_world
from junkan.simulate.params import DEFAULT_WORLD, INTL_TARGETS_2022, ProgramSpec, WorldParams

__all__ = [
    "DEFAULT_WORLD",
    "INTL_TARGETS_2022",
    "LABEL",
    "ProgramSpec",
    "SimulationResult",
    "WorldParams",
    "simulate",
    "simulate_world",
]
