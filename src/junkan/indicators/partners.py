"""Partners of a focus country ranked by joint output, growth and impact, and a partner × field table (METHODS §5)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, parse_countries, work_countries

__all__ = ["partner_fields", "partners"]


def _focus(focus: Any) -> str:
    codes = parse_countries(focus)
    if not codes or len(codes) != 1:
        raise ConfigError(f"focus {focus!r}: give exactly one country code, e.g. focus='JP'")
    return codes[0]


def _periods(years: tuple[int, int] | None, baseline: Any) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    from junkan.indicators.base import parse_years

    if years is None:
        return None, parse_years(baseline)
    if baseline is None:
        length = years[1] - years[0] + 1
        return years, (years[0] - length, years[0] - 1)
    return years, parse_years(baseline)


def _in(col: ir.IntegerValue, period: tuple[int, int] | None) -> ir.BooleanValue:
    if period is None:
        return col.isnull() | col.notnull()  # a column-shaped True
    return col.between(period[0], period[1])


def partners(t: StoreTables, *, focus: Any, baseline_years: Any = None, **scope: Any) -> ir.Table:
    """Co-authoring partners of ``focus`` (whole counting).

    For every partner ``Y`` of ``F``: ``joint_p = #{p : F, Y ∈ C(p)}`` in the period ``years``;
    ``joint_p_base`` in ``baseline_years`` (default: the equally long period just before ``years``);
    ``growth = joint_p / joint_p_base − 1`` (null when the baseline is 0 or there is no period);
    ``partner_share = joint_p / #{F's international papers}``; ``joint_mncs`` = mean NCS and ``joint_pp_top10``
    = CWTS PP(top 10 %) of the joint papers (reference sets from the ``level`` option, default field × year);
    ``rank`` = competition rank by ``joint_p`` (1 = largest). Ranking partners is **[DEFAULT]** analysis design
    (not in the NISTEP sources). Columns: ``focus, partner, joint_p, joint_p_base, growth, partner_share,
    joint_mncs, joint_pp_top10, rank``; ``country`` filters ``partner``.
    """
    f = _focus(focus)
    sc = Scope(**scope)
    current, base = _periods(sc.years, baseline_years)
    s = sc.scored(t, tops={"top10": (10, "cwts")}, ncs=True, years=False)
    wc = work_countries(sc.units(t, sc.works(t, years=False))).join(s, "work_id")
    fw = wc.filter(wc.country == f).select(fid="work_id")
    joint = wc.filter(wc.country != f).semi_join(fw, wc.work_id == fw.fid)
    cur = _in(joint.publication_year, current)
    bas = _in(joint.publication_year, base) if base is not None else ~_in(joint.publication_year, None)
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    fz = ibis.literal(0.0, "float64")
    agg = joint.group_by("country").aggregate(
        joint_p=ibis.cases((cur, one), else_=zero).sum(),
        joint_p_base=ibis.cases((bas, one), else_=zero).sum(),
        _norm=ibis.cases((cur & joint.in_set, 1.0), else_=fz).sum(),
        _tncs=ibis.cases((cur & joint.in_set, joint.ncs), else_=fz).sum(),
        _top=ibis.cases((cur & joint.in_set, joint.top10), else_=fz).sum(),
    )
    agg = agg.filter(agg.joint_p > 0)
    fi = wc.filter((wc.country == f) & (wc.n_countries >= 2))
    fi = fi.filter(_in(fi.publication_year, current))
    n_intl = fi.aggregate(_n_intl=fi.work_id.count().cast("int64"))
    agg = agg.cross_join(n_intl)
    null = ibis.null("float64")
    agg = agg.mutate(
        focus=ibis.literal(f),
        growth=ibis.cases(
            ((agg.joint_p_base > 0) & ibis.literal(base is not None),
             agg.joint_p.cast("float64") / agg.joint_p_base.cast("float64") - 1.0),
            else_=null,
        ),
        partner_share=agg.joint_p.cast("float64") / agg._n_intl.cast("float64"),
        joint_mncs=ibis.cases((agg._norm > 0, agg._tncs / agg._norm), else_=null),
        joint_pp_top10=ibis.cases((agg._norm > 0, agg._top / agg._norm), else_=null),
        rank=(ibis.rank().over(order_by=ibis.desc(agg.joint_p)) + 1).cast("int64"),
    )
    out = agg.select(
        "focus", partner="country", joint_p="joint_p", joint_p_base="joint_p_base", growth="growth",
        partner_share="partner_share", joint_mncs="joint_mncs", joint_pp_top10="joint_pp_top10", rank="rank",
    )
    if sc.country:
        out = out.filter(out.partner.isin(list(sc.country)))
    return out


def partner_fields(t: StoreTables, *, focus: Any, **scope: Any) -> ir.Table:
    """Partner × field opportunity table for ``focus`` over the period ``years`` (whole counting).

    For partner ``Y`` and field ``f``: ``partner_p`` = papers of ``Y`` in ``f``; ``world_p`` = papers in ``f``;
    ``partner_world_share = partner_p / world_p``; ``joint_p`` = papers with ``F`` and ``Y`` in ``f``;
    ``focus_intl_p`` = ``F``'s international papers in ``f``; ``partner_focus_share = joint_p / focus_intl_p``;
    ``gap = partner_world_share − partner_focus_share`` (> 0: ``Y`` is stronger in ``f`` than its weight among
    ``F``'s collaborations there — an *opportunity*, **[DEFAULT]** definition); ``partner_pp_top10`` = CWTS
    PP(top 10 %) of ``Y`` in ``f``. Works without a field are left out. Columns: ``focus, partner, field_id,
    partner_p, world_p, partner_world_share, joint_p, focus_intl_p, partner_focus_share, gap,
    partner_pp_top10``; ``country`` filters ``partner``.
    """
    f = _focus(focus)
    sc = Scope(**scope)
    s = sc.scored(t, tops={"top10": (10, "cwts")})
    s = s.filter(s.field_id.notnull())
    wc = work_countries(sc.units(t, sc.works(t))).join(s, "work_id")
    fz = ibis.literal(0.0, "float64")
    by = wc.filter(wc.country != f).group_by(["country", "field_id"]).aggregate(
        partner_p=wc.work_id.count().cast("int64"),
        _norm=ibis.cases((wc.in_set, 1.0), else_=fz).sum(),
        _top=wc.top10.fill_null(0.0).sum(),
    )
    world = s.group_by("field_id").aggregate(world_p=s.work_id.count().cast("int64"))
    fw = wc.filter(wc.country == f).select(fid="work_id", fintl=wc.n_countries >= 2)
    joint = wc.filter(wc.country != f).join(fw, wc.work_id == fw.fid)
    jt = joint.group_by(["country", "field_id"]).aggregate(joint_p=joint.work_id.count().cast("int64"))
    fi = fw.filter(fw.fintl).join(s.select("work_id", "field_id"), fw.fid == s.work_id)
    fi = fi.group_by("field_id").aggregate(focus_intl_p=fi.fid.count().cast("int64"))
    out = by.join(world, "field_id")
    out = out.left_join(jt, ["country", "field_id"]).drop("country_right", "field_id_right")
    out = out.left_join(fi, "field_id").drop("field_id_right")
    null = ibis.null("float64")
    out = out.mutate(
        joint_p=out.joint_p.fill_null(0),
        focus_intl_p=out.focus_intl_p.fill_null(0),
    )
    out = out.mutate(
        focus=ibis.literal(f),
        partner_world_share=out.partner_p.cast("float64") / out.world_p.cast("float64"),
        partner_focus_share=ibis.cases(
            (out.focus_intl_p > 0, out.joint_p.cast("float64") / out.focus_intl_p.cast("float64")), else_=null
        ),
        partner_pp_top10=ibis.cases((out._norm > 0, out._top / out._norm), else_=null),
    )
    out = out.mutate(gap=out.partner_world_share - out.partner_focus_share.fill_null(0.0))
    out = out.select(
        "focus", partner="country", field_id="field_id", partner_p="partner_p", world_p="world_p",
        partner_world_share="partner_world_share", joint_p="joint_p", focus_intl_p="focus_intl_p",
        partner_focus_share="partner_focus_share", gap="gap", partner_pp_top10="partner_pp_top10",
    )
    if sc.country:
        out = out.filter(out.partner.isin(list(sc.country)))
    return out
