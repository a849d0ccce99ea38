"""International co-authorship share by country and year, whole counting (METHODS §5)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter, work_country_units
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
    w = sc.works(t)
    # C(p) and #C(p) from the per-(work, country) table every counting method shares (base.work_country_units:
    # GROUP BYs and a join, spillable under DuckDB's memory_limit; materialised once per engine)
    wcu = t.cached(work_country_units(sc.units(t, w)))
    wc = wcu.select("work_id", "country", "n_countries").join(w.select("work_id", "publication_year"), "work_id")
    zero = ibis.literal(0, "int64")

    def counts(tbl: ir.Table, by: list[str]) -> ir.Table:
        n = tbl.works  # works each row stands for
        return tbl.group_by(by).aggregate(
            p=n.sum().cast("int64"),
            p_international=ibis.cases((tbl.n_countries >= 2, n), else_=zero).sum().cast("int64"),
            p_bilateral=ibis.cases((tbl.n_countries == 2, n), else_=zero).sum().cast("int64"),
            p_multilateral=ibis.cases((tbl.n_countries >= 3, n), else_=zero).sum().cast("int64"),
        )

    # world: a work with #C(p) = m has m rows in wc, so the works with m countries in a year are
    # (rows with n_countries = m) / m, an exact integer division on a small table (no per-work pass)
    by_n = wc.group_by(["publication_year", "n_countries"]).aggregate(rows=wc.count().cast("int64"))
    by_n = by_n.mutate(works=(by_n.rows // by_n.n_countries).cast("int64"))
    by_country = counts(wc.mutate(works=ibis.literal(1, "int64")), ["country", "publication_year"])
    world = counts(by_n, ["publication_year"]).mutate(country=ibis.literal(WORLD))
    out = by_country.union(world.select(*by_country.columns))
    out = out.mutate(share=out.p_international.cast("float64") / out.p.cast("float64")).rename(year="publication_year")
    return apply_country_filter(out, sc.country)
