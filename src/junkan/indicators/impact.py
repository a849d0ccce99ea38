"""Field-normalised impact: NCS per work, MCS/MNCS and median citations per country (METHODS §0.6).

.. math::

    μ(R) = \\frac{1}{\\#R} \\sum_{p∈R} c_p, \\qquad
    \\mathrm{NCS}(p) = \\begin{cases} c_p / μ(R(p)) & μ > 0 \\\\ 1 & μ = 0 \\end{cases}

    \\mathrm{MNCS}(X) = \\frac{\\sum_p w_X(p)\\,\\mathrm{NCS}(p)}{\\sum_p w_X(p)}, \\qquad
    \\mathrm{MCS}(X) = \\frac{\\sum_p w_X(p)\\,c_p}{\\sum_p w_X(p)}

``R(p)`` is the reference set of ``p`` (field or subfield × year (× type)); one field per work (the primary topic),
so the field weights ``w_f(p)`` of CWTS are all 1. The ``μ = 0 ⇒ NCS = 1`` edge case is CWTS's code
[CWTS-IND-PROC]. By construction the world MNCS of every reference set is exactly 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter
from junkan.model.countries import WORLD

__all__ = ["impact", "ncs"]


def ncs(works: ir.Table, *, keys: Sequence[str]) -> ir.Table:
    """Normalised citation score of every work with a reference set: ``work_id, ncs`` (float64)."""
    keys = list(keys)
    w = works.filter(*[works[k].notnull() for k in keys])
    mu = w.group_by(keys).aggregate(_tcs=w.citations.sum().cast("int64"), _n=w.work_id.count().cast("int64"))
    j = w.select("work_id", "citations", *keys).join(mu, keys)
    # c / (tcs / n) = c·n / tcs: exact integer inputs, one division
    value = ibis.cases(
        (j._tcs == 0, ibis.literal(1.0, "float64")),
        else_=(j.citations * j._n).cast("float64") / j._tcs.cast("float64"),
    )
    return j.select("work_id", ncs=value)


def impact(t: StoreTables, **scope: Any) -> ir.Table:
    """Citation impact by country and year, plus a world row (``country = "WLD"``).

    Columns: ``country, year, p, p_norm, tcs, mcs, tncs, mncs, median_citations``.

    * ``p = Σ w_X``; ``p_norm = Σ w_X`` over works with a reference set (MNCS denominator).
    * ``tcs = Σ w_X c``, ``mcs = tcs / p``; ``tncs = Σ w_X NCS``, ``mncs = tncs / p_norm``.
    * ``median_citations``: median of ``c_p`` over the works with ``X ∈ C(p)`` (whole counting, whatever the
      counting option; **[DEFAULT]** — a credit-weighted median has no established definition).
    * World row: every document-set work once (including works without a country): ``mncs`` is exactly 1
      when every reference set has some citation, and 1 anyway by the ``μ = 0`` rule.

    Default reference sets for this indicator: ``level="subfield"`` (METHODS §0.6 **[DEFAULT]**).
    """
    scope.setdefault("level", "subfield")
    sc = Scope(**scope)
    s = sc.scored(t, ncs=True)
    # weights of the whole document set: the inner joins with s restrict them (no semi join needed)
    docset = sc.works(t)
    wts = sc.weights(t, docset)
    j = s.join(wts, "work_id")
    w = j.weight
    zero = ibis.literal(0.0, "float64")
    out = j.group_by(["country", "publication_year"]).aggregate(
        p=w.sum(),
        p_norm=ibis.cases((j.in_set, w), else_=zero).sum(),
        tcs=(w * j.citations.cast("float64")).sum(),
        tncs=(w * j.ncs.fill_null(0.0)).sum(),
    )
    whole = sc.weights(t, docset, counting="whole")
    jm = s.join(whole, "work_id")
    med = jm.group_by(["country", "publication_year"]).aggregate(median_citations=jm.citations.median().cast("float64"))
    out = out.join(med, ["country", "publication_year"])
    world = s.group_by("publication_year").aggregate(
        p=s.work_id.count().cast("float64"),
        p_norm=ibis.cases((s.in_set, 1.0), else_=zero).sum(),
        tcs=s.citations.sum().cast("float64"),
        tncs=s.ncs.fill_null(0.0).sum(),
        median_citations=s.citations.median().cast("float64"),
    )
    world = world.mutate(country=ibis.literal(WORLD))
    out = out.union(world.select(*out.columns))
    out = out.mutate(
        mcs=ibis.cases((out.p > 0, out.tcs / out.p), else_=ibis.null("float64")),
        mncs=ibis.cases((out.p_norm > 0, out.tncs / out.p_norm), else_=ibis.null("float64")),
    ).rename(year="publication_year")
    return apply_country_filter(out, sc.country)
