"""Researchers abroad: authors now affiliated abroad who were once affiliated in a focus country, and returnees
(briefing page 14: inviting excellent researchers, including a country's own researchers working abroad).

Only the affiliation history is used: an author "was once in" the focus country when some year's main economy
(METHODS §1.3.1) was the focus country. junkan never infers nationality or ethnicity from names or anything else;
"own researchers" means "researchers once affiliated in the country".

* **abroad**: the main economy in the author's last year is not the focus country, and an earlier year's was;
* **returnee**: the main economy in the last year is the focus country, and some year abroad came after a year in
  the focus country.

Ranking (per author): ``mncs_recent`` = mean NCS of the author's works in the recent window (works with a
reference set), ``top_recent`` = Σ of the works' Top-10 % credits (CWTS, fractional at the threshold), both from the
indicator core (subfield × year reference sets, fixed 3-year window by default, as for :func:`impact_by_class`).
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators.base import StoreTables, parse_countries, parse_fields, parse_years
from junkan.mobility.impact import work_scores

__all__ = ["RANK_BY", "abroad", "career_spells"]

RANK_BY = ("mncs", "top")


#: Decimals the ranked values are rounded to before ranking (see :func:`rank_desc`).
RANK_DECIMALS = 9


def rank_desc(col: ir.FloatingValue) -> ir.IntegerValue:
    """Competition rank of a float column, highest first (1 = best), nulls last.

    The value is rounded to :data:`RANK_DECIMALS` (9) decimals before ranking: float sums and means depend on
    the order DuckDB adds them in, which depends on its thread count (2.8 vs 2.8000000000000003), so values equal
    in exact arithmetic must tie whatever the threads (issue 11: a rank changed from 15 to 14 between 1 and 2
    threads). The ranked values here (mean NCS, sums of Top-10 % credits) are below 10^4, so 9 decimals keep at
    least 9 significant digits; the reported values themselves are not rounded.
    """
    key = col.round(RANK_DECIMALS).fill_null(-1.0)
    return (ibis.rank().over(ibis.window(order_by=ibis.desc(key))) + 1).cast("int64")


def career_spells(traj: ir.Table) -> ir.Table:
    """``author_id, spell, country, from_year, to_year, n_years``: maximal runs of one main economy."""
    o = ibis.window(group_by="author_id", order_by="year", rows=(None, 0))
    t = traj.mutate(_chg=ibis.cases((traj.prev_country.isnull() | (traj.prev_country != traj.country), 1), else_=0))
    t = t.mutate(spell=t._chg.sum().over(o).cast("int64"))
    return t.group_by(["author_id", "spell"]).aggregate(
        country=t.country.max(),
        from_year=t.year.min(),
        to_year=t.year.max(),
        n_years=t.year.count().cast("int64"),
    )


def abroad(
    traj: ir.Table,
    t: StoreTables,
    *,
    focus: str,
    include_returnees: bool = True,
    recent: Any = None,
    recent_years: int = 5,
    active_since: int | None = None,
    field: Any = None,
    min_recent_works: int = 1,
    rank_by: str = "mncs",
    profile: str = "nistep",
    level: str = "subfield",
    window: int | None = 3,
    pct: Any = 10,
    top_method: str = "cwts",
) -> ir.Table:
    """Authors once affiliated in ``focus`` who are now abroad (and returnees), with impact and career path.

    Columns: ``author_id, author_name, orcid, status`` (``abroad`` | ``returnee``), ``current_country, last_year,
    first_country, focus_first_year, focus_last_year, focus_years, left_focus_year`` (first year abroad after the
    last focus spell began; null for returnees), ``main_field`` (modal OpenAlex field of the author's works; ties →
    smallest id), ``n_works_recent, n_scored_recent, mncs_recent, top_recent, pp_top_recent, rank_mncs, rank_top,
    rank`` (by ``rank_by``; 1 = best, competition ranking on the values rounded to 9 decimals so that ranks do not
    depend on DuckDB's thread count, authors without a score last: :func:`rank_desc`), ``career_path``
    (``"2005-2010 JP > 2011-2020 US"``).

    Options: ``recent`` (years such as ``"2019-2023"``; default the author's own last ``recent_years`` years),
    ``active_since`` (last year ≥ this), ``field`` (OpenAlex field ids of the main field), ``min_recent_works``
    (minimum works in the recent window), ``rank_by`` ``mncs`` | ``top``; citation options as
    :func:`~junkan.mobility.impact_by_class`.
    """
    fc = parse_countries(focus)
    if not fc or len(fc) != 1:
        raise ConfigError(f"focus {focus!r}: expected one ISO alpha-2 country code such as 'JP'")
    focus_c = fc[0]
    if rank_by not in RANK_BY:
        raise ConfigError(f"rank_by {rank_by!r}: choose one of {', '.join(RANK_BY)}")
    rec = parse_years(recent)
    fields = parse_fields(field)

    tr = traj
    inf = tr.filter(tr.country == focus_c)
    hist = inf.group_by("author_id").aggregate(
        focus_first_year=inf.year.min(), focus_last_year=inf.year.max(), focus_years=inf.year.count().cast("int64")
    )
    nf = tr.filter(tr.country != focus_c).join(hist, "author_id")
    nf = nf.filter(nf.year > nf.focus_first_year)
    nfa = nf.group_by("author_id").aggregate(_abroad_after=nf.year.max())
    # first year abroad after the last focus year
    left = nf.filter(nf.year > nf.focus_last_year)
    left = left.group_by("author_id").aggregate(left_focus_year=left.year.min())
    last = tr.filter(tr.year == tr.last_year).select(
        "author_id", current_country="country", last_year="year", first_country="first_country"
    )
    a = last.join(hist, "author_id").left_join(nfa, "author_id").drop("author_id_right")
    a = a.left_join(left, "author_id").drop("author_id_right")
    is_abroad = (a.current_country != focus_c) & (a.focus_last_year < a.last_year)
    is_ret = (a.current_country == focus_c) & a._abroad_after.notnull()
    status = ibis.cases((is_abroad, "abroad"), (is_ret, "returnee"), else_=ibis.null("string"))
    a = a.mutate(status=status).filter(status.notnull())
    if not include_returnees:
        a = a.filter(a.status == "abroad")
    if active_since is not None:
        a = a.filter(a.last_year >= int(active_since))

    # main field and identity columns from the author's works
    au = t.authorships.filter(t.authorships.author_id.notnull())
    au = au.semi_join(a.select("author_id"), "author_id")
    wf = au.select("work_id", "author_id").distinct().join(t.works.select("work_id", "field_id"), "work_id")
    wf = wf.filter(wf.field_id.notnull())
    fcount = wf.group_by(["author_id", "field_id"]).aggregate(n=wf.work_id.count())
    fcount = fcount.mutate(
        _r=ibis.row_number().over(
            ibis.window(group_by="author_id", order_by=[ibis.desc("n"), ibis.asc("field_id")])
        )
    )
    main_field = fcount.filter(fcount._r == 0).select("author_id", main_field="field_id")
    ident = au.group_by("author_id").aggregate(author_name=au.author_name.max(), orcid=au.orcid.max())
    a = a.left_join(main_field, "author_id").drop("author_id_right")
    a = a.left_join(ident, "author_id").drop("author_id_right")
    if fields:
        a = a.filter(a.main_field.isin(list(fields)))

    # recent impact
    sc = work_scores(t, profile=profile, level=level, window=window, pct=pct, top_method=top_method)
    aw = au.select("work_id", "author_id").distinct().join(sc, "work_id")
    aw = aw.join(a.select("author_id", "last_year"), "author_id")
    if rec is not None:
        aw = aw.filter(aw.year.between(rec[0], rec[1]))
    else:
        aw = aw.filter(aw.year > aw.last_year - int(recent_years))
    zero = ibis.literal(0, "int64")
    imp = aw.group_by("author_id").aggregate(
        n_works_recent=aw.work_id.count().cast("int64"),
        n_scored_recent=ibis.cases((aw.in_set, ibis.literal(1, "int64")), else_=zero).sum(),
        mncs_recent=ibis.cases((aw.in_set, aw.ncs), else_=ibis.null("float64")).mean(),
        top_recent=ibis.cases((aw.in_set, aw.top), else_=ibis.literal(0.0, "float64")).sum(),
    )
    imp = imp.mutate(
        pp_top_recent=ibis.cases((imp.n_scored_recent > 0, imp.top_recent / imp.n_scored_recent.cast("float64")),
                                 else_=ibis.null("float64"))
    )
    a = a.join(imp, "author_id")
    a = a.filter(a.n_works_recent >= int(min_recent_works))

    # career path
    sp = career_spells(traj).semi_join(a.select("author_id"), "author_id")
    label = (
        sp.from_year.cast("string") + ibis.literal("-") + sp.to_year.cast("string") + ibis.literal(" ") + sp.country
    )
    paths = sp.mutate(_l=label).group_by("author_id").aggregate(_ls=ibis._._l.collect())
    paths = paths.select("author_id", career_path=paths._ls.sort().join(" > "))
    a = a.join(paths, "author_id")

    # ranks (1 = best; nulls last), on values rounded to RANK_DECIMALS (see rank_desc)
    a = a.mutate(rank_mncs=rank_desc(a.mncs_recent), rank_top=rank_desc(a.top_recent))
    a = a.mutate(rank=a.rank_mncs if rank_by == "mncs" else a.rank_top)
    return a.select(
        "author_id", "author_name", "orcid", "status", "current_country", "last_year", "first_country",
        "focus_first_year", "focus_last_year", "focus_years", "left_focus_year", "main_field", "n_works_recent",
        "n_scored_recent", "mncs_recent", "top_recent", "pp_top_recent", "rank_mncs", "rank_top", "rank",
        "career_path",
    )
