"""3-year moving averages, world shares and competition ranks, now vs 10 and 20 years earlier (METHODS §0.9, §4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, normalize_counting, parse_years

__all__ = ["RANKED_INDICATORS", "rankings"]

#: What can be ranked: paper counts and NISTEP-adjusted Top10% / Top1% counts.
RANKED_INDICATORS = ("papers", "top10", "top1")


def rankings(
    t: StoreTables,
    *,
    indicators: Sequence[str] = RANKED_INDICATORS,
    countings: Sequence[str] = ("whole", "institution"),
    top_method: str = "nistep",
    span: int = 3,
    lags: Sequence[int] = (10, 20),
    **scope: Any,
) -> ir.Table:
    """Country rankings on ``span``-year moving averages (NISTEP S&T Indicators, METHODS §4.2).

    For every counting method in ``countings``, indicator ``i`` in ``indicators`` and end year ``y``:

    .. math::

        \\bar v_i(X, y) = \\frac{1}{3}\\sum_{y'=y-2}^{y} v_i(X, y'), \\qquad
        \\mathrm{share} = \\bar v_i(X, y) / \\bar v_i(\\text{world}, y)

    with ``v`` = papers ``Σ w_X`` or Top10% / Top1% adjusted counts ``Σ_f α_fy Σ_{p∈S_fy} w_X`` (each year with its
    own field-year thresholds; ``top_method`` default ``nistep`` inclusive, §0.8b [DEFAULT]). A country without
    papers in a year counts 0 that year; a moving average needs all ``span`` years inside the data.
    World = all works with a country (fractional world totals equal Σ over countries). ``rank`` is the competition
    rank (1, 2, 2, 4) of the mean among all countries, on means rounded to 9 decimals so that engines agree
    on ties **[DEFAULT]**; ``rank_10y``/``rank_20y`` are the ranks of the period ending ``lag`` years earlier and
    ``rank_change_10y = rank_10y − rank`` (positive = climbed). ``years`` restricts the *end years* shown; the
    computation always uses every year of the document set. Columns: ``counting, indicator, country, year,
    period, value, share, rank`` and per lag ``rank_{lag}y, rank_change_{lag}y``.
    """
    for i in indicators:
        if i not in RANKED_INDICATORS:
            raise ConfigError(f"unknown ranked indicator {i!r}. Hint: choose from {', '.join(RANKED_INDICATORS)}")
    countings = [normalize_counting(c) for c in countings]
    if not countings or not indicators:
        raise ConfigError("rankings needs at least one indicator and one counting method")
    if int(span) < 1:
        raise ConfigError(f"span {span!r}: at least 1 year")
    span = int(span)
    end_years = parse_years(scope.pop("years", None))
    sc = Scope(**scope)
    s = sc.scored(t, tops={"top10": (10, top_method), "top1": (1, top_method)})
    s = s.mutate(top10=s.top10.fill_null(0.0), top1=s.top1.fill_null(0.0))
    cols = {"papers": None, "top10": "top10", "top1": "top1"}
    # One pass (Spark re-executes every branch of a plan): credits of all counting methods in one long table,
    # one join with the scored works, one aggregate, then unpivot the indicators.
    wts = None
    for counting in countings:
        cw = sc.weights(t, s, counting=counting).mutate(counting=ibis.literal(counting))
        wts = cw if wts is None else wts.union(cw)
    j = s.join(wts, "work_id")
    agg = j.group_by(["counting", "country", "publication_year"]).aggregate(
        **{ind: (j.weight if col is None else j.weight * j[col]).sum() for ind, col in cols.items()}
    )
    # world: each work with a country once (the same under every counting method)
    assignable = s.semi_join(sc.units(t, sc.works(t)).select("work_id"), "work_id")
    world = assignable.group_by("publication_year").aggregate(
        **{ind: (assignable.work_id.count().cast("float64") if col is None else assignable[col].sum())
           for ind, col in cols.items()}
    )
    inds = list(indicators)
    vals = agg.pivot_longer(inds, names_to="indicator", values_to="v")
    world = world.pivot_longer(inds, names_to="indicator", values_to="world").rename(wyear="publication_year",
                                                                                   wind="indicator")
    # dense grid (counting, indicator, country) × every year from the first to the last, so that missing years
    # count 0 and row offsets equal year offsets in the windows below
    span_t = s.filter(s.publication_year.notnull()).aggregate(y0=s.publication_year.min(),
                                                              y1=s.publication_year.max())
    years_t = span_t.select(year=ibis.range(span_t.y0, span_t.y1 + 1).unnest().cast("int64"), y0=span_t.y0)
    keys_t = vals.select("counting", "indicator", "country").distinct()
    grid = keys_t.cross_join(years_t)
    vv = vals.select(vc="counting", vi="indicator", vcountry="country", vyear="publication_year", v="v")
    g = grid.left_join(
        vv,
        [grid.counting == vv.vc, grid.indicator == vv.vi, grid.country == vv.vcountry, grid.year == vv.vyear],
    )
    g = g.select("counting", "indicator", "country", "year", "y0", v=g.v.fill_null(0.0))
    g = g.left_join(world, [g.indicator == world.wind, g.year == world.wyear])
    g = g.select("counting", "indicator", "country", "year", "y0", "v", world=g.world.fill_null(0.0))
    series = ["counting", "indicator", "country"]
    win = ibis.window(group_by=series, order_by="year", rows=(-(span - 1), 0))
    g = g.mutate(
        value=g.v.sum().over(win) / float(span),
        world_mean=g.world.sum().over(win) / float(span),
    )
    g = g.filter(g.year - (span - 1) >= g.y0)
    g = g.mutate(share=ibis.cases((g.world_mean > 0, g.value / g.world_mean), else_=ibis.null("float64")))
    rk = ibis.window(group_by=["counting", "indicator", "year"], order_by=ibis.desc(g.value.round(9)))
    g = g.mutate(
        rank=(ibis.rank().over(rk) + 1).cast("int64"),
        period=(g.year - (span - 1)).cast("string") + ibis.literal("-") + g.year.cast("string"),
    )
    by_year = ibis.window(group_by=series, order_by="year")
    lagged = {}
    for lag in lags:
        lag = int(lag)
        prev = g["rank"].lag(lag).over(by_year)
        lagged[f"rank_{lag}y"] = prev
        lagged[f"rank_change_{lag}y"] = (prev - g["rank"]).cast("int64")
    out = g.select("counting", "indicator", "country", "year", "period", "value", "share", "rank", **lagged)
    if end_years is not None:
        out = out.filter(out.year.between(end_years[0], end_years[1]))
    if sc.country:
        out = out.filter(out.country.isin(list(sc.country)))
    return out
