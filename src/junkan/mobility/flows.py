"""International bilateral flows of scientific authors (METHODS §2; OECD STI Scoreboard 2017; briefing page 3).

For a window ``[y0, y1]`` (default 2006–2016), every author with ≥ 2 distinct years with a main economy in the window
has ``o(a) = m(a, first year)`` and ``d(a) = m(a, last year)``; ``o ≠ d`` adds 1 to the directed flow ``F(o → d)``
(one count per author, intermediate stops ignored; returnees are invisible by design, Appendix D.3).

``gross(A,B) = F(A→B) + F(B→A)``, ``net(A,B) = F(A→B) − F(B→A)``; the drawing keeps directed edges with
``F ≥ 4,000`` in width classes ``[4k, 10k)``, ``[10k, 20k)``, ``[20k, 50k)``, ``≥ 50k`` (briefing). Thresholds are
options because OpenAlex author counts differ from Scopus profiles (§2.3); :func:`pairs` gives the top pairs by gross
flow with the beneficiary for comparison with the OECD text.

Exports (:mod:`junkan.mobility.network`): CSV edge list, GEXF 1.3 (Gephi), GraphML and VOSviewer JSON.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.mobility.classes import _period

__all__ = ["DEFAULT_PERIOD", "flows", "pairs"]

#: OECD STI Scoreboard 2017 window [OECD-SB17].
DEFAULT_PERIOD = (2006, 2016)


def flows(traj: ir.Table, *, period: Any = DEFAULT_PERIOD, min_flow: int = 1) -> ir.Table:
    """Directed author flows ``origin → destination`` by first and last main economy in ``period``.

    Columns: ``period, origin, destination, flow`` (int64), only ``origin ≠ destination`` and ``flow ≥ min_flow``.
    Formula: ``F(o→d) = #{a : o(a) = o, d(a) = d}`` over authors with ≥ 2 years in the window (METHODS §2.2).
    """
    p0, p1 = _period(period)
    t = traj.filter(traj.year.between(p0, p1))
    w = ibis.window(group_by="author_id")
    t = t.mutate(_fy=t.year.min().over(w), _ly=t.year.max().over(w))
    o = t.filter((t.year == t._fy) & (t._fy < t._ly)).select("author_id", origin="country")
    d = t.filter((t.year == t._ly) & (t._fy < t._ly)).select("author_id", destination="country")
    j = o.join(d, "author_id")
    j = j.filter(j.origin != j.destination)
    f = j.group_by(["origin", "destination"]).aggregate(flow=j.author_id.count().cast("int64"))
    f = f.filter(f.flow >= int(min_flow))
    return f.select(period=ibis.literal(f"{p0}-{p1}"), origin=f.origin, destination=f.destination, flow=f.flow)


def pairs(flow_table: ir.Table) -> ir.Table:
    """Country pairs by gross flow (METHODS §2.2 steps 4 and 6).

    Columns: ``period, country_a, country_b`` (``a < b``), ``flow_ab, flow_ba, gross, net`` (``flow_ab − flow_ba``),
    ``beneficiary`` (the country with the larger inflow; null when balanced) and ``rank`` (1 = largest gross flow,
    competition ranking on ties).
    """
    f = flow_table
    a = f.select(
        "period",
        country_a=ibis.least(f.origin, f.destination),
        country_b=ibis.greatest(f.origin, f.destination),
        ab=ibis.cases((f.origin < f.destination, f.flow), else_=0),
        ba=ibis.cases((f.origin > f.destination, f.flow), else_=0),
    )
    g = a.group_by(["period", "country_a", "country_b"]).aggregate(
        flow_ab=a.ab.sum().cast("int64"), flow_ba=a.ba.sum().cast("int64")
    )
    g = g.mutate(gross=g.flow_ab + g.flow_ba, net=g.flow_ab - g.flow_ba)
    g = g.mutate(
        beneficiary=ibis.cases((g.net > 0, g.country_b), (g.net < 0, g.country_a), else_=ibis.null("string")),
        rank=(ibis.rank().over(ibis.window(group_by="period", order_by=ibis.desc("gross"))) + 1).cast("int64"),
    )
    return g
