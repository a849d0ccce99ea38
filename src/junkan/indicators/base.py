"""Building blocks shared by every indicator: document sets, countries, counting methods, filters.

Everything here maps Ibis tables to Ibis tables and never names a backend, so the same expression runs
on DuckDB and on PySpark (STACK.md §2). Section numbers refer to ``METHODS.md``.

Affiliation units
-----------------
An *affiliation unit* is one affiliation of one authorship that carries a country (METHODS §0.3, §0.4):

* every institution matched to the authorship whose ``institutions.country_code`` is known
  (``unit_id = "I:" + institution_id``);
* for every country in ``authorship_countries`` that none of the authorship's institutions carries,
  one **pseudo-unit** ``"R:" + country + ":" + raw affiliation key`` **[DEFAULT]**. The store keeps the
  raw affiliation strings per authorship, not per country, so the key is the authorship's raw strings,
  sorted and joined with ``" | "``; an authorship without raw strings gets its own pseudo-unit
  (``"#" + author_position``). Two authorships listing the same raw strings share the pseudo-unit.

Institutions with an unknown country are not units (their share of an author is not "lost" but
spread over the author's known affiliations); authorships without any unit have no country. Countries
are mapped (HK, MO → CN …) *before* units are formed, so an author at a HK and a CN institution has two
CN units. ``K(a)`` is the set of unit countries of authorship ``a`` and ``C(p)`` the union over the work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from junkan.errors import ConfigError
from junkan.model.countries import WORLD
from junkan.model.countries import country_map as resolve_country_map
from junkan.model.schema import TABLES

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = [
    "COUNTING_ALIASES",
    "COUNTING_METHODS",
    "PROFILES",
    "StoreTables",
    "affiliation_units",
    "apply_country_filter",
    "counting_weights",
    "document_set",
    "normalize_counting",
    "parse_countries",
    "parse_fields",
    "parse_pct",
    "parse_years",
    "work_countries",
    "work_country_units",
]

#: Counting methods (METHODS §0.4). ``whole`` = integer counting (NISTEP 関与度, CWTS full counting);
#: ``country`` = equal split over C(p); ``institution`` = NISTEP 分数カウント (貢献度) over affiliation units;
#: ``author`` = author-level fractional renormalised over authors with a country (default of §0.4);
#: ``author_literal`` = LROE literal (1/n_auth, unaffiliated authors' shares lost).
COUNTING_METHODS = ("whole", "country", "institution", "author", "author_literal")

#: Accepted synonyms. ``fractional`` means NISTEP's institution-level fractional counting **[DEFAULT]**
#: (Appendix C.1), because the headline country rankings follow NISTEP.
COUNTING_ALIASES: Mapping[str, str] = {"integer": "whole", "full": "whole", "fractional": "institution"}

#: Document-set profiles (METHODS §0.2).
PROFILES = ("nistep", "cwts", "all")

_PROFILE_COUNTRY_MAP = {"nistep": "nistep", "cwts": "cwts", "all": "oecd"}

# OpenAlex domain 2 = Social Sciences, field 32 = Psychology (kept by ESI/NISTEP).
_SOCIAL_SCIENCES_DOMAIN = 2
_PSYCHOLOGY_FIELD = 32


@dataclass(frozen=True)
class StoreTables:
    """The store tables an indicator reads, as Ibis tables (one bundle so signatures stay short)."""

    works: ir.Table
    authorships: ir.Table
    authorship_institutions: ir.Table
    authorship_countries: ir.Table
    institutions: ir.Table
    sources: ir.Table
    references: ir.Table
    work_biblio: ir.Table | None = None  # page numbers: only the page-count filter (min_pages) reads it

    @classmethod
    def from_engine(cls, engine: Engine) -> StoreTables:
        """All tables of ``engine``'s store; shared intermediates are materialised once per engine
        (:meth:`cached`)."""
        t = cls(**{f.name: engine.table(f.name) for f in fields(cls)})
        object.__setattr__(t, "_cache", engine.cached)  # not a field: equality and the column checks ignore it
        return t

    def cached(self, expr: ir.Table) -> ir.Table:
        """``expr`` materialised once by the engine these tables come from (``Engine.cached``: a DuckDB temporary
        table shared by structurally equal expressions); ``expr`` itself for tables built by hand."""
        cache = self.__dict__.get("_cache")
        return expr if cache is None else cache(expr)

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) is not None or f.name != "work_biblio":
                require_columns(getattr(self, f.name), f.name)


def require_columns(table: ir.Table, name: str) -> None:
    """Raise :class:`ConfigError` naming the table and its missing columns unless ``table`` has the store columns."""
    wanted = TABLES[name].column_names
    missing = [c for c in wanted if c not in table.columns]
    if missing:
        raise ConfigError(
            f"table {name!r} lacks columns {missing}; it has {list(table.columns)}. "
            "Hint: pass the store table itself (junkan.model.schema)"
        )


# ---------------------------------------------------------------------------------------------------------------
# option parsing (shared by the registry and the functions)


def normalize_counting(counting: str) -> str:
    """Canonical counting-method name (aliases resolved); :class:`ConfigError` when unknown."""
    c = COUNTING_ALIASES.get(counting, counting)
    if c not in COUNTING_METHODS:
        raise ConfigError(
            f"unknown counting method {counting!r}. Hint: choose one of {', '.join(COUNTING_METHODS)} "
            f"(aliases: {', '.join(f'{k}={v}' for k, v in COUNTING_ALIASES.items())})"
        )
    return c


def parse_years(years: Any) -> tuple[int, int] | None:
    """``None``, ``2020``, ``"2000-2022"``, ``"2020"`` or ``(2000, 2022)`` → inclusive ``(start, end)``."""
    if years is None or years == "":
        return None
    try:
        if isinstance(years, int):
            return (years, years)
        if isinstance(years, str):
            parts = years.replace("–", "-").split("-")
            if len(parts) == 1:
                return (int(parts[0]), int(parts[0]))
            if len(parts) == 2:
                start, end = int(parts[0]), int(parts[1])
            else:
                raise ValueError
        else:
            start, end = (int(v) for v in years)
    except (TypeError, ValueError):
        raise ConfigError(f"years {years!r}: expected a year, 'START-END' or (start, end)") from None
    if start > end:
        raise ConfigError(f"years {years!r}: start {start} is after end {end}")
    return (start, end)


def parse_countries(countries: Any) -> tuple[str, ...] | None:
    """``None``, ``"JP"``, ``"JP,US"`` or a sequence of codes → tuple of upper-case codes."""
    if countries is None or countries == "":
        return None
    items = countries.split(",") if isinstance(countries, str) else list(countries)
    out = tuple(str(c).strip().upper() for c in items if str(c).strip())
    for c in out:
        if not (len(c) in (2, 3) and c.isalpha()):
            raise ConfigError(f"country {c!r}: expected an ISO 3166-1 alpha-2 code such as 'JP'")
    return out or None


def parse_fields(fields_: Any) -> tuple[int, ...] | None:
    """``None``, ``23``, ``"23,27"`` or a sequence of OpenAlex field ids → tuple of ints."""
    if fields_ is None or fields_ == "":
        return None
    items = fields_.split(",") if isinstance(fields_, str) else ([fields_] if isinstance(fields_, int) else fields_)
    try:
        return tuple(int(str(f).strip()) for f in items if str(f).strip())
    except ValueError:
        raise ConfigError(f"field {fields_!r}: expected OpenAlex field ids (integers such as 23)") from None


def parse_pct(pct: Any) -> Fraction:
    """Top-x% share as an exact fraction of 100 (``10`` → 10, ``"0.5"`` → 1/2); must be in (0, 100]."""
    try:
        x = Fraction(str(pct))
    except (TypeError, ValueError, ZeroDivisionError):
        raise ConfigError(f"pct {pct!r}: expected a number such as 10 or 1") from None
    if not 0 < x <= 100:
        raise ConfigError(f"pct {pct!r}: must be in (0, 100]")
    return x


def _country_mapping(country_map: str | Mapping[str, str] | None, profile: str) -> dict[str, str]:
    return resolve_country_map(_PROFILE_COUNTRY_MAP[profile] if country_map is None else country_map)


def _map_country(col: ir.StringValue, mapping: Mapping[str, str]) -> ir.StringValue:
    return col.substitute(dict(mapping)) if mapping else col


# ---------------------------------------------------------------------------------------------------------------
# document sets (METHODS §0.2, §0.7)


def document_set(
    t: StoreTables,
    *,
    profile: str = "nistep",
    core: str | Iterable[str] | None = None,
    exclude_social_sciences: bool | None = None,
    years: tuple[int, int] | None = None,
    fields: Sequence[int] | None = None,
    units: ir.Table | None = None,
) -> ir.Table:
    """Works that count, as ``works`` rows (all store columns).

    Profiles (METHODS §0.2):

    * ``nistep`` **[DEFAULT emulation]**: ``type ∈ {article, review}``, ``source_type = journal``, not
      paratext, not retracted; social sciences (OpenAlex domain 2) are excluded except Psychology (field 32)
      unless ``exclude_social_sciences=False`` (NISTEP covers SCIE only).
    * ``cwts``: ``doc_type_no ≠ 1`` of [CWTS-IND-02] — article/review in a journal; article/review/book-chapter
      in a book series, conference or ebook platform — and the "required metadata" rule: not retracted,
      a source, ≥ 1 authorship, ≥ 1 affiliation unit and ≥ 1 reference in the ``references`` table.
    * ``all``: every work.

    ``core`` restricts to a WoS-like core-journal set (§0.7): ``"openalex"`` uses OpenAlex's
    ``sources.is_core`` flag, ``"cwts"`` the core works of CWTS's core-source algorithm computed on the store
    (English, international scope, active references: :mod:`junkan.indicators.core`), an iterable of source ids
    uses that set. ``years`` (inclusive) and ``fields``
    (OpenAlex field ids) filter on the primary topic; works without a year are dropped only when ``years``
    is given.
    """
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}. Hint: choose one of {', '.join(PROFILES)}")
    w = t.works
    not_true = lambda col: col.isnull() | ~col  # noqa: E731 - null flags count as false
    if profile == "nistep":
        w = w.filter(
            w.type.isin(["article", "review"]),
            w.source_type == "journal",
            not_true(w.is_paratext),
            not_true(w.is_retracted),
        )
        if exclude_social_sciences is None or exclude_social_sciences:
            w = w.filter(
                w.domain_id.isnull() | (w.domain_id != _SOCIAL_SCIENCES_DOMAIN) | (w.field_id == _PSYCHOLOGY_FIELD)
            )
    elif profile == "cwts":
        journal = (w.source_type == "journal") & w.type.isin(["article", "review"])
        other = w.source_type.isin(["book series", "conference", "ebook platform"]) & w.type.isin(
            ["article", "review", "book-chapter"]
        )
        w = w.filter(journal | other, not_true(w.is_retracted), w.source_id.notnull())
        if exclude_social_sciences:
            w = w.filter(
                w.domain_id.isnull() | (w.domain_id != _SOCIAL_SCIENCES_DOMAIN) | (w.field_id == _PSYCHOLOGY_FIELD)
            )
        has_author = t.authorships.select("work_id").distinct()
        if units is None:
            units = affiliation_units(t, country_map={})
        has_aff = units.select("work_id").distinct()
        has_ref = t.references.select("work_id").distinct()
        w = w.semi_join(has_author, "work_id").semi_join(has_aff, "work_id").semi_join(has_ref, "work_id")
    elif exclude_social_sciences:
        w = w.filter(w.domain_id.isnull() | (w.domain_id != _SOCIAL_SCIENCES_DOMAIN) | (w.field_id == _PSYCHOLOGY_FIELD))
    if core is not None:
        if isinstance(core, str):
            if core == "cwts":  # CWTS core-source algorithm computed on the store (junkan.indicators.core)
                from junkan.indicators.core import cwts_core_works

                w = w.semi_join(cwts_core_works(t), "work_id")
            elif core != "openalex":
                raise ConfigError(f"core {core!r}: use 'openalex' (sources.is_core), 'cwts' (the CWTS core-source "
                                  "algorithm, METHODS §0.7) or a collection of source ids")
            else:
                w = w.semi_join(t.sources.filter(t.sources.is_core).select("source_id"), "source_id")
        else:
            ids = sorted({str(s) for s in core})
            if not ids:
                raise ConfigError("core: the set of core source ids is empty")
            w = w.filter(w.source_id.isin(ids))
    if years is not None:
        w = w.filter(w.publication_year.between(years[0], years[1]))
    if fields:
        w = w.filter(w.field_id.isin(list(fields)))
    return w


# ---------------------------------------------------------------------------------------------------------------
# countries and counting (METHODS §0.3, §0.4)


def affiliation_units(
    t: StoreTables, *, country_map: Mapping[str, str], works: ir.Table | None = None
) -> ir.Table:
    """Affiliation units of every authorship: ``work_id, author_position, unit_id, country`` (see module doc).

    ``works`` (any table with ``work_id``) restricts the computation to those works early, which is much cheaper
    than filtering afterwards when the document set is a small part of the store (a few years, one field).
    """
    ai, ac0, a = t.authorship_institutions, t.authorship_countries, t.authorships
    if works is not None:
        ids = works.select("work_id")
        ai, ac0 = ai.semi_join(ids, "work_id"), ac0.semi_join(ids, "work_id")  # authorships: via `uncovered`
    inst = t.institutions.filter(t.institutions.country_code.notnull() & (t.institutions.country_code != ""))
    inst = inst.select("institution_id", country=_map_country(inst.country_code.upper(), country_map))
    iu = ai.join(inst, ai.institution_id == inst.institution_id).select(
        ai.work_id, ai.author_position, unit_id=ibis.literal("I:") + ai.institution_id, country=inst.country
    )
    # engine tables: the institution units and the pseudo-units are materialised in two steps (temporary tables,
    # StoreTables.cached): one query holding both needs more memory than DuckDB can spill (docs/benchmarks.md)
    iu = t.cached(iu)
    ac = ac0.filter(ac0.country_code.notnull() & (ac0.country_code != ""))
    ac = ac.select("work_id", "author_position", country=_map_country(ac.country_code.upper(), country_map))
    # authorship countries no institution of the authorship carries: one GROUP BY over both sources (the distinct
    # countries and the anti join in one spillable hash aggregate) instead of DISTINCT + anti join
    one, zero = ibis.literal(1, "int8"), ibis.literal(0, "int8")
    both = iu.select("work_id", "author_position", "country", inst_=one).union(ac.mutate(inst_=zero))
    flags = both.group_by(["work_id", "author_position", "country"]).aggregate(inst_=both.inst_.max())
    uncovered = flags.filter(flags.inst_ == zero).drop("inst_")
    # the raw affiliation key only for those authorships (a few %), not for every authorship
    raws = a.select("work_id", "author_position", raw_=a.raw_affiliation_strings)
    pu = uncovered.join(raws, ["work_id", "author_position"], how="left")
    pos_key = ibis.literal("#") + pu.author_position.cast("string")
    raw_key = ibis.cases((pu.raw_.isnull() | (pu.raw_.length() == 0), pos_key), else_=pu.raw_.sort().join(" | "))
    pu = pu.select(
        "work_id",
        "author_position",
        unit_id=ibis.literal("R:") + pu.country + ibis.literal(":") + raw_key,
        country=pu.country,
    )
    pu = t.cached(pu)
    return iu.union(pu)


def work_countries(units: ir.Table) -> ir.Table:
    """``C(p)`` as rows ``work_id, country`` (distinct), plus ``n_countries = #C(p)``.

    A GROUP BY joined back rather than a window partitioned by work: DuckDB's hash aggregates and joins spill
    under ``memory_limit``, such a window does not (docs/benchmarks.md, "Larger than memory").
    """
    wc = units.select("work_id", "country").distinct()
    n = wc.group_by("work_id").aggregate(n_countries=wc.country.count())
    return wc.join(n, "work_id").select("work_id", "country", "n_countries")


def work_country_units(units: ir.Table) -> ir.Table:
    """Per work and unit country: ``work_id, country, k, n_units, n_countries``.

    ``k = #{u ∈ U(p): c(u) = X}`` (distinct affiliation units of the work in country ``X``), ``n_units = #U(p)``
    and ``n_countries = #C(p)``. Every whole, country and institution weight derives from it, and it is much
    smaller than the units, so the indicators of one engine share it (:meth:`StoreTables.cached`). GROUP BYs
    and a join only (spillable; no window).
    """
    wu = units.select("work_id", "unit_id", "country").distinct()
    per = wu.group_by(["work_id", "country"]).aggregate(k=wu.unit_id.count().cast("int64"))
    tot = per.group_by("work_id").aggregate(n_units=per.k.sum().cast("int64"),
                                            n_countries=per.country.count().cast("int64"))
    return per.join(tot, "work_id").select("work_id", "country", "k", "n_units", "n_countries")


def counting_weights(t: StoreTables, units: ir.Table, *, counting: str) -> ir.Table:
    """Credit ``w_X(p)`` of every country for every work: ``work_id, country, weight`` (METHODS §0.4).

    .. math::

        \\text{whole: } 1[X∈C(p)] \\quad
        \\text{country: } 1/\\#C(p) \\quad
        \\text{institution: } \\#\\{u∈U(p): c(u)=X\\}/\\#U(p)

        \\text{author\\_literal: } \\frac{1}{n_{auth}(p)} \\sum_a \\frac{\\#\\{u∈Aff(a): c(u)=X\\}}{\\#Aff(a)}
        \\quad \\text{author: same, divided by } \\#\\{a: Aff(a)≠∅\\}/n_{auth}(p)

    ``U(p)`` = distinct affiliation units of the work, ``Aff(a)`` = units of authorship ``a``. All fractional
    weights except ``author_literal`` sum to 1 over the countries of every work with ``C(p) ≠ ∅``;
    ``author_literal`` sums to the share of authorships with a country (LROE [LROE-SQL]).
    """
    counting = normalize_counting(counting)
    if counting in ("whole", "country", "institution"):
        # one shared per-(work, country) table, materialised once per engine; no window (spillable)
        wcu = t.cached(work_country_units(units))
        if counting == "whole":
            return wcu.select("work_id", "country", weight=ibis.literal(1.0, "float64"))
        if counting == "country":
            return wcu.select("work_id", "country", weight=ibis.literal(1.0, "float64") / wcu.n_countries)
        return wcu.select("work_id", "country", weight=wcu.k.cast("float64") / wcu.n_units.cast("float64"))
    # author-level: each authorship's unit shares, then per work
    per_a = units.group_by(["work_id", "author_position", "country"]).aggregate(k=units.unit_id.count())
    n_aff = per_a.group_by(["work_id", "author_position"]).aggregate(n_aff=per_a.k.sum())
    per_a = per_a.join(n_aff, ["work_id", "author_position"])
    per_a = per_a.mutate(share=per_a.k.cast("float64") / per_a.n_aff)
    per = per_a.group_by(["work_id", "country"]).aggregate(s=per_a.share.sum())
    if counting == "author_literal":
        n_auth = t.authorships.group_by("work_id").aggregate(n_auth=t.authorships.count())
        j = per.join(n_auth, "work_id")
        return j.select("work_id", "country", weight=j.s / j.n_auth)
    n_with = units.select("work_id", "author_position").distinct().group_by("work_id").aggregate(n_with=ibis._.count())
    j = per.join(n_with, "work_id")
    return j.select("work_id", "country", weight=j.s / j.n_with)


def apply_country_filter(table: ir.Table, countries: Sequence[str] | None, column: str = "country") -> ir.Table:
    """Keep rows whose ``column`` is one of ``countries`` or the world row (output filter; reference sets and
    world totals are never filtered)."""
    if not countries:
        return table
    return table.filter(table[column].isin([*countries, WORLD]))
