"""Author trajectories: the main economy of every author in every year with papers (METHODS §1.3 steps 1–3).

Main economy ``m(a, y)`` from the author's own affiliations on the papers of year ``y``:

.. math::

    s_{a,y}(c) = \\sum_{p \\in works(a,y)} \\frac{1[c \\in K_a(p)]}{\\#K_a(p)}, \\qquad m(a,y) = \\arg\\max_c s_{a,y}(c)

``K_a(p)`` is the set of countries of author ``a`` on work ``p``: the countries of the institutions of every
authorship of ``a`` on ``p`` ∪ the authorship's reported ``countries`` (CWTS union rule, METHODS §0.3), after the
country mapping. A work with several affiliations in several countries splits its one unit equally over them, so
simultaneous multi-country affiliations ("travellers", [RG19]) never create a move unless the main economy
changes. Works where ``K_a(p) = ∅`` are ignored.

Shares are kept as exact integers (``L / #K`` with ``L = lcm(1..20)``) so that ties are detected exactly and
identically on DuckDB and PySpark; an authorship with more than 20 countries gets ``floor(L / #K)``.

Tie rule (METHODS §1.3.1 **[DEFAULT]**): (i) keep ``m(a, y_prev)`` if it is among the tied countries; (ii) the tied
country on ``a``'s latest work of the year (latest ``publication_date``, then largest ``work_id``) among the works
carrying a tied country; (iii) the lexicographically smallest country. The store keeps no order of an authorship's
institutions, so METHODS' "first-listed affiliation of the last work" is read as "a tied country on the last work",
with (iii) among several. Rule (i) is recursive (``m(a, y_prev)`` may itself be a resolved tie); it is evaluated by
``tie_passes`` rounds of propagation, which is exact for every run of up to ``tie_passes`` consecutive tied years.

Alternative evidence (``source``): ``"affiliations"`` uses the author entities' ``affiliations[].years``
(``author_affiliations``: each listed institution counts 1 in its year); ``"works+affiliations"`` uses the papers and
fills the years without any country from papers with the affiliation history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators.base import PROFILES, StoreTables, document_set, parse_years
from junkan.model.countries import country_map as resolve_country_map

__all__ = ["SHARE_SCALE", "SOURCES", "country_evidence", "trajectories"]

#: lcm(1, …, 20): shares ``1/#K`` are stored as ``SHARE_SCALE / #K`` (exact integers for #K ≤ 20).
SHARE_SCALE = 232_792_560

#: Evidence for the main economy (see module doc).
SOURCES = ("works", "affiliations", "works+affiliations")


def _mapped(col: ir.StringValue, mapping: Mapping[str, str]) -> ir.StringValue:
    col = col.upper()
    return col.substitute(dict(mapping)) if mapping else col


def authorship_countries(t: StoreTables, *, country_map: Mapping[str, str]) -> ir.Table:
    """``work_id, author_position, country``: distinct countries of every authorship (institutions ∪ reported)."""
    inst = t.institutions.filter(t.institutions.country_code.notnull() & (t.institutions.country_code != ""))
    inst = inst.select("institution_id", country=_mapped(inst.country_code, country_map))
    ai = t.authorship_institutions
    a1 = ai.join(inst, "institution_id").select("work_id", "author_position", "country")
    ac = t.authorship_countries
    a2 = ac.filter(ac.country_code.notnull() & (ac.country_code != "")).select(
        "work_id", "author_position", country=_mapped(ac.country_code, country_map)
    )
    return a1.union(a2, distinct=True)


def country_evidence(
    t: StoreTables,
    *,
    works: ir.Table,
    country_map: Mapping[str, str],
    authors: ir.Table | None = None,
) -> ir.Table:
    """Per author, year and country: the integer share ``s`` and the tie-break key, from papers.

    Columns: ``author_id, year, country, s (int64), n_works (works carrying c), last_key (string)``.
    """
    a = t.authorships.filter(t.authorships.author_id.notnull())
    a = a.select("work_id", "author_position", "author_id")
    if authors is not None:
        a = a.semi_join(authors.select("author_id").distinct(), "author_id")
    w = works.select(
        "work_id",
        year=works.publication_year,
        last_key=works.publication_date.cast("string").fill_null("0000-00-00") + ibis.literal("|") + works.work_id,
    ).filter(ibis._.year.notnull())
    ak = authorship_countries(t, country_map=country_map)
    j = a.join(ak, ["work_id", "author_position"]).select("author_id", "work_id", "country").distinct()
    j = j.join(w, "work_id")
    k = j.country.count().over(ibis.window(group_by=["author_id", "work_id"]))
    j = j.mutate(share=(ibis.literal(SHARE_SCALE, "int64") // k.cast("int64")))
    return j.group_by(["author_id", "year", "country"]).aggregate(
        s=j.share.sum().cast("int64"), n_works=j.work_id.count().cast("int64"), last_key=j.last_key.max()
    )


def affiliation_evidence(
    affiliations: ir.Table, *, country_map: Mapping[str, str], authors: ir.Table | None = None
) -> ir.Table:
    """The same columns as :func:`country_evidence` from ``author_affiliations`` (one unit per institution-year)."""
    af = affiliations.filter(affiliations.country_code.notnull() & (affiliations.country_code != ""))
    if authors is not None:
        af = af.semi_join(authors.select("author_id").distinct(), "author_id")
    af = af.select("author_id", "institution_id", "year", country=_mapped(af.country_code, country_map)).distinct()
    g = af.group_by(["author_id", "year", "country"]).aggregate(
        s=(af.institution_id.count() * ibis.literal(SHARE_SCALE, "int64")).cast("int64")
    )
    return g.mutate(n_works=ibis.literal(0, "int64"), last_key=ibis.literal(""))


def _resolve_main(ev: ir.Table, *, tie_passes: int) -> ir.Table:
    """``author_id, year, country, s, s_total, n_works, tied``: one row per author-year with its main economy."""
    ay = ["author_id", "year"]
    win = ibis.window(group_by=ay)
    ev = ev.mutate(
        _max=ev.s.max().over(win),
        s_total=ev.s.sum().over(win),
    )
    cand = ev.filter(ev.s == ev._max)
    cand = cand.mutate(_n_tied=cand.country.count().over(win))
    # rule (ii)/(iii) ranking among the tied: latest work first, then the smallest country
    cand = cand.mutate(
        _r=ibis.row_number().over(ibis.window(group_by=ay, order_by=[ibis.desc("last_key"), ibis.asc("country")]))
    )
    base_cols = ["author_id", "year", "country", "s", "s_total", "n_works"]
    unique = cand.filter(cand._n_tied == 1).select(*base_cols, tied=ibis.literal(False))
    tied_first = cand.filter((cand._n_tied > 1) & (cand._r == 0)).select(*base_cols, tied=ibis.literal(True))
    if tie_passes <= 0:
        return unique.union(tied_first)
    # previous observed year of every author-year (all author-years, unique and tied)
    years = ev.select(*ay).distinct()
    years = years.mutate(prev_year=years.year.lag().over(ibis.window(group_by="author_id", order_by="year")))
    tied = tied_first.join(years, ay).select(*base_cols, "prev_year")
    u_prev = unique.select(author_id="author_id", prev_year="year", _u_prev="country")
    tied = tied.left_join(u_prev, ["author_id", "prev_year"]).drop("author_id_right", "prev_year_right")
    cand_keys = cand.filter(cand._n_tied > 1).select("author_id", "year", _cand="country")
    # the previous year of a tied author-year is either a unique row (_u_prev, fixed) or the previous tied row of
    # the same author (a window lag within the tied rows): each pass references the previous one once.
    ow = ibis.window(group_by="author_id", order_by="year")
    current = tied.select(*base_cols, "prev_year", "_u_prev", _m=tied.country)
    for _ in range(tie_passes):
        j = current.mutate(
            _t_prev=ibis.cases((current.year.lag().over(ow) == current.prev_year, current._m.lag().over(ow)),
                               else_=ibis.null("string"))
        )
        j = j.mutate(_pm=j._u_prev.coalesce(j._t_prev))
        j = j.left_join(cand_keys, [j.author_id == cand_keys.author_id, j.year == cand_keys.year, j._pm == cand_keys._cand])
        j = j.drop("author_id_right", "year_right")
        current = j.select(
            *base_cols,
            "prev_year",
            "_u_prev",
            _m=ibis.cases((j._cand.notnull(), j._pm), else_=j.country),
        )
    # s of the chosen country equals the tied maximum, so s/s_total/n_works of the first-ranked row stay valid
    # except n_works, which is per country: take it from the candidate row of the chosen country.
    cn = cand.filter(cand._n_tied > 1).select("author_id", "year", _m="country", _nw="n_works")
    res = current.join(cn, ["author_id", "year", "_m"])
    resolved = res.select("author_id", "year", country=res._m, s=res.s, s_total=res.s_total, n_works=res._nw,
                          tied=ibis.literal(True))
    return unique.union(resolved)


def trajectories(
    t: StoreTables,
    *,
    profile: str = "nistep",
    country_map: str | Mapping[str, str] | None = "oecd",
    source: str = "works",
    affiliations: ir.Table | None = None,
    works: ir.Table | None = None,
    authors: ir.Table | None = None,
    years: Any = None,
    lookback_start: int = 1996,
    min_works: int = 1,
    min_years: int = 1,
    max_authors: int | None = None,
    orcid_only: bool = False,
    robust: bool = False,
    tie_passes: int = 6,
) -> ir.Table:
    """Main economy of every author in every year with evidence (METHODS §1.3 steps 1–3, §1.4).

    Returns one row per ``(author_id, year)``:

    ``author_id, year, country`` (``m(a,y)``), ``n_works`` (works of the year carrying ``country``), ``share``
    (``s(m)/Σ_c s(c)``, 1 when all evidence points to one country), ``tied`` (a tie rule decided), ``prev_year``,
    ``prev_country`` (``y'`` and ``m(a,y')``: the previous year with a main economy), ``gap = year − prev_year``,
    ``next_year``, ``next_country``, ``first_year``, ``first_country`` (``F(a)``), ``last_year``,
    ``last_country``, ``n_years`` (years with a main economy).

    Options
    -------
    profile
        Document set of the papers (METHODS §0.2, :func:`junkan.indicators.base.document_set`): ``nistep``
        **[DEFAULT]**, ``cwts`` or ``all``.
    country_map
        ``oecd`` (identity, HK separate: **[DEFAULT]** for mobility, §2.3), ``nistep``/``cwts`` (HK, MO → CN) or a
        mapping.
    source
        ``works`` **[DEFAULT]**, ``affiliations`` or ``works+affiliations`` (needs ``affiliations``, the
        ``author_affiliations`` table).
    works, authors
        The population (any filter): a table with ``work_id`` restricts the papers used (a field, a venue, …), a
        table with ``author_id`` restricts the authors (an institution's staff, a cohort, …). See
        :mod:`junkan.mobility.population`.
    years
        Publication years kept (inclusive), e.g. ``"2006-2016"``; ``lookback_start`` (default 1996, mirrors
        Scopus coverage) drops every earlier year, so ``F(a)`` is the first economy from then on.
    min_works
        Minimum works carrying the main economy for an author-year to count (default 1).
    min_years
        Minimum years with a main economy for an author to be kept (default 1; 2 = trackable authors only).
    max_authors
        Drop works with more than this many authorships (large-team sensitivity, §1.4); default none.
    orcid_only
        Keep authors with an ORCID on at least one authorship (disambiguation sensitivity, §1.4 (ii)).
    robust
        Suppress unsupported changes (§1.4 (iii)): an author-year whose main economy differs from the previous one
        is dropped unless it rests on ≥ 2 works or the next observed year has the same economy (one pass).
    tie_passes
        Rounds of tie rule (i) (exact for runs of up to this many consecutive tied years).
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}. Hint: choose one of {', '.join(PROFILES)}")
    if source not in SOURCES:
        raise ConfigError(f"unknown source {source!r}. Hint: choose one of {', '.join(SOURCES)}")
    if source != "works" and affiliations is None:
        raise ConfigError(f"source={source!r} needs the author_affiliations table (affiliations=...)")
    for name, v in (("min_works", min_works), ("min_years", min_years), ("tie_passes", tie_passes)):
        if not isinstance(v, int) or v < 0:
            raise ConfigError(f"{name} must be a non-negative integer, got {v!r}")
    mapping = resolve_country_map(country_map)
    yr = parse_years(years)
    if authors is not None and "author_id" not in authors.columns:
        raise ConfigError(f"authors: expected a table with an author_id column, got {list(authors.columns)}")
    if works is not None and "work_id" not in works.columns:
        raise ConfigError(f"works: expected a table with a work_id column, got {list(works.columns)}")
    if orcid_only:
        oa = t.authorships.filter(t.authorships.orcid.notnull() & (t.authorships.orcid != ""))
        orc = oa.select("author_id").distinct()
        authors = orc if authors is None else authors.select("author_id").distinct().semi_join(orc, "author_id")

    evs: list[ir.Table] = []
    if source in ("works", "works+affiliations"):
        docs = document_set(t, profile=profile)
        if works is not None:
            docs = docs.semi_join(works.select("work_id").distinct(), "work_id")
        if max_authors is not None:
            n = t.authorships.group_by("work_id").aggregate(_n=t.authorships.count())
            docs = docs.semi_join(n.filter(n._n <= int(max_authors)).select("work_id"), "work_id")
        evs.append(country_evidence(t, works=docs, country_map=mapping, authors=authors))
    if source in ("affiliations", "works+affiliations"):
        af = affiliation_evidence(affiliations, country_map=mapping, authors=authors)
        if evs:
            af = af.anti_join(evs[0].select("author_id", "year").distinct(), ["author_id", "year"])
        evs.append(af)
    ev = evs[0] if len(evs) == 1 else evs[0].union(evs[1])
    ev = ev.filter(ev.year >= int(lookback_start))
    if yr is not None:
        ev = ev.filter(ev.year.between(yr[0], yr[1]))

    m = _resolve_main(ev, tie_passes=tie_passes)
    if min_works > 1:
        m = m.filter((m.n_works >= min_works) | (m.n_works == 0))  # affiliation-only years have no works
    if robust:
        o = ibis.window(group_by="author_id", order_by="year")
        m = m.mutate(_pc=m.country.lag().over(o), _nc=m.country.lead().over(o))
        keep = m._pc.isnull() | (m._pc == m.country) | (m.n_works >= 2) | (m._nc == m.country)
        m = m.filter(keep).drop("_pc", "_nc")
    order = ibis.window(group_by="author_id", order_by="year")
    whole = ibis.window(group_by="author_id")
    m = m.mutate(
        prev_year=m.year.lag().over(order),
        prev_country=m.country.lag().over(order),
        next_year=m.year.lead().over(order),
        next_country=m.country.lead().over(order),
        first_year=m.year.min().over(whole),
        last_year=m.year.max().over(whole),
        n_years=m.year.count().over(whole),
    )
    fl = m.filter((m.year == m.first_year) | (m.year == m.last_year))
    first = fl.filter(fl.year == fl.first_year).select("author_id", first_country="country")
    last = fl.filter(fl.year == fl.last_year).select("author_id", last_country="country")
    m = m.join(first, "author_id").join(last, "author_id")
    if min_years > 1:
        m = m.filter(m.n_years >= min_years)
    share = ibis.cases((m.s_total > 0, m.s.cast("float64") / m.s_total.cast("float64")), else_=ibis.null("float64"))
    return m.select(
        "author_id",
        "year",
        "country",
        "n_works",
        share=share,
        tied="tied",
        prev_year="prev_year",
        prev_country="prev_country",
        gap=(m.year - m.prev_year).cast("int32"),
        next_year="next_year",
        next_country="next_country",
        first_year="first_year",
        first_country="first_country",
        last_year="last_year",
        last_country="last_country",
        n_years=m.n_years.cast("int64"),
    )
