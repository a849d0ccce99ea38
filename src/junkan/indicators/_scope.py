"""The options every country indicator shares (document set, countries, counting, citations, reference sets).

:class:`Scope` validates them once and builds the common intermediate tables; indicator functions take the
same keywords (``**scope``) so that the registry, the CLI and the dashboard can be generic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.indicators.base import (
    PROFILES,
    StoreTables,
    _country_mapping,
    affiliation_units,
    counting_weights,
    document_set,
    normalize_counting,
    parse_countries,
    parse_fields,
    parse_years,
)
from junkan.indicators.blocklist import apply_blocklist, load_blocklist
from junkan.indicators.citations import citation_counts, reference_keys
from junkan.indicators.pages import apply_min_pages, parse_min_pages

__all__ = ["CITING_UNIVERSES", "Scope", "complement_fields", "country_year_frame"]

#: Citing universes (METHODS §0.5): ``all`` works in the store; ``nistep`` = article/review/book-chapter,
#: not paratext (**[DEFAULT]** for NISTEP emulation); ``same`` = the document set of the profile (any year,
#: any field), as CWTS does (citations only from works in the same database).
CITING_UNIVERSES = ("all", "nistep", "same")

_DEFAULT_CITING = {"nistep": "nistep", "cwts": "same", "all": "all"}
# CWTS excludes self-citations by default (@self_cit = 0); NISTEP (WoS times cited, [UNVERIFIED]) and SciVal include.
_DEFAULT_SELF_CITATIONS = {"nistep": True, "cwts": False, "all": True}


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Shared options; ``None`` means "the profile's default" (resolved in ``__post_init__``).

    Parameters
    ----------
    profile
        Document set ``nistep`` | ``cwts`` | ``all`` (METHODS §0.2).
    core
        Core-journal filter: ``"openalex"`` (``sources.is_core``), ``"cwts"`` (CWTS core-source algorithm on the
        store, :mod:`junkan.indicators.core`) or a collection of source ids (§0.7). Default: none.
    exclude_social_sciences
        Drop OpenAlex domain 2 except Psychology; default on for ``nistep`` only.
    country_map
        ``nistep`` | ``cwts`` | ``oecd`` or a mapping; default = the profile's preset (``all`` → ``oecd``).
    counting
        ``whole`` | ``country`` | ``institution`` | ``author`` | ``author_literal`` (aliases ``fractional`` =
        ``institution``, ``integer``/``full`` = ``whole``) (§0.4).
    years, field, country
        Filters: publication years (inclusive), OpenAlex field ids (one or several), output countries
        (one or several; world rows are kept). ``field`` and ``years`` restrict the document set (reference sets are
        per field and year, so this does not change any work's score); ``country`` only filters the output.
    window, census_year
        Fixed citation window in years, and/or last citing year (§0.5). Neither: all links in the store.
    self_citations
        Include self-citations (default: yes for ``nistep``/``all``, no for ``cwts``).
    citing
        Citing universe ``all`` | ``nistep`` | ``same`` (default by profile).
    level, by_type
        Reference sets: ``field`` or ``subfield`` × year (× type) (§0.6).
    complement
        CWTS complement rule for works without a primary topic (§0.6, [CWTS-COMPL]): a null ``field_id`` /
        ``subfield_id`` takes the most frequent one among the work's references (cited works), else among the
        works citing it; ties → the higher id. Only reference sets (``scored``) use it. Default off (see
        docs/indicators.md): such works are then left out of normalised indicators but kept in counts.
    min_pages
        Page-count filter (§0.2 edge cases, §8.1 step 2): drop works with fewer pages when ``work_biblio`` gives
        numeric first and last pages; works without a page count are kept (:mod:`junkan.indicators.pages`).
        Default none (off); ``0`` also means off.
    country_blocklist
        dataesr mismatch files (a path, several, or a folder) whose (work, raw affiliation → country) assignments
        are removed before ``C(p)`` and every counting method (§0.3, :mod:`junkan.indicators.blocklist`).
    """

    profile: str = "nistep"
    core: Any = None
    exclude_social_sciences: bool | None = None
    country_map: Any = None
    counting: str = "whole"
    years: Any = None
    field: Any = None
    country: Any = None
    window: int | None = None
    census_year: int | None = None
    self_citations: bool | None = None
    citing: str | None = None
    level: str = "field"
    by_type: bool = False
    complement: bool = True
    min_pages: int | None = None
    country_blocklist: Any = None

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(f"unknown profile {self.profile!r}. Hint: choose one of {', '.join(PROFILES)}")
        s = object.__setattr__
        s(self, "counting", normalize_counting(self.counting))
        s(self, "years", parse_years(self.years))
        s(self, "field", parse_fields(self.field))
        s(self, "country", parse_countries(self.country))
        if isinstance(self.core, str) and self.core not in ("openalex", "cwts"):
            s(self, "core", tuple(c.strip() for c in self.core.split(",") if c.strip()))
        elif self.core is not None and not isinstance(self.core, str):
            s(self, "core", tuple(sorted({str(c) for c in self.core})))
        s(self, "country_map", _country_mapping(self.country_map, self.profile))
        if self.self_citations is None:
            s(self, "self_citations", _DEFAULT_SELF_CITATIONS[self.profile])
        if self.citing is None:
            s(self, "citing", _DEFAULT_CITING[self.profile])
        if self.citing not in CITING_UNIVERSES:
            raise ConfigError(f"unknown citing universe {self.citing!r}. Hint: choose one of {', '.join(CITING_UNIVERSES)}")
        reference_keys(self.level, by_type=self.by_type)  # validates level
        s(self, "min_pages", parse_min_pages(self.min_pages))
        if self.country_blocklist is not None and self.country_blocklist != ():
            s(self, "country_blocklist", load_blocklist(self.country_blocklist))
        else:
            s(self, "country_blocklist", None)
        for name in ("window", "census_year"):
            v = getattr(self, name)
            if v is not None:
                try:
                    s(self, name, int(v))
                except (TypeError, ValueError):
                    raise ConfigError(f"{name} {v!r}: expected an integer") from None
        if self.window is not None and self.window < 1:
            raise ConfigError(f"window {self.window}: a fixed citation window is at least 1 year")

    # -- provenance -------------------------------------------------------------------------------------------
    def provenance(self) -> dict[str, Any]:
        """The resolved options, JSON-serialisable (recorded with every result)."""
        d = asdict(self)
        d["country_map"] = dict(sorted(self.country_map.items()))
        d["country_blocklist"] = self.country_blocklist.provenance() if self.country_blocklist is not None else None
        for k in ("years", "field", "country", "core"):
            if isinstance(d[k], tuple):
                d[k] = list(d[k])
        return d

    # -- building blocks ---------------------------------------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        return reference_keys(self.level, by_type=self.by_type)

    def units(self, t: StoreTables, works: ir.Table | None = None) -> ir.Table:
        """Affiliation units (mapped countries), restricted early to ``works`` when given."""
        u = affiliation_units(t, country_map=self.country_map, works=works)
        if self.country_blocklist is not None:  # dataesr blocklist (METHODS §0.3), before C(p) and any counting
            u = apply_blocklist(u, t, self.country_blocklist, self.country_map)
        return u  # engine tables: built from temporary tables shared by the indicators of one engine

    def works(self, t: StoreTables, *, years: bool = True) -> ir.Table:
        """The document set (with the year and field filters unless ``years=False``, and the page filter)."""
        return apply_min_pages(self._docset(t, years=years), t.work_biblio, self.min_pages)

    def _docset(self, t: StoreTables, *, years: bool = True) -> ir.Table:
        return document_set(
            t,
            profile=self.profile,
            core=self.core,
            exclude_social_sciences=self.exclude_social_sciences,
            years=self.years if years else None,
            fields=self.field,
            units=self.units(t) if self.profile == "cwts" else None,
        )

    def citing_works(self, t: StoreTables) -> ir.Table:
        w = t.works
        if self.citing == "all":
            return w
        if self.citing == "nistep":
            return w.filter(
                w.type.isin(["article", "review", "book-chapter"]), w.is_paratext.isnull() | ~w.is_paratext
            )
        return document_set(
            t,
            profile=self.profile,
            core=self.core,
            exclude_social_sciences=self.exclude_social_sciences,
            units=self.units(t) if self.profile == "cwts" else None,
        )

    def weights(self, t: StoreTables, works: ir.Table, *, counting: str | None = None, years: bool = True) -> ir.Table:
        """``work_id, country, weight`` for the works of ``works`` (a subset of the document set, with the year
        filter unless ``years=False``)."""
        docset = self.works(t, years=years)
        cw = counting_weights(t, self.units(t, docset), counting=counting or self.counting)
        if works.op() == docset.op():  # the units are already restricted to these works
            return cw
        return cw.semi_join(works.select("work_id"), "work_id")

    def scored(
        self,
        t: StoreTables,
        *,
        tops: Mapping[str, tuple[Any, str]] | None = None,
        ncs: bool = False,
        years: bool = True,
    ) -> ir.Table:
        """Document-set works with ``citations``, ``in_set`` (has a reference set), optional ``ncs`` and one
        Top-x% column per entry of ``tops`` (``{"top10": (10, "cwts")}``)."""
        from junkan.indicators.impact import ncs as ncs_fn
        from junkan.indicators.top import top_shares

        w = self.works(t, years=years)
        base = w.select("work_id", "publication_year", "type", "source_id", "field_id", "subfield_id", "domain_id")
        if self.complement:
            base = complement_fields(base, t)
        cit = citation_counts(
            base,
            t.references,
            self.citing_works(t),
            authorships=t.authorships,
            window=self.window,
            census_year=self.census_year,
            self_citations=bool(self.self_citations),
        )
        # the document set with citations is the same for every level, Top method and indicator: shared
        s = t.cached(base.join(cit, "work_id"))
        keys = self.keys
        in_set = ibis.literal(True)
        for k in keys:
            in_set = in_set & s[k].notnull()
        s = s.mutate(in_set=in_set)
        extra: list[tuple[str, ir.Table]] = []
        for name, (pct, method) in (tops or {}).items():
            extra.append((name, top_shares(s, keys=keys, pct=pct, method=method).rename({name: "top"})))
        if ncs:
            extra.append(("ncs", ncs_fn(s, keys=keys)))
        for name, tbl in extra:
            tbl = tbl.rename({f"_wid_{name}": "work_id"})
            s = s.left_join(tbl, s.work_id == tbl[f"_wid_{name}"]).drop(f"_wid_{name}")
        return s


def _mode(links: ir.Table) -> ir.Table:
    """``work_id, v``: the most frequent ``v`` per work (ties → the higher ``v``)."""
    c = links.group_by(["work_id", "v"]).aggregate(k=links.count())
    c = c.mutate(r=ibis.row_number().over(group_by=c.work_id, order_by=[ibis.desc(c.k), ibis.desc(c.v)]))
    return c.filter(c.r == 0).select("work_id", "v")


def complement_fields(base: ir.Table, t: StoreTables) -> ir.Table:
    """CWTS complement rule (METHODS §0.6, [CWTS-COMPL]): fill null ``field_id`` and ``subfield_id`` of ``base``
    (any table with ``work_id`` and these columns) with the most frequent value among the work's cited works in
    the store, else among the works citing it; ties → the higher id. Each column is filled independently."""
    r = t.references.filter(t.references.work_id != t.references.cited_work_id).select("work_id", "cited_work_id")
    out = base
    for col in ("field_id", "subfield_id"):
        typ = base.schema()[col]
        miss = out.filter(out[col].isnull()).select("work_id")
        known = t.works.filter(t.works[col].notnull()).select("work_id", v=t.works[col].cast(typ))
        refs = r.semi_join(miss, "work_id").join(known.rename(cited_work_id="work_id"), "cited_work_id")
        by_refs = _mode(refs.select("work_id", "v"))
        cites = r.semi_join(miss.rename(cited_work_id="work_id"), "cited_work_id").join(known, "work_id")
        by_cites = _mode(cites.select(work_id=cites.cited_work_id, v=cites.v)).anti_join(by_refs, "work_id")
        m = by_refs.union(by_cites).rename(_cw="work_id", _cv="v")
        j = out.left_join(m, out.work_id == m._cw)
        out = j.mutate(**{col: ibis.coalesce(j[col], j._cv)}).drop("_cw", "_cv")
    return out


def country_year_frame(
    sc: Scope,
    t: StoreTables,
    scored: ir.Table,
    extra: Callable[[ir.Table, ir.FloatingValue], dict[str, ir.Value]] | None = None,
    *,
    counting: str | None = None,
) -> ir.Table:
    """Aggregate weighted works per ``country, year``: ``p = Σ w``, ``p_norm = Σ w·1[in_set]`` plus ``extra``.

    ``extra(j, w)`` receives the joined table and the weight column and returns named aggregates.
    """
    # weights of the (year-filtered) document set, restricted to ``scored`` by the inner join below: the same rows
    # as sc.weights(t, scored) without its semi join
    wts = sc.weights(t, sc.works(t), counting=counting)
    j = scored.join(wts, "work_id")
    w = j.weight
    aggs: dict[str, ir.Value] = {
        "p": w.sum(),
        "p_norm": ibis.cases((j.in_set, w), else_=ibis.literal(0.0, "float64")).sum(),
    }
    if extra is not None:
        aggs.update(extra(j, w))
    out = j.group_by(["country", "publication_year"]).aggregate(**aggs)
    return out.rename(year="publication_year")
