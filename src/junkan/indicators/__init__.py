"""Bibliometric indicators written once in Ibis (DuckDB, PySpark): counting, citations, Top x%, impact,
collaboration, rankings and venues (METHODS.md §0, 3, 4, 5, 8).

Use :func:`run` with a name from :data:`REGISTRY`, or call the indicator functions directly on
:class:`StoreTables` with the shared options of :class:`Scope`.
"""

from __future__ import annotations

from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables
from junkan.indicators.registry import REGISTRY, IndicatorResult, IndicatorSpec, Option, run

__all__ = ["REGISTRY", "IndicatorResult", "IndicatorSpec", "Option", "Scope", "StoreTables", "run"]
