"""The mobility registry: ``junkan mobility NAME [options]`` and the dashboard are generic over :data:`REGISTRY`.

Every spec lists its options (type, default, help in English and Japanese) with the indicator core's
:class:`~junkan.indicators.registry.Option`, and :func:`run` accepts Python values or command-line strings
(``"2006-2016"``, ``"true"``, ``"JP,US"``) and returns an :class:`~junkan.indicators.registry.IndicatorResult`
(Arrow table sorted by the spec's keys + provenance).

>>> sorted(REGISTRY)
['abroad', 'classes', 'compare', 'flows', 'impact', 'pairs', 'rates', 'reference_flows', 'reference_rates', 'trajectories']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from junkan.errors import ConfigError
from junkan.indicators.base import PROFILES, StoreTables, parse_countries
from junkan.indicators.registry import IndicatorResult, Option, resolve_options
from junkan.indicators.top import TOP_METHODS
from junkan.mobility.abroad import RANK_BY, abroad
from junkan.mobility.classes import classes, rates
from junkan.mobility.flows import flows, pairs
from junkan.mobility.impact import impact_by_class
from junkan.mobility.population import select_authors, select_works
from junkan.mobility.reference import DATABASES, compare_rates, mpidr_flows, mpidr_rates
from junkan.mobility.trajectories import SOURCES, trajectories
from junkan.model.countries import COUNTRY_MAPS

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = ["REGISTRY", "MobilitySpec", "run"]

O = Option

TRAJ = (
    O("profile", "str", "nistep", "Document set of the papers: nistep, cwts or all (METHODS 0.2).", "文献セット", PROFILES),
    O("country_map", "str", "oecd", "Country mapping: oecd (identity, default for mobility), nistep or cwts (HK, MO→CN).",
      "国・地域の対応", tuple(COUNTRY_MAPS)),
    O("source", "str", "works", "Evidence: works, affiliations (author affiliation years) or works+affiliations.",
      "所属国の根拠", SOURCES),
    O("years", "years", None, "Years of evidence kept, e.g. 2000-2022.", "対象年"),
    O("lookback_start", "int", 1996, "First year considered (first economy F(a) from then on).", "遡及開始年"),
    O("min_works", "int", 1, "Minimum works carrying the main economy in a year.", "年あたり最少論文数"),
    O("min_years", "int", 1, "Minimum years with a main economy per author (2 = trackable only).", "最少活動年数"),
    O("max_authors", "int", None, "Drop works with more authors than this (large-team sensitivity).", "著者数上限"),
    O("orcid_only", "bool", False, "Only authors with an ORCID (disambiguation sensitivity).", "ORCID保有者のみ"),
    O("robust", "bool", False, "Suppress unsupported one-year changes (robust moves, METHODS 1.4).", "頑健な移動のみ"),
    O("tie_passes", "int", 6, "Rounds of tie rule (i) (exact for runs of this many tied years).", "同率処理の反復回数"),
    # population
    O("field", "int_list", None, "Population: works in these OpenAlex fields.", "対象分野(論文)"),
    O("subfield", "int_list", None, "Population: works in these OpenAlex subfields.", "対象サブ分野(論文)"),
    O("institution", "str_list", None, "Population: authors ever affiliated with these institution ids.", "対象機関"),
    O("authors", "str_list", None, "Population: these author ids (A…) or ORCID iDs.", "対象著者"),
    O("author_list", "str", None, "Population: a cohort file (CSV with author_id/openalex_author_id/orcid).",
      "対象著者リスト"),
)
GAP = (O("max_gap", "int", None, "Maximum years since the previous publication (default: none).", "最大空白年数"),)
COUNTRY = (O("country", "str_list", None, "Countries to show (ISO alpha-2).", "表示する国"),)
CITES = (
    O("level", "str", "subfield", "Reference sets: subfield (default for impact) or field × year.", "基準集合",
      ("field", "subfield")),
    O("window", "int", 3, "Fixed citation window in years (default 3: y … y+2, METHODS 1.3.6).", "引用ウィンドウ"),
    O("pct", "number", 10, "Top x %.", "上位 x %"),
    O("top_method", "str", "cwts", "Top x% tie rule: cwts, nistep or nistep_exclusive.", "同順位の扱い", TOP_METHODS),
)
PERIOD = (O("period", "years", "2006-2016", "Window of the first vs last main economy (OECD: 2006-2016).", "期間"),)


@dataclass(frozen=True)
class MobilitySpec:
    """One mobility output: name, function over (engine, resolved options), titles, METHODS section, options, keys."""

    name: str
    func: Callable[[Engine, dict[str, Any]], ir.Table | pa.Table]
    title: str
    title_ja: str
    section: str
    options: tuple[Option, ...]
    keys: tuple[str, ...]

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()


def _tables(engine: Engine) -> StoreTables:
    return StoreTables.from_engine(engine)


def _traj(engine: Engine, o: dict[str, Any]) -> ir.Table:
    t = _tables(engine)
    works = select_works(t, field=o["field"], subfield=o["subfield"])
    ids = [a for a in (o["authors"] or ()) if not a[:1].isdigit()]
    orcids = [a for a in (o["authors"] or ()) if a[:1].isdigit()]
    authors = select_authors(t, institutions=o["institution"], author_ids=ids, orcids=orcids,
                             author_list=o["author_list"])
    return trajectories(
        t, profile=o["profile"], country_map=o["country_map"], source=o["source"],
        affiliations=engine.table("author_affiliations") if o["source"] != "works" else None,
        works=works, authors=authors, years=o["years"], lookback_start=o["lookback_start"], min_works=o["min_works"],
        min_years=o["min_years"], max_authors=o["max_authors"], orcid_only=o["orcid_only"], robust=o["robust"],
        tie_passes=o["tie_passes"],
    )


def _filter_country(expr: ir.Table, countries: Any, *cols: str) -> ir.Table:
    cs = parse_countries(countries)
    if not cs:
        return expr
    cond = None
    for c in cols:
        e = expr[c].isin(list(cs))
        cond = e if cond is None else (cond | e)
    return expr.filter(cond)


def _run_traj(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Main economy per author and year (METHODS 1.3.1–3): see :func:`junkan.mobility.trajectories`."""
    return _traj(engine, o)


def _run_classes(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Mobility class per author-year (METHODS 1.3.4): see :func:`junkan.mobility.classes`."""
    return _filter_country(classes(_traj(engine, o), max_gap=o["max_gap"]), o["country"], "country")


def _run_rates(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Inflow/outflow/net rates by country and year, OECD denominators and the MPIDR padded population (METHODS 1.3.5)."""
    tr = _traj(engine, o)
    r = rates(classes(tr, max_gap=o["max_gap"]), trajectories=tr if o["padded"] else None)
    return _filter_country(r, o["country"], "country")


def _run_flows(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Directed author flows by first vs last main economy in the period (METHODS 2.2)."""
    f = flows(_traj(engine, o), period=o["period"], min_flow=o["min_flow"])
    return _filter_country(f, o["country"], "origin", "destination")


def _run_pairs(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Country pairs ranked by gross flow with the net beneficiary (METHODS 2.2 steps 4, 6)."""
    p = pairs(flows(_traj(engine, o), period=o["period"]))
    return _filter_country(p, o["country"], "country_a", "country_b")


def _run_impact(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """MNCS and Top10% share of stayers, new inflows, returnees and outflows (METHODS 1.3.6; briefing page 2)."""
    t = _tables(engine)
    tr = _traj(engine, o)
    out = impact_by_class(
        t, classes(tr, max_gap=o["max_gap"]), periods=o["periods"], works=select_works(t, field=o["field"],
                                                                                       subfield=o["subfield"]),
        profile=o["profile"], level=o["level"], window=o["window"], pct=o["pct"], top_method=o["top_method"],
    )
    return _filter_country(out, o["country"], "country")


def _run_abroad(engine: Engine, o: dict[str, Any]) -> ir.Table:
    """Authors once affiliated in the focus country now abroad (and returnees), ranked by impact (briefing page 14)."""
    t = _tables(engine)
    return abroad(
        _traj(engine, o), t, focus=o["focus"], include_returnees=o["include_returnees"], recent=o["recent"],
        recent_years=o["recent_years"], active_since=o["active_since"], field=o["main_field"],
        min_recent_works=o["min_recent_works"], rank_by=o["rank_by"], profile=o["profile"], level=o["level"],
        window=o["window"], pct=o["pct"], top_method=o["top_method"],
    )


def _run_ref_rates(engine: Engine, o: dict[str, Any]) -> pa.Table:
    """Published MPIDR country-year migration rates (reference layer, with source)."""
    r = mpidr_rates(database=o["database"], path=o["path"])
    cs = parse_countries(o["country"])
    return r.filter(pc.is_in(r["country"], pa.array(list(cs)))) if cs else r


def _run_ref_flows(engine: Engine, o: dict[str, Any]) -> pa.Table:
    """Published MPIDR (Scopus) bilateral flows 2008–2018 (reference layer, with source)."""
    r = mpidr_flows(path=o["path"])
    cs = parse_countries(o["country"])
    if cs:
        vals = pa.array(list(cs))
        r = r.filter(pc.or_(pc.is_in(r["origin"], vals), pc.is_in(r["destination"], vals)))
    return r


def _run_compare(engine: Engine, o: dict[str, Any]) -> pa.Table:
    """junkan's padded-population rates next to the published MPIDR rates, per country and year."""
    tr = _traj(engine, o)
    own = engine.to_pyarrow(_filter_country(rates(classes(tr), trajectories=tr), o["country"], "country"))
    ref = _run_ref_rates(engine, o)
    return compare_rates(own, ref).filter(pc.is_valid(pc.field("junkan_padded_population")))


_REF = (
    O("database", "str", "openalex", "MPIDR database: openalex or scopus.", "データベース", DATABASES),
    O("path", "str", None, "Folder with the original MPIDR files (default: the reduced tables shipped with junkan).",
      "MPIDRデータの場所"),
)

REGISTRY: dict[str, MobilitySpec] = {
    s.name: s
    for s in (
        MobilitySpec("trajectories", _run_traj, "Main economy per author and year", "著者・年ごとの主たる所属国",
                     "1.3.1-3", TRAJ, ("author_id", "year")),
        MobilitySpec("classes", _run_classes, "Mobility class per author-year", "著者・年ごとの移動区分", "1.3.4, D.3",
                     TRAJ + GAP + COUNTRY, ("author_id", "year", "class")),
        MobilitySpec("rates", _run_rates, "Inflow, outflow and net migration rates", "流入率・流出率・純移動",
                     "1.3.5", TRAJ + GAP + COUNTRY + (
                         O("padded", "bool", True, "Add the MPIDR padded-population rates.", "パディング人口の率"),),
                     ("country", "year")),
        MobilitySpec("flows", _run_flows, "Bilateral author flows (first vs last main economy)",
                     "二国間の研究者移動(最初と最後の所属国)", "2", TRAJ + PERIOD + COUNTRY + (
                         O("min_flow", "int", 1, "Drop directed flows below this.", "最小移動数"),),
                     ("origin", "destination")),
        MobilitySpec("pairs", _run_pairs, "Top connections by gross flow", "総移動数による上位の国の組", "2.2",
                     TRAJ + PERIOD + COUNTRY, ("rank", "country_a", "country_b")),
        MobilitySpec("impact", _run_impact, "Citation impact by mobility class", "移動区分別の被引用インパクト",
                     "1.3.6", TRAJ + GAP + COUNTRY + CITES + (
                         O("periods", "str", None, "Pool years into periods, e.g. 2006-2010,2011-2016.", "期間"),),
                     ("country", "year", "period", "class")),
        MobilitySpec("abroad", _run_abroad, "Researchers abroad once affiliated in a focus country",
                     "海外で活躍する(かつて国内に所属した)研究者", "1 (briefing p.14)", TRAJ + CITES + (
                         O("focus", "str", None, "Focus country (ISO alpha-2).", "対象国", required=True),
                         O("include_returnees", "bool", True, "Also list returnees.", "帰国者を含める"),
                         O("recent", "years", None, "Recent window for impact, e.g. 2019-2023 (default: each "
                           "author's last recent_years years).", "直近期間"),
                         O("recent_years", "int", 5, "Years in the per-author recent window.", "直近年数"),
                         O("active_since", "int", None, "Last year with a main economy at least this.", "活動年"),
                         O("main_field", "int_list", None, "Main field of the author (OpenAlex field ids).", "主分野"),
                         O("min_recent_works", "int", 1, "Minimum works in the recent window.", "直近の最少論文数"),
                         O("rank_by", "str", "mncs", "Rank by mncs (field-normalised impact) or top (Top10% credits).",
                           "順位の基準", RANK_BY),
                     ), ("rank", "author_id")),
        MobilitySpec("reference_rates", _run_ref_rates, "MPIDR published migration rates (reference)",
                     "MPIDR公表の移動率(参照)", "B.3", _REF + COUNTRY, ("country", "year")),
        MobilitySpec("reference_flows", _run_ref_flows, "MPIDR published bilateral flows 2008-2018 (reference)",
                     "MPIDR公表の二国間移動(参照)", "B.3", (_REF[1],) + COUNTRY, ("origin", "destination")),
        MobilitySpec("compare", _run_compare, "junkan rates next to MPIDR rates", "junkanとMPIDRの移動率の比較",
                     "1.3.5, B.3", TRAJ + COUNTRY + _REF, ("country", "year")),
    )
}


def _resolve(spec: MobilitySpec, options: Mapping[str, Any]) -> dict[str, Any]:
    out = resolve_options(spec, options, kind="mobility")
    for name in ("min_works", "min_years", "tie_passes"):
        if name in out and out[name] is not None and out[name] < 0:
            raise ConfigError(f"option {name} must be >= 0")
    return out


def run(engine: Engine, name: str, **options: Any) -> IndicatorResult:
    """Compute mobility output ``name`` on ``engine``; the table is sorted by the spec's keys; provenance has the
    store, backend, METHODS section and every resolved option."""
    try:
        spec = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown mobility output {name!r}. Hint: choose one of {', '.join(sorted(REGISTRY))}") from None
    o = _resolve(spec, options)
    res = spec.func(engine, o)
    table = res if isinstance(res, pa.Table) else engine.to_pyarrow(res)
    keys = [k for k in spec.keys if k in table.column_names]
    if keys and table.num_rows:
        table = table.sort_by([(k, "ascending") for k in keys])
    prov = {
        **engine.provenance,
        "indicator": f"mobility.{name}",
        "title": spec.title,
        "methods_section": spec.section,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
    }
    if name.startswith("reference") or name == "compare":
        prov["reference_source"] = "MPIDR Scholarly Migration Database (CC BY 4.0), doi:10.5281/zenodo.11145735"
    return IndicatorResult(name=f"mobility.{name}", table=table, provenance=prov)
