"""Papers and Top10%/Top1% papers split into domestic and internationally co-authored (METHODS §3)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter

__all__ = ["domestic_international"]


def domestic_international(
    t: StoreTables, *, top_method: str = "nistep", split_international: bool = False, **scope: Any
) -> ir.Table:
    """Domestic vs international papers and Top10%/Top1% (adjusted) papers by country and year.

    Classes **[DEFAULT, NISTEP convention as we understand it]**: ``domestic`` if ``C(p) = {X}``,
    ``international`` if ``X ∈ C(p)`` and ``#C(p) ≥ 2`` — or, with ``split_international``, ``bilateral``
    (``#C(p) = 2``) and ``multilateral`` (``≥ 3``).

    .. math::

        \\tilde P_{top}(X, k) = \\sum_{f,y} α_{fy} \\sum_{p∈S_{fy},\\,class_X(p)=k} 1[X∈C(p)]

    Integer counting only (the decomposition is additive only then); ``top_method`` ``nistep`` (default,
    §0.8b inclusive), ``nistep_exclusive`` or ``cwts``. Columns: ``country, year, collaboration, p, p_norm,
    p_top10, p_top1, class_share`` (``p`` / country total), ``pp_top10``, ``pp_top1`` (rates within the class,
    over works with a reference set) and ``unknown_share`` (share of the class's works with ≥ 1 authorship
    without a country, §3.3).
    """
    if scope.get("counting", "whole") not in ("whole", "integer", "full"):
        raise ConfigError("domestic_international is additive only under whole counting (METHODS §3.2)")
    sc = Scope(**scope)
    s = sc.scored(t, tops={"top10": (10, top_method), "top1": (1, top_method)})
    docset = sc.works(t)
    # #C(p) by GROUP BY + join rather than base.work_countries' window: spills under memory_limit (international.py)
    pairs = sc.units(t, docset).select("work_id", "country").distinct()
    nc = pairs.group_by("work_id").aggregate(n_countries=pairs.country.count())
    wc = pairs.join(nc, "work_id").semi_join(docset, "work_id")
    n_auth = t.authorships.group_by("work_id").aggregate(n_auth=t.authorships.count())
    n_with = sc.units(t, docset).select("work_id", "author_position").distinct().group_by("work_id").aggregate(
        n_with=ibis._.count()
    )
    unknown = n_auth.join(n_with, "work_id", how="left")
    unknown = unknown.select(
        wid="work_id", has_unknown=(unknown.n_auth > unknown.n_with.fill_null(0))
    )
    j = s.join(wc, "work_id")
    j = j.left_join(unknown, j.work_id == unknown.wid).drop("wid")
    if split_international:
        cls = ibis.cases((j.n_countries == 1, "domestic"), (j.n_countries == 2, "bilateral"), else_="multilateral")
    else:
        cls = ibis.cases((j.n_countries == 1, "domestic"), else_="international")
    j = j.mutate(collaboration=cls)
    zero = ibis.literal(0.0, "float64")
    out = j.group_by(["country", "publication_year", "collaboration"]).aggregate(
        p=j.work_id.count().cast("float64"),
        p_norm=ibis.cases((j.in_set, 1.0), else_=zero).sum(),
        p_top10=j.top10.fill_null(0.0).sum(),
        p_top1=j.top1.fill_null(0.0).sum(),
        n_unknown=ibis.cases((j.has_unknown.fill_null(False), 1.0), else_=zero).sum(),
    )
    tot = ibis.window(group_by=["country", "publication_year"])
    null = ibis.null("float64")
    out = out.mutate(
        class_share=out.p / out.p.sum().over(tot),
        pp_top10=ibis.cases((out.p_norm > 0, out.p_top10 / out.p_norm), else_=null),
        pp_top1=ibis.cases((out.p_norm > 0, out.p_top1 / out.p_norm), else_=null),
        unknown_share=out.n_unknown / out.p,
    ).drop("n_unknown")
    out = out.rename(year="publication_year")
    return apply_country_filter(out, sc.country)
