"""OECD mobility classes and rates (METHODS §1.3 steps 4–5, §1.4; Appendix D.3).

For reference year ``t`` and an author with ``m(a,t)`` defined, ``y' = max{y < t : m(a,y) defined}``:

* no ``y'`` (or ``t − y' > max_gap``) → **entrant** (not in the rates' denominators; reported separately);
* ``m(a,t) = m(a,y') = c`` → **stayer** in ``c``;
* ``m(a,t) = c ≠ m(a,y')`` → **inflow** to ``c``: **returnee** if ``F(a) = c``, else **new inflow**;
  and **outflow** from ``m(a,y')`` dated ``t``.

A move is **temporary** when the author's main economy is later (any year after ``t``) back in the origin economy.

Per period (``by="period"``, the first vs last recorded main economy of §2.2): with ``o(a)``/``d(a)`` the main economy
in the first/last year of the window, an author with ≥ 2 years in the window is a stayer (``o = d``, no change in the
window), a **circulator** (``o = d`` after moving in between: invisible in the first/last flow network by design,
D.3), or a mover (inflow to ``d``, returnee if ``F(a) = d``; outflow from ``o``). One year in the window → entrant.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators.base import parse_years

__all__ = ["CLASSES", "PERIOD_CLASSES", "classes", "padded_population", "rates"]

CLASSES = ("entrant", "stayer", "new_inflow", "returnee", "outflow")
PERIOD_CLASSES = ("entrant", "stayer", "circulator", "new_inflow", "returnee", "outflow")

_NULL_STR = ibis.null("string")


def _period(period: Any) -> tuple[int, int]:
    p = parse_years(period)
    if p is None:
        raise ConfigError("by='period' needs period=(first_year, last_year), e.g. '2006-2016'")
    return p


def classes(traj: ir.Table, *, by: str = "year", period: Any = None, max_gap: int | None = None) -> ir.Table:
    """Mobility class of every author-year (``by="year"``) or every author in a period (``by="period"``).

    ``traj`` is the output of :func:`~junkan.mobility.trajectories`.

    ``by="year"`` columns: ``author_id, year, country, class, partner, prev_year, gap, temporary``: one row per
    author-year (``entrant``, ``stayer``, ``new_inflow`` or ``returnee`` in the author's main economy) plus one
    ``outflow`` row in the origin economy for every move. ``partner`` is the origin of an inflow and the destination
    of an outflow. ``temporary`` is set on moves only.

    ``by="period"`` columns: ``author_id, period, country, class, partner, first_year, last_year``, ``period`` as
    ``"2006-2016"``.

    ``max_gap``: a previous publication more than ``max_gap`` years earlier does not count (the author is an entrant
    again); METHODS §1.4 has no maximum by default.
    """
    if by == "period":
        return _period_classes(traj, _period(period))
    if by != "year":
        raise ConfigError(f"by={by!r}: choose 'year' or 'period'")
    if max_gap is not None and int(max_gap) < 1:
        raise ConfigError(f"max_gap must be >= 1, got {max_gap!r}")
    t = traj
    no_prev = t.prev_year.isnull()
    if max_gap is not None:
        no_prev = no_prev | (t.gap > int(max_gap))
    moved = ~no_prev & (t.country != t.prev_country)
    cls = ibis.cases(
        (no_prev, "entrant"),
        (t.country == t.prev_country, "stayer"),
        (t.first_country == t.country, "returnee"),
        else_="new_inflow",
    )
    t = t.mutate(_cls=cls, _moved=moved)
    mv = t.filter(t._moved).select("author_id", "year", _origin="prev_country")
    later = traj.select("author_id", _y="year", _c="country")
    back = mv.join(later, [mv.author_id == later.author_id, later._y > mv.year, later._c == mv._origin])
    back = back.select("author_id", "year").distinct().mutate(_back=ibis.literal(True))
    t = t.left_join(back, ["author_id", "year"]).drop("author_id_right", "year_right")
    temporary = ibis.cases((t._moved, t._back.fill_null(False)), else_=ibis.null("boolean"))
    gap = ibis.cases((t.prev_year.isnull(), ibis.null("int32")), else_=t.gap)
    main = t.select(
        "author_id",
        "year",
        "country",
        **{"class": t._cls},
        partner=ibis.cases((t._moved, t.prev_country), else_=_NULL_STR),
        prev_year=ibis.cases((no_prev, ibis.null("int64")), else_=t.prev_year.cast("int64")),
        gap=gap,
        temporary=temporary,
    )
    tm = t.filter(t._moved)
    out = tm.select(
        "author_id",
        "year",
        country=tm.prev_country,
        **{"class": ibis.literal("outflow")},
        partner=tm.country,
        prev_year=tm.prev_year.cast("int64"),
        gap=tm.gap,
        temporary=tm._back.fill_null(False),
    )
    return main.union(out)


def _period_classes(traj: ir.Table, period: tuple[int, int]) -> ir.Table:
    p0, p1 = period
    t = traj.filter(traj.year.between(p0, p1))
    w = ibis.window(group_by="author_id")
    o = ibis.window(group_by="author_id", order_by="year")
    t = t.mutate(
        _fy=t.year.min().over(w),
        _ly=t.year.max().over(w),
        _pc=t.country.lag().over(o),
    )
    t = t.mutate(_chg=ibis.cases((t._pc.notnull() & (t._pc != t.country), 1), else_=0))
    agg = t.group_by("author_id").aggregate(
        first_year=t._fy.max(),
        last_year=t._ly.max(),
        n_changes=t._chg.sum(),
        F=t.first_country.max(),
    )
    fo = t.filter(t.year == t._fy).select("author_id", o_c="country")
    ld = t.filter(t.year == t._ly).select("author_id", d_c="country")
    a = agg.join(fo, "author_id").join(ld, "author_id")
    label = ibis.literal(f"{p0}-{p1}")
    single = a.first_year == a.last_year
    cls = ibis.cases(
        (single, "entrant"),
        ((a.o_c == a.d_c) & (a.n_changes == 0), "stayer"),
        (a.o_c == a.d_c, "circulator"),
        (a.F == a.d_c, "returnee"),
        else_="new_inflow",
    )
    moved = ~single & (a.o_c != a.d_c)
    main = a.select(
        "author_id",
        period=label,
        country=a.d_c,
        **{"class": cls},
        partner=ibis.cases((moved, a.o_c), else_=_NULL_STR),
        first_year=a.first_year.cast("int64"),
        last_year=a.last_year.cast("int64"),
    )
    m = a.filter(moved)
    out = m.select(
        "author_id",
        period=label,
        country=m.o_c,
        **{"class": ibis.literal("outflow")},
        partner=m.d_c,
        first_year=m.first_year.cast("int64"),
        last_year=m.last_year.cast("int64"),
    )
    return main.union(out)


def padded_population(traj: ir.Table) -> ir.Table:
    """MPIDR padded population: ``country, year, padded_population``.

    An author counts in every year from the first to the last year with a main economy; in a year without papers
    the author counts in the economy of the previous observed year (carried forward to the year before the next
    observation) **[DEFAULT]** (MPIDR pads every year between first and last publication; the economy of gap years
    is our reading).
    """
    t = traj.select("author_id", "year", "country", "next_year")
    end = ibis.cases((t.next_year.isnull(), t.year), else_=t.next_year - 1)
    t = t.mutate(_y=ibis.range(t.year, end + 1).unnest())
    return t.group_by(["country", t._y.name("year")]).aggregate(padded_population=t.author_id.count().cast("int64"))


def _ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    return ibis.cases((den > 0, num.cast("float64") / den.cast("float64")), else_=ibis.null("float64"))


def rates(cls: ir.Table, *, trajectories: ir.Table | None = None) -> ir.Table:
    """Inflow, outflow and net migration rates by country and year (or period) (METHODS §1.3 step 5).

    ``cls`` is the output of :func:`classes`. With ``by="year"`` classes, per ``country, year``:

    * counts ``stayers``, ``new_inflows``, ``returnees``, ``inflows = new_inflows + returnees``, ``outflows``,
      ``temporary_outflows`` and ``entrants``;
    * ``active = B_c(t) = stayers + inflows`` (authors active in ``c`` in ``t`` with a previous publication,
      **[DEFAULT]** OECD-style denominator) and ``previous = stayers + outflows`` (authors whose previous main
      economy was ``c``: the variant outflow base);
    * ``stayer_share = stayers/B``, ``inflow_rate = inflows/B``, ``new_inflow_rate``, ``returnee_rate``,
      ``outflow_rate = outflows/B``, ``outflow_rate_previous = outflows/previous``;
    * ``net = inflows − outflows``, ``net_rate = net/B``.

    With ``trajectories`` (the table ``cls`` came from), the MPIDR variant is added: ``padded_population`` (see
    :func:`padded_population`), ``inflow_rate_padded``, ``outflow_rate_padded``, ``net_rate_padded`` (counts over the
    padded population, as the Scholarly Migration Database).

    With ``by="period"`` classes the keys are ``country, period`` and ``circulators`` count as stayers in ``active``.
    """
    key = "year" if "year" in cls.columns else "period"
    c = cls["class"]
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")

    def n(cond: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.cases((cond, one), else_=zero).sum()

    aggs = dict(
        stayers=n(c == "stayer"),
        new_inflows=n(c == "new_inflow"),
        returnees=n(c == "returnee"),
        outflows=n(c == "outflow"),
        entrants=n(c == "entrant"),
    )
    if key == "year":
        aggs["temporary_outflows"] = n((c == "outflow") & cls.temporary.fill_null(False))
    else:
        aggs["circulators"] = n(c == "circulator")
    r = cls.group_by(["country", key]).aggregate(**aggs)
    stay = r.stayers + (r.circulators if key == "period" else 0)
    r = r.mutate(inflows=r.new_inflows + r.returnees)
    r = r.mutate(active=stay + r.inflows, previous=stay + r.outflows, net=r.inflows - r.outflows)
    r = r.mutate(
        stayer_share=_ratio(stay, r.active),
        inflow_rate=_ratio(r.inflows, r.active),
        new_inflow_rate=_ratio(r.new_inflows, r.active),
        returnee_rate=_ratio(r.returnees, r.active),
        outflow_rate=_ratio(r.outflows, r.active),
        outflow_rate_previous=_ratio(r.outflows, r.previous),
        net_rate=_ratio(r.net, r.active),
    )
    if trajectories is not None and key == "year":
        pp = padded_population(trajectories)
        r = r.outer_join(pp, ["country", "year"])
        r = r.mutate(
            country=r.country.coalesce(r.country_right), year=r.year.coalesce(r.year_right)
        ).drop("country_right", "year_right")
        counts = [
            "stayers", "new_inflows", "returnees", "outflows", "entrants", "temporary_outflows", "inflows", "active",
            "previous", "net",
        ]
        r = r.mutate(**{k: r[k].fill_null(0) for k in counts}, padded_population=r.padded_population.fill_null(0))
        r = r.mutate(
            inflow_rate_padded=_ratio(r.inflows, r.padded_population),
            outflow_rate_padded=_ratio(r.outflows, r.padded_population),
            net_rate_padded=_ratio(r.net, r.padded_population),
        )
    return r
