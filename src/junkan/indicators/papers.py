"""Paper counts by country and year under any counting method (METHODS §0.4, §4.2 steps 3 and 5)."""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir

from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter, work_country_units

__all__ = ["papers"]


def papers(t: StoreTables, **scope: Any) -> ir.Table:
    """Papers ``P(X, y) = Σ_p w_X(p)`` with world totals and shares.

    Columns: ``country, year, p, n_works, n_assignable, share``.

    * ``n_works``: document-set works of the year (works without a country included, METHODS §0.3).
    * ``n_assignable``: works with ``C(p) ≠ ∅``; under a fractional method ``Σ_X P(X, y) = n_assignable``
      exactly (except ``author_literal``, whose weights sum to < 1 by design).
    * ``share = p / n_assignable`` **[DEFAULT]**: world share (§4.2.5); shares sum to 100 % under fractional
      counting and to more than 100 % under whole counting.
    """
    sc = Scope(**scope)
    w = sc.works(t)
    wts = sc.weights(t, w)
    j = w.select("work_id", "publication_year").join(wts, "work_id")
    out = j.group_by(["country", "publication_year"]).aggregate(p=j.weight.sum())
    n_works = w.group_by("publication_year").aggregate(n_works=w.work_id.count().cast("int64"))
    # works with C(p) ≠ ∅: those of the per-(work, country) table the weights share (materialised once)
    assignable = w.semi_join(t.cached(work_country_units(sc.units(t, w))).select("work_id"), "work_id")
    n_ass = assignable.group_by("publication_year").aggregate(n_assignable=assignable.work_id.count().cast("int64"))
    out = out.join(n_works, "publication_year").join(n_ass, "publication_year")
    out = out.mutate(share=out.p / out.n_assignable.cast("float64")).rename(year="publication_year")
    out = out.select("country", "year", "p", "n_works", "n_assignable", "share")
    return apply_country_filter(out, sc.country)
