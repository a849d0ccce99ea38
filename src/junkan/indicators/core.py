"""CWTS core-source algorithm (METHODS.md §0.7, [CWTS-CORE]): a WoS-like "core journal" set computed from the
store itself, for ``core="cwts"`` of the document-set profiles (``document_set``, ``Scope``).

Steps, on the store's works (all years unless ``min_year`` is given; METHODS: from ``core_min_pub_year − 5``):

1. type ``article``/``review`` in a journal, or ``article``/``review``/``book-chapter`` in a book series;
2. language ``en``; 3. ≥ 1 authorship; 4. ≥ 1 affiliation unit (institution or reported country);
5. ≥ 1 reference in the ``references`` table. Works passing 1–5 are the *candidates*.
6. **International scope.** Each candidate work's weight is split equally over its distinct countries (works
   without a country carry no weight). ``Q(c)`` = the global distribution over all candidates. For source ``s``,
   ``P_s(c)`` pools (a) its own candidates and (b) the candidates of *other* sources citing it (each citing work
   once per cited source). ``s`` is kept iff ``KL(P_s‖Q) = Σ_c P_s(c) ln(P_s(c)/Q(c)) < ln(1 / max_c Q(c))``.
7. **Active references.** Start from the sources kept in step 6 and iterate: keep ``s`` iff at least
   ``share`` (0.40) of its candidates published from ``min_year`` on cite, with ``0 ≤ y(citing) − y(cited) ≤
   cit_window`` (5) and not an author self-citation (a shared ``author_id``), at least one candidate of a
   currently selected source (``s`` itself included). Repeat until the set no longer shrinks.

Core works = candidates of the selected sources published from ``min_year`` on. The set is computed with the
engine (a few small queries per iteration); Python only holds the selected source ids between iterations.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from junkan.indicators.base import StoreTables, affiliation_units

__all__ = ["CWTS_CORE_DEFAULTS", "cwts_core_sources", "cwts_core_works", "cwts_candidates"]

#: [CWTS-CORE] parameters: citation window (years) and share of works with an active reference
CWTS_CORE_DEFAULTS: dict[str, Any] = {"cit_window": 5, "share": 0.4, "min_year": None}

_CACHE: list[tuple[StoreTables, tuple, tuple[str, ...]]] = []


def cwts_candidates(t: StoreTables, units: ir.Table | None = None) -> ir.Table:
    """Works passing steps 1–5: ``work_id, source_id, publication_year``."""
    w = t.works
    journal = (w.source_type == "journal") & w.type.isin(["article", "review"])
    series = (w.source_type == "book series") & w.type.isin(["article", "review", "book-chapter"])
    w = w.filter(journal | series, w.language == "en", w.source_id.notnull())
    if units is None:
        units = affiliation_units(t, country_map={})
    w = w.semi_join(t.authorships.select("work_id"), "work_id")
    w = w.semi_join(units.select("work_id"), "work_id")
    w = w.semi_join(t.references.select("work_id"), "work_id")
    return w.select("work_id", "source_id", "publication_year")


def _international_sources(t: StoreTables, cand: ir.Table, units: ir.Table) -> ir.Table:
    """Step 6: ``source_id, kl, threshold`` of the sources whose country profile passes the KL test."""
    wc = units.select("work_id", "country").distinct().join(cand, "work_id")
    nc = wc.group_by("work_id").aggregate(k=wc.country.nunique())
    wc = wc.join(nc, "work_id").mutate(w=1.0 / ibis._.k.cast("float64"))
    q = wc.group_by("country").aggregate(qw=wc.w.sum())
    tot = q.aggregate(tot=q.qw.sum())
    q = q.cross_join(tot).mutate(q=ibis._.qw / ibis._.tot).select("country", "q")
    qmax = q.aggregate(qmax=q.q.max())
    own = wc.select("source_id", "country", "w")
    r = t.references.filter(t.references.work_id != t.references.cited_work_id)
    cited_src = cand.select(cited_work_id="work_id", cited_source="source_id")
    links = r.join(cited_src, "cited_work_id").select("work_id", "cited_source").distinct()
    citing = wc.select("work_id", citing_source="source_id", country="country", w="w")
    cit = links.join(citing, "work_id")
    cit = cit.filter(cit.citing_source != cit.cited_source)
    cit = cit.select(source_id=cit.cited_source, country=cit.country, w=cit.w)
    p = own.union(cit, distinct=False)
    p = p.group_by(["source_id", "country"]).aggregate(pw=p.w.sum())
    ps = p.group_by("source_id").aggregate(ptot=p.pw.sum())
    p = p.join(ps, "source_id").join(q, "country")
    p = p.mutate(pp=p.pw / p.ptot)
    kl = p.group_by("source_id").aggregate(kl=(p.pp * (p.pp / p.q).ln()).sum())
    kl = kl.cross_join(qmax).mutate(threshold=(1.0 / ibis._.qmax).ln())
    return kl.filter(kl.kl < kl.threshold).select("source_id", "kl", "threshold")


def cwts_core_sources(
    t: StoreTables,
    *,
    cit_window: int = 5,
    share: float = 0.4,
    min_year: int | None = None,
    units: ir.Table | None = None,
) -> tuple[str, ...]:
    """The selected core source ids (steps 1–7), sorted. Cached per store tables and parameters."""
    key = (int(cit_window), float(share), min_year)
    for tt, k, v in _CACHE:
        if tt is t and k == key:
            return v
    if units is None:
        units = affiliation_units(t, country_map={})
    cand = cwts_candidates(t, units)
    selected = sorted(set(_international_sources(t, cand, units).select("source_id").to_pyarrow()
                          .column("source_id").to_pylist()))
    recent = cand if min_year is None else cand.filter(cand.publication_year >= int(min_year))
    r = t.references.filter(t.references.work_id != t.references.cited_work_id)
    citing = recent.select("work_id", source_id="source_id", citing_year="publication_year")
    cited = cand.select(cited_work_id="work_id", cited_source="source_id", cited_year="publication_year")
    links = r.join(citing, "work_id").join(cited, "cited_work_id")
    gap = links.citing_year - links.cited_year
    links = links.filter((gap >= 0) & (gap <= int(cit_window)))
    aa = t.authorships.filter(t.authorships.author_id.notnull()).select("work_id", "author_id").distinct()
    shared = links.select("work_id", "cited_work_id").join(aa, "work_id").join(
        aa.select(cited_work_id="work_id", author_id="author_id"), ["cited_work_id", "author_id"]
    ).select("work_id", "cited_work_id").distinct()
    links = links.anti_join(shared, ["work_id", "cited_work_id"]).select("work_id", "source_id", "cited_source")
    n_works = recent.group_by("source_id").aggregate(n=recent.work_id.nunique())
    while selected:
        sel = ibis.memtable(pa.table({"cited_source": pa.array(selected, pa.string())}))
        act = links.semi_join(sel, "cited_source")
        act = act.group_by("source_id").aggregate(n_active=act.work_id.nunique())
        sh = n_works.filter(n_works.source_id.isin(selected)).join(act, "source_id", how="left")
        sh = sh.select(source_id=sh.source_id, keep=sh.n_active.fill_null(0).cast("float64") >= float(share) * sh.n)
        res = sh.to_pyarrow()
        nxt = sorted(s for s, k in zip(res.column("source_id").to_pylist(), res.column("keep").to_pylist(),
                                       strict=True) if k)
        if nxt == selected:
            break
        selected = nxt
    out = tuple(selected)
    _CACHE.append((t, key, out))
    del _CACHE[:-4]
    return out


def cwts_core_works(t: StoreTables, *, units: ir.Table | None = None, **params: Any) -> ir.Table:
    """Core works: candidates (steps 1–5) of the selected sources published from ``min_year`` on: ``work_id``."""
    opts = {**CWTS_CORE_DEFAULTS, **params}
    if units is None:
        units = affiliation_units(t, country_map={})
    srcs = cwts_core_sources(t, cit_window=opts["cit_window"], share=opts["share"], min_year=opts["min_year"],
                             units=units)
    cand = cwts_candidates(t, units)
    if opts["min_year"] is not None:
        cand = cand.filter(cand.publication_year >= int(opts["min_year"]))
    if not srcs:
        return cand.filter(ibis.literal(False)).select("work_id")
    return cand.filter(cand.source_id.isin(list(srcs))).select("work_id")
