"""Country × country co-authorship matrix by year with Salton and affinity indices (METHODS §3, §5)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables

__all__ = ["coauthorship_matrix"]


def coauthorship_matrix(t: StoreTables, **scope: Any) -> ir.Table:
    """Joint papers of every ordered country pair ``(a, b)``, ``a ≠ b``, per year (whole counting).

    .. math::

        n_{ab} = \\#\\{p : a, b ∈ C(p)\\}, \\qquad
        \\mathrm{Salton}(a,b) = \\frac{n_{ab}}{\\sqrt{P_a P_b}}, \\qquad
        \\mathrm{Affinity}(a,b) = \\frac{n_{ab}\\, L}{L_a L_b}

    ``P_a`` = papers of ``a`` (all, domestic included); ``L_a = Σ_{b≠a} n_{ab}`` (links of ``a``); ``L = Σ_a L_a``.
    Affinity is the observed/expected ("probabilistic affinity") ratio **[DEFAULT]** — METHODS does not fix a
    formula; 1 means the pair collaborates as often as its overall collaboration volumes predict, > 1 more.
    Both orders ``(a, b)`` and ``(b, a)`` are listed so that filtering on ``country_a`` gives every partner.
    Columns: ``year, country_a, country_b, n_ab, p_a, p_b, salton, affinity``. The ``country`` option
    filters ``country_a``.
    """
    sc = Scope(**scope)
    w = sc.works(t).select("work_id", "publication_year")
    # C(p) only (no #C(p) window, which DuckDB cannot spill; see international.py)
    wc = sc.units(t, w).select("work_id", "country").distinct().join(w, "work_id")
    wc = wc.select("work_id", "publication_year", "country")
    a = wc.select(work_id="work_id", year="publication_year", country_a="country")
    b = wc.select(wid="work_id", country_b="country")
    pairs = a.join(b, (a.work_id == b.wid) & (a.country_a != b.country_b))
    n_ab = pairs.group_by(["year", "country_a", "country_b"]).aggregate(n_ab=pairs.work_id.count().cast("int64"))
    p = wc.group_by(["publication_year", "country"]).aggregate(p=wc.work_id.count().cast("int64"))
    pa = p.select(year="publication_year", country_a="country", p_a="p")
    pb = p.select(year_b="publication_year", cb="country", p_b="p")
    m = n_ab.join(pa, ["year", "country_a"])
    m = m.join(pb, (m.year == pb.year_b) & (m.country_b == pb.cb)).drop("year_b", "cb")
    la = ibis.window(group_by=["year", "country_a"])
    lb = ibis.window(group_by=["year", "country_b"])
    ly = ibis.window(group_by=["year"])
    m = m.mutate(
        _la=m.n_ab.sum().over(la).cast("float64"),
        _lb=m.n_ab.sum().over(lb).cast("float64"),
        _l=m.n_ab.sum().over(ly).cast("float64"),
    )
    m = m.mutate(
        salton=m.n_ab.cast("float64") / (m.p_a.cast("float64") * m.p_b.cast("float64")).sqrt(),
        affinity=m.n_ab.cast("float64") * m._l / (m._la * m._lb),
    ).drop("_la", "_lb", "_l")
    if sc.country:
        m = m.filter(m.country_a.isin(list(sc.country)))
    return m
