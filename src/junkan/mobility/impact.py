"""Citation impact of stayers, inflows, returnees and outflows (METHODS §1.3 step 6; briefing page 2).

Per-work scores come from the indicator core (:meth:`junkan.indicators._scope.Scope.scored`): ``NCS(p)`` against
subfield × year reference sets with a fixed window of 3 citing years ``y(p) … y(p)+2`` (METHODS §1.3.6 **[DEFAULT]**)
and the CWTS Top-10 % credit ``top(p)`` (§0.8a). Then:

.. math::

    \\mathrm{ncs}_a(t) = \\operatorname{mean}_{p \\in works(a,t)} \\mathrm{NCS}(p), \\qquad
    \\mathrm{top}_a(t) = \\operatorname{mean}_{p \\in works(a,t)} \\mathrm{top}(p)

over the author's works of the reference year that have a reference set (whole counting at author level; for an
outflow these are the works published at the destination), and per country, year (or period) and class

.. math::

    \\mathrm{MNCS}(c, t, k) = \\operatorname{mean}_{a \\in k} \\mathrm{ncs}_a(t), \\qquad
    \\mathrm{PP}_{top10}(c, t, k) = \\operatorname{mean}_{a \\in k} \\mathrm{top}_a(t)

with ratios to the stayers of the same country and year/period. Over a period an author counts once per year in
which (s)he is in the class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators import Scope
from junkan.indicators.base import StoreTables, parse_years

__all__ = ["author_year_scores", "impact_by_class", "work_scores"]


def work_scores(
    t: StoreTables,
    *,
    profile: str = "nistep",
    level: str = "subfield",
    window: int | None = 3,
    census_year: int | None = None,
    self_citations: bool | None = None,
    citing: str | None = None,
    by_type: bool = False,
    pct: Any = 10,
    top_method: str = "cwts",
) -> ir.Table:
    """``work_id, year, field_id, in_set, ncs, top`` from the indicator core (one call, shared by impact and abroad)."""
    sc = Scope(profile=profile, level=level, window=window, census_year=census_year, self_citations=self_citations,
               citing=citing, by_type=by_type)
    s = sc.scored(t, tops={"top": (pct, top_method)}, ncs=True)
    return s.select("work_id", year=s.publication_year, field_id=s.field_id, in_set=s.in_set, ncs=s.ncs, top=s.top)


def author_year_scores(t: StoreTables, scores: ir.Table, *, works: ir.Table | None = None) -> ir.Table:
    """``author_id, year, n_works, n_scored, ncs, top`` (author means over the year's works with a reference set)."""
    a = t.authorships.filter(t.authorships.author_id.notnull()).select("work_id", "author_id").distinct()
    s = scores
    if works is not None:
        s = s.semi_join(works.select("work_id").distinct(), "work_id")
    j = a.join(s, "work_id")
    zero = ibis.literal(0, "int64")
    return j.group_by(["author_id", "year"]).aggregate(
        n_works=j.work_id.count().cast("int64"),
        n_scored=ibis.cases((j.in_set, ibis.literal(1, "int64")), else_=zero).sum(),
        ncs=ibis.cases((j.in_set, j.ncs), else_=ibis.null("float64")).mean(),
        top=ibis.cases((j.in_set, j.top), else_=ibis.null("float64")).mean(),
        top_sum=ibis.cases((j.in_set, j.top), else_=ibis.literal(0.0, "float64")).sum(),
    )


def _period_label(year: ir.IntegerValue, periods: Sequence[tuple[int, int]]) -> ir.StringValue:
    return ibis.cases(
        *[(year.between(a, b), ibis.literal(f"{a}-{b}")) for a, b in periods], else_=ibis.null("string")
    )


def parse_periods(periods: Any) -> list[tuple[int, int]] | None:
    """``None``, ``"2006-2010,2011-2016"`` or a sequence of ranges → list of inclusive ``(start, end)``."""
    if periods is None or periods == "":
        return None
    items = periods.split(",") if isinstance(periods, str) else list(periods)
    out = [parse_years(p.strip() if isinstance(p, str) else p) for p in items]
    out = [p for p in out if p is not None]
    for (a0, a1), (b0, _) in zip(sorted(out), sorted(out)[1:]):
        if b0 <= a1:
            raise ConfigError(f"periods {periods!r} overlap ({a0}-{a1} and {b0}-…)")
    return out or None


def impact_by_class(
    t: StoreTables,
    cls: ir.Table,
    *,
    periods: Any = None,
    works: ir.Table | None = None,
    profile: str = "nistep",
    level: str = "subfield",
    window: int | None = 3,
    census_year: int | None = None,
    self_citations: bool | None = None,
    citing: str | None = None,
    by_type: bool = False,
    pct: Any = 10,
    top_method: str = "cwts",
) -> ir.Table:
    """MNCS and Top x% share of each mobility class by country and year or period (METHODS §1.3.6).

    ``cls`` is the ``by="year"`` output of :func:`~junkan.mobility.classes`. ``periods`` (e.g. ``"2006-2010,2011-2016"``)
    pools the years of each period; without it the rows are per year. ``works`` restricts the scored works (the
    population). Citation options are the indicator core's (:class:`~junkan.indicators._scope.Scope`): default
    ``level="subfield"``, fixed ``window=3``, CWTS Top-10 % (``pct``, ``top_method``).

    Columns: ``country, year`` (or ``period``), ``class, n_authors`` (author-years in the class), ``n_scored``
    (those with ≥ 1 work with a reference set), ``n_works, mncs, pp_top, mncs_rel_stayers, pp_top_rel_stayers``.
    """
    if "year" not in cls.columns:
        raise ConfigError("impact_by_class needs year-level classes (classes(..., by='year'))")
    ps = parse_periods(periods)
    scores = work_scores(t, profile=profile, level=level, window=window, census_year=census_year,
                         self_citations=self_citations, citing=citing, by_type=by_type, pct=pct, top_method=top_method)
    ay = author_year_scores(t, scores, works=works)
    c = cls.filter(cls["class"] != "entrant").select("author_id", "year", "country", klass=cls["class"])
    j = c.left_join(ay, ["author_id", "year"]).drop("author_id_right", "year_right")
    key = "year"
    if ps is not None:
        j = j.mutate(period=_period_label(j.year, ps))
        j = j.filter(j.period.notnull())
        key = "period"
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    scored = j.n_scored.fill_null(0) > 0
    g = j.group_by(["country", key, "klass"]).aggregate(
        n_authors=j.author_id.count().cast("int64"),
        n_scored=ibis.cases((scored, one), else_=zero).sum(),
        n_works=j.n_works.fill_null(0).sum().cast("int64"),
        mncs=ibis.cases((scored, j.ncs), else_=ibis.null("float64")).mean(),
        pp_top=ibis.cases((scored, j.top), else_=ibis.null("float64")).mean(),
    )
    st = g.filter(g.klass == "stayer").select("country", key, _s_mncs="mncs", _s_pp="pp_top")
    g = g.left_join(st, ["country", key]).drop("country_right", f"{key}_right")

    def rel(x: ir.FloatingValue, base: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.cases((base.notnull() & (base > 0) & x.notnull(), x / base), else_=ibis.null("float64"))

    return g.select(
        "country",
        key,
        **{"class": g.klass},
        n_authors="n_authors",
        n_scored="n_scored",
        n_works="n_works",
        mncs="mncs",
        pp_top="pp_top",
        mncs_rel_stayers=rel(g.mncs, g._s_mncs),
        pp_top_rel_stayers=rel(g.pp_top, g._s_pp),
    )
