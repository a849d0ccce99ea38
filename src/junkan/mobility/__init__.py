"""Researcher mobility (METHODS.md §1, §2, Appendix D.3): trajectories, OECD classes and rates, bilateral flows,
impact by class, researchers abroad and the MPIDR reference layer — Ibis expressions that run on DuckDB and PySpark.

>>> from junkan.engine import connect                                  # doctest: +SKIP
>>> from junkan.indicators.base import StoreTables
>>> t = StoreTables.from_engine(connect("store"))
>>> traj = trajectories(t)                    # main economy per author-year
>>> r = rates(classes(traj), trajectories=traj)
>>> f = flows(traj, period="2006-2016")

See ``docs/mobility.md``; :data:`REGISTRY` / :func:`run` back ``junkan mobility NAME``.
"""

from __future__ import annotations

from junkan.mobility.abroad import abroad, career_spells
from junkan.mobility.classes import CLASSES, PERIOD_CLASSES, classes, padded_population, rates
from junkan.mobility.flows import flows, pairs
from junkan.mobility.impact import impact_by_class
from junkan.mobility.network import BRIEFING_CLASSES, flow_matrix, flow_network, vosviewer_json, write_network
from junkan.mobility.population import select_authors, select_works
from junkan.mobility.reference import compare_rates, mpidr_flows, mpidr_rates
from junkan.mobility.registry import REGISTRY, run
from junkan.mobility.trajectories import trajectories

__all__ = [
    "BRIEFING_CLASSES",
    "CLASSES",
    "PERIOD_CLASSES",
    "REGISTRY",
    "abroad",
    "career_spells",
    "classes",
    "compare_rates",
    "flow_matrix",
    "flow_network",
    "flows",
    "impact_by_class",
    "mpidr_flows",
    "mpidr_rates",
    "padded_population",
    "pairs",
    "rates",
    "run",
    "select_authors",
    "select_works",
    "trajectories",
    "vosviewer_json",
    "write_network",
]
