"""Top x% highly cited papers with ties: CWTS fractional weights and NISTEP adjusted counts (METHODS §0.8, D.2).

All comparisons are made in integers (STACK.md §2): with ``x = a/b`` percent and a reference set of ``n`` works,
``n_gt(c)`` works cited more than ``c`` times and ``n_eq(c)`` exactly ``c`` times,

.. math::

    \\mathrm{top}_{CWTS}(c) = \\mathrm{clip}\\Big(\\frac{a·n − 100b·n_{gt}(c)}{100b·n_{eq}(c)}, 0, 1\\Big)

which is 1 above the threshold ``T``, the fractional weight ``ω`` at ``T`` and 0 below (Waltman & Schreiber
2013 as coded in [CWTS-IND-05]); and, for NISTEP, ``k = ⌈a·n/(100b)⌉``,

.. math::

    S_{incl} = \\{p : n_{gt}(c_p) < k\\} \\;(c_p ≥ c_{(k)}),\\quad S_{excl} = \\{p : n_{ge}(c_p) < k\\} \\;(c_p > c_{(k)}),
    \\quad α = \\frac{a·n}{100b·\\#S}

(every extracted paper gets ``α``). Both sum to exactly ``x % · n`` in every reference set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope, country_year_frame
from junkan.indicators.base import StoreTables, apply_country_filter, parse_pct

__all__ = ["TOP_METHODS", "top_papers", "top_shares"]

#: ``cwts`` = fractional weight at the threshold; ``nistep`` = NISTEP adjusted count with the inclusive
#: extraction rule **[DEFAULT]** (Appendix C.2); ``nistep_exclusive`` = the exclusive rule (falls back to the
#: inclusive set when every paper at the k-th rank ties with the top, e.g. an all-uncited reference set,
#: where the exclusive set would be empty **[DEFAULT]**).
TOP_METHODS = ("cwts", "nistep", "nistep_exclusive")


def top_shares(works: ir.Table, *, keys: Sequence[str], pct: Any = 10, method: str = "cwts") -> ir.Table:
    """Top-x% credit of every work with a reference set: ``work_id, top`` (float64).

    ``works`` needs ``work_id``, ``citations`` and the ``keys`` columns (``reference_keys``). Works with a null
    key have no reference set and get no row. ``Σ top = x % · n`` exactly in every reference set.
    """
    if method not in TOP_METHODS:
        raise ConfigError(f"unknown top method {method!r}. Hint: choose one of {', '.join(TOP_METHODS)}")
    x = parse_pct(pct)
    a, b = x.numerator, x.denominator
    keys = list(keys)
    w = works.filter(*[works[k].notnull() for k in keys])
    tiers = w.group_by([*keys, "citations"]).aggregate(n_eq=w.work_id.count().cast("int64"))
    part = ibis.window(group_by=keys)
    cum = ibis.window(group_by=keys, order_by=ibis.desc("citations"), rows=(None, 0))
    tiers = tiers.mutate(n=tiers.n_eq.sum().over(part), n_ge=tiers.n_eq.sum().over(cum))
    tiers = tiers.mutate(n_gt=tiers.n_ge - tiers.n_eq)
    hundred_b = ibis.literal(100 * b, "int64")
    target = tiers.n * ibis.literal(a, "int64")  # = 100b · (x% of n)
    if method == "cwts":
        num = target - hundred_b * tiers.n_gt
        den = hundred_b * tiers.n_eq
        top = ibis.cases(
            (num <= 0, ibis.literal(0.0, "float64")),
            (num >= den, ibis.literal(1.0, "float64")),
            else_=num.cast("float64") / den.cast("float64"),
        )
        tiers = tiers.mutate(top=top)
    else:
        k = (target + (hundred_b - 1)) // hundred_b  # ceil(x% · n), in integers
        tiers = tiers.mutate(k=k.cast("int64"))
        incl = tiers.n_gt < tiers.k
        excl = tiers.n_ge < tiers.k
        zero = ibis.literal(0, "int64")
        tiers = tiers.mutate(
            s_incl=ibis.cases((incl, tiers.n_eq), else_=zero).sum().over(part),
            s_excl=ibis.cases((excl, tiers.n_eq), else_=zero).sum().over(part),
            incl=incl,
            excl=excl,
        )
        if method == "nistep_exclusive":
            use_excl = tiers.s_excl > 0
            in_s = ibis.cases((use_excl, tiers.excl), else_=tiers.incl)
            size = ibis.cases((use_excl, tiers.s_excl), else_=tiers.s_incl)
        else:
            in_s, size = tiers.incl, tiers.s_incl
        alpha = target.cast("float64") / (hundred_b * size).cast("float64")
        tiers = tiers.mutate(top=ibis.cases((in_s, alpha), else_=ibis.literal(0.0, "float64")))
    tiers = tiers.select(*keys, "citations", "top")
    j = w.select("work_id", *keys, "citations").join(tiers, [*keys, "citations"])
    return j.select("work_id", "top")


def top_papers(t: StoreTables, *, pct: Any = 10, method: str = "cwts", **scope: Any) -> ir.Table:
    """Top x% papers by country and year: ``P_top(X,y) = Σ_p w_X(p) top(p)`` and ``PP_top = P_top / P_norm``.

    METHODS §0.8 (CWTS (a) or NISTEP adjusted (b)), §4.2 step 3. ``P_norm`` is the credit over works that have
    a reference set (works without a field are counted in ``p`` but not normalised, §0.6 **[DEFAULT]**).
    ``scope`` options: see :class:`~junkan.indicators._scope.Scope` (profile, counting, citation window, …).

    Returns ``country, year, p, p_norm, p_top, pp_top`` with ``pp_top`` a fraction (0.1 = 10 %).
    """
    sc = Scope(**scope)
    scored = sc.scored(t, tops={"top": (pct, method)})
    frame = country_year_frame(sc, t, scored, lambda s, w: {"p_top": (w * s.top.fill_null(0.0)).sum()})
    frame = frame.mutate(pp_top=ibis.cases((frame.p_norm > 0, frame.p_top / frame.p_norm), else_=ibis.null("float64")))
    return apply_country_filter(frame, sc.country)
