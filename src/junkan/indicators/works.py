"""Work-level building blocks exposed as indicators (drill-down, audits): credits and citation scores."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter

__all__ = ["work_credits", "work_scores"]


def work_credits(t: StoreTables, **scope: Any) -> ir.Table:
    """Credit ``w_X(p)`` of every country for every document-set work (METHODS §0.4, Appendix D.1).

    Columns: ``work_id, year, country, weight``. ``country`` filters ``country``.
    """
    sc = Scope(**scope)
    w = sc.works(t).select("work_id", "publication_year")
    j = w.join(sc.weights(t, w), "work_id").rename(year="publication_year")
    return apply_country_filter(j.select("work_id", "year", "country", "weight"), sc.country)


def work_scores(t: StoreTables, *, pct: Any = 10, method: str = "cwts", **scope: Any) -> ir.Table:
    """Citations, NCS and Top-x% credit of every document-set work (METHODS §0.5, §0.6, §0.8, Appendix D.2).

    Columns: ``work_id, year, field_id, subfield_id, type, citations, in_set, ncs, top`` (``ncs``/``top`` null for
    works without a reference set). The ``country`` option is ignored (works, not countries).
    """
    sc = Scope(**scope)
    s = sc.scored(t, tops={"top": (pct, method)}, ncs=True)
    return s.select(
        "work_id", year="publication_year", field_id="field_id", subfield_id="subfield_id", type="type",
        citations="citations", in_set="in_set", ncs="ncs", top="top",
    )
