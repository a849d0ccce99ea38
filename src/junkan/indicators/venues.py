"""Papers by country in chosen venues (e.g. AAAI), integer counting, with affiliation coverage (METHODS §8)."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, apply_country_filter

__all__ = ["venue_papers"]


def venue_papers(t: StoreTables, *, sources: Any = None, name_pattern: str | None = None, **scope: Any) -> ir.Table:
    """``count(X, y) = #{p in the venues : X ∈ C(p)}`` (METHODS §8.1 step 3), with coverage per year.

    Venues are chosen by ``sources`` (source ids, a list or ``"S1,S2"``) and/or ``name_pattern``, a
    case-insensitive SQL ``LIKE`` pattern on ``sources.display_name`` (``"%AAAI Conference%"``). Default document
    profile ``all`` (conference proceedings are not journals); ``counting`` may be any method (§8.1 optional
    fractional variant). Coverage (§8.1 step 4): ``n_works`` = the venues' works that year, ``share_any_country`` =
    share with ≥ 1 country (any affiliation), ``share_all_country`` = share whose every authorship has a country.
    §8.1 step 2 (drop student abstracts, demos and posters by page count) is on by default: ``min_pages=4`` drops
    works with fewer than 4 pages when ``work_biblio`` gives numeric first and last pages; works without page
    numbers are kept, and ``min_pages=0`` turns the filter off. ``n_works`` counts the works after the filter.
    Columns: ``country, year, p, n_works, share_any_country, share_all_country``.
    """
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    if not sources and not name_pattern:
        raise ConfigError("venue_papers needs sources (source ids) or name_pattern (e.g. '%AAAI%')")
    scope.setdefault("profile", "all")
    scope.setdefault("min_pages", 4)  # METHODS §8.1 step 2 [DEFAULT]: < 4 pages excluded when pages exist
    sc = Scope(**scope)
    w = sc.works(t)
    cond = ibis.literal(False)
    if sources:
        cond = cond | w.source_id.isin([str(s) for s in sources])
    if name_pattern:
        named = t.sources.filter(t.sources.display_name.ilike(name_pattern)).select(sid="source_id")
        cond = cond | w.source_id.isin(named.sid)
    w = w.filter(cond).select("work_id", "publication_year")
    units = sc.units(t, w)
    j = w.join(sc.weights(t, w), "work_id")
    out = j.group_by(["country", "publication_year"]).aggregate(p=j.weight.sum())
    n_auth = t.authorships.group_by("work_id").aggregate(n_auth=t.authorships.count())
    n_with = units.select("work_id", "author_position").distinct().group_by("work_id").aggregate(n_with=ibis._.count())
    cov = w.left_join(n_auth, w.work_id == n_auth.work_id).drop("work_id_right")
    cov = cov.left_join(n_with, cov.work_id == n_with.work_id).drop("work_id_right")
    one, zero = ibis.literal(1.0, "float64"), ibis.literal(0.0, "float64")
    nw = cov.n_with.fill_null(0)
    cov = cov.group_by("publication_year").aggregate(
        n_works=cov.work_id.count().cast("int64"),
        _any=ibis.cases((nw > 0, one), else_=zero).sum(),
        _all=ibis.cases(((nw > 0) & (nw == cov.n_auth.fill_null(0)), one), else_=zero).sum(),
    )
    cov = cov.mutate(share_any_country=cov._any / cov.n_works, share_all_country=cov._all / cov.n_works)
    out = out.join(cov.drop("_any", "_all"), "publication_year").rename(year="publication_year")
    return apply_country_filter(out, sc.country)
