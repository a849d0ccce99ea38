"""International co-authorship share by country and year, whole counting (METHODS §5)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter
from junkan.model.countries import WORLD

__all__ = ["international_coauthorship"]


def international_coauthorship(t: StoreTables, **scope: Any) -> ir.Table:
    """Share of a country's papers that involve at least one other country.

    .. math::

        IC(X, y) = \\frac{\\#\\{p: X∈C(p), \\#C(p) ≥ 2\\}}{\\#\\{p: X∈C(p)\\}}, \\qquad
        IC(\\text{world}, y) = \\frac{\\#\\{p: \\#C(p) ≥ 2\\}}{\\#\\{p: \\#C(p) ≥ 1\\}}

    Address-based **[DEFAULT]** (NISTEP/WoS-like): one author with affiliations in two countries makes the paper
    international. Authorships without a country do not make a paper international (§0.3). Whole counting only
    (the share is defined on integer counts). Columns: ``country, year, p, p_international, p_bilateral,
    p_multilateral, share`` with a world row ``country = "WLD"``.
    """
    if scope.get("counting", "whole") not in ("whole", "integer", "full"):
        raise ConfigError("international_coauthorship is defined on whole counting only (METHODS §5)")
    sc = Scope(**scope)
    w = sc.works(t).select("work_id", "publication_year")
    # C(p) as distinct (work_id, country) rows and #C(p) by a plain GROUP BY joined back, not base.work_countries'
    # window count: DuckDB hash aggregates and joins spill to disk under memory_limit, a window partitioned by
    # work_id over every work does not (docs/engine.md "Larger than memory")
    pairs = sc.units(t, w).select("work_id", "country").distinct()
    per_work = pairs.group_by("work_id").aggregate(n_countries=pairs.country.count()).join(w, "work_id")
    wc = pairs.join(per_work, "work_id")
    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")

    def counts(tbl: ir.Table, by: list[str]) -> ir.Table:
        return tbl.group_by(by).aggregate(
            p=tbl.work_id.count().cast("int64"),
            p_international=ibis.cases((tbl.n_countries >= 2, one), else_=zero).sum(),
            p_bilateral=ibis.cases((tbl.n_countries == 2, one), else_=zero).sum(),
            p_multilateral=ibis.cases((tbl.n_countries >= 3, one), else_=zero).sum(),
        )

    by_country = counts(wc, ["country", "publication_year"])
    world = counts(per_work, ["publication_year"]).mutate(country=ibis.literal(WORLD))
    out = by_country.union(world.select(*by_country.columns))
    out = out.mutate(share=out.p_international.cast("float64") / out.p.cast("float64")).rename(year="publication_year")
    return apply_country_filter(out, sc.country)
