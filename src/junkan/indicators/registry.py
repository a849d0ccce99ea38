"""The indicator registry: one :class:`IndicatorSpec` per indicator, and :func:`run` to compute one on an engine.

The CLI (``junkan indicators NAME --country JP --field 23 --years 2000-2022 --counting fractional``) and the
dashboard are generic over :data:`REGISTRY`: every spec lists its options with type, default and help text
(English and Japanese), and :func:`run` accepts option values as Python values *or* as the strings a command
line gives (``"2000-2022"``, ``"true"``, ``"JP,US"``).

>>> sorted(REGISTRY)[:3]
['coauthorship_matrix', 'domestic_international', 'impact']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from junkan.errors import ConfigError
from junkan.indicators._scope import CITING_UNIVERSES, Scope
from junkan.indicators.base import COUNTING_ALIASES, COUNTING_METHODS, PROFILES, StoreTables
from junkan.indicators.coauthorship import coauthorship_matrix
from junkan.indicators.domestic import domestic_international
from junkan.indicators.filters import filter_coverage
from junkan.indicators.impact import impact
from junkan.indicators.international import international_coauthorship
from junkan.indicators.papers import papers
from junkan.indicators.partners import partner_fields, partners
from junkan.indicators.rankings import RANKED_INDICATORS, rankings
from junkan.indicators.top import TOP_METHODS, top_papers
from junkan.indicators.venues import venue_papers
from junkan.indicators.works import work_credits, work_scores
from junkan.model.countries import COUNTRY_MAPS

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = ["OPTION_TYPES", "REGISTRY", "IndicatorResult", "IndicatorSpec", "Option", "run"]

#: Option value types understood by :meth:`Option.coerce`.
OPTION_TYPES = ("str", "int", "number", "bool", "years", "str_list", "int_list")


@dataclass(frozen=True)
class Option:
    """One option of an indicator: name, type, default, help (en/ja) and allowed values."""

    name: str
    type: str
    default: Any
    help: str
    help_ja: str = ""
    choices: tuple[str, ...] | None = None
    required: bool = False
    scope: bool = True  # a Scope option (shared) rather than indicator-specific

    def coerce(self, value: Any) -> Any:
        """``value`` (a Python value or a command-line string) in this option's type; :class:`ConfigError` if not."""
        if value is None:
            return None
        t = self.type
        try:
            if t == "bool":
                if isinstance(value, bool):
                    return value
                v = str(value).strip().lower()
                if v in ("1", "true", "yes", "on"):
                    return True
                if v in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            if t == "int":
                if isinstance(value, bool):
                    raise ValueError
                return int(value)
            if t == "number":
                if isinstance(value, bool):
                    raise ValueError
                return value if isinstance(value, (int, float)) else str(value)
            if t in ("str_list", "int_list"):
                items = value.split(",") if isinstance(value, str) else list(value)
                items = [str(i).strip() for i in items if str(i).strip()]
                out: tuple[Any, ...] = tuple(int(i) for i in items) if t == "int_list" else tuple(items)
                if self.choices:
                    for i in out:
                        self._check_choice(i)
                return out
            if t == "years":
                return value  # parsed by Scope / the indicator (parse_years)
            if t == "str":
                if not isinstance(value, (str, Mapping)):
                    value = str(value)
                if isinstance(value, str) and self.choices:
                    self._check_choice(value)
                return value
        except (TypeError, ValueError):
            raise ConfigError(f"option {self.name}: {value!r} is not a valid {t}") from None
        raise ConfigError(f"option {self.name}: unknown option type {t!r}")  # pragma: no cover - spec bug

    def _check_choice(self, value: str) -> None:
        if self.choices and value not in self.choices:
            raise ConfigError(f"option {self.name}: {value!r} is not one of {', '.join(self.choices)}")


@dataclass(frozen=True)
class IndicatorSpec:
    """Metadata of one indicator: its function, titles, METHODS section, options and row keys."""

    name: str
    func: Callable[..., Any]
    title: str
    title_ja: str
    section: str
    options: tuple[Option, ...]
    keys: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        return (self.func.__doc__ or "").strip()

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)


@dataclass(frozen=True)
class IndicatorResult:
    """A computed indicator: the Arrow table (sorted by the spec's keys) and where it came from."""

    name: str
    table: pa.Table
    provenance: dict[str, Any]


# ------------------------------------------------------------------------------------------------------------------
# options

_COUNTING_CHOICES = (*COUNTING_METHODS, *COUNTING_ALIASES)

DOCSET = (
    Option("profile", "str", "nistep", "Document set: nistep, cwts or all (METHODS 0.2).", "文献セット", PROFILES),
    Option("core", "str_list", None, "Core-journal filter: 'openalex' (sources.is_core), 'cwts' (CWTS core-source "
           "algorithm on the store, METHODS 0.7) or source ids.", "コアジャーナル"),
    Option("exclude_social_sciences", "bool", None, "Drop social sciences except psychology (default: on for nistep).",
           "社会科学を除外"),
    Option("country_map", "str", None, "Country mapping preset nistep, cwts (HK, MO→CN) or oecd (identity); "
           "default: the profile's preset.", "国・地域の対応", tuple(COUNTRY_MAPS)),
    Option("years", "years", None, "Publication years, e.g. 2000-2022.", "出版年"),
    Option("field", "int_list", None, "OpenAlex field ids (e.g. 23,27).", "分野"),
    Option("country", "str_list", None, "Countries to show (ISO alpha-2, e.g. JP,US); world rows are kept.", "国"),
    Option("min_pages", "int", None, "Drop works with fewer pages when biblio first/last pages are both numeric "
           "(METHODS 0.2, 8.1); works without page numbers are kept; 0 = off.", "最小ページ数(未満の文献を除外)"),
    Option("country_blocklist", "str_list", None, "dataesr mismatch_country files (CSV or JSONL) or a folder of them: "
           "remove the listed work/affiliation → country assignments before countries are counted (METHODS 0.3).",
           "国の誤付与リスト(dataesr)"),
)
COUNTING = (
    Option("counting", "str", "whole", "Counting: whole, country, institution (=fractional, NISTEP), author, "
           "author_literal (METHODS 0.4).", "カウント方法", _COUNTING_CHOICES),
)
CITES = (
    Option("window", "int", None, "Fixed citation window in years (publication year + N−1).", "引用ウィンドウ"),
    Option("census_year", "int", None, "Last citing year (NISTEP: citations to the end of this year).", "被引用数の集計年"),
    Option("self_citations", "bool", None, "Include self-citations (default: yes for nistep/all, no for cwts).",
           "自己引用を含める"),
    Option("citing", "str", None, "Citing universe: all, nistep or same (default by profile).", "引用側の文献",
           CITING_UNIVERSES),
    Option("level", "str", "field", "Reference sets: field or subfield × year.", "基準集合", ("field", "subfield")),
    Option("by_type", "bool", False, "Reference sets also by work type.", "文献種別ごと"),
    Option("complement", "bool", True, "Works without a primary topic take the most frequent field/subfield of "
           "their references, else of their citing works (CWTS complement rule, METHODS 0.6 [DEFAULT]; "
           "--no-complement leaves them out of normalised indicators).", "分野の補完"),
)
TOP = (
    Option("pct", "number", 10, "Top x % (any x in (0, 100]).", "上位 x %", scope=False),
    Option("method", "str", "cwts", "Tie rule: cwts, nistep (inclusive) or nistep_exclusive (METHODS 0.8).",
           "同順位の扱い", TOP_METHODS, scope=False),
)
TOP_METHOD = Option("top_method", "str", "nistep", "Top10%/Top1% method: nistep, nistep_exclusive or cwts.",
                    "Top10%/Top1%の算出法", TOP_METHODS, scope=False)
FOCUS = Option("focus", "str", None, "Focus country (ISO alpha-2).", "対象国", required=True, scope=False)


def _drop(options: tuple[Option, ...], *names: str) -> tuple[Option, ...]:
    return tuple(o for o in options if o.name not in names)


def _spec(name: str, func: Callable[..., Any], title: str, title_ja: str, section: str, options: tuple[Option, ...],
          keys: tuple[str, ...], **defaults: Any) -> IndicatorSpec:
    opts = tuple(
        Option(o.name, o.type, defaults.get(o.name, o.default), o.help, o.help_ja, o.choices, o.required, o.scope)
        for o in options
    )
    return IndicatorSpec(name, func, title, title_ja, section, opts, keys, dict(defaults))


REGISTRY: dict[str, IndicatorSpec] = {
    s.name: s
    for s in (
        _spec("papers", papers, "Papers by country", "国別論文数", "0.4, 4", DOCSET + COUNTING, ("country", "year")),
        _spec("top_papers", top_papers, "Top x% papers by country", "国別Top x%論文数", "0.8, 4",
              DOCSET + COUNTING + CITES + TOP, ("country", "year")),
        _spec("impact", impact, "Citation impact (MCS, MNCS) by country", "国別被引用インパクト(MNCS)", "0.6",
              DOCSET + COUNTING + CITES, ("country", "year"), level="subfield"),
        _spec("international_coauthorship", international_coauthorship, "International co-authorship share",
              "国際共著率", "5", DOCSET, ("country", "year")),
        _spec("domestic_international", domestic_international, "Domestic vs international papers and Top10%/Top1%",
              "国内論文・国際共著論文別のTop10%/Top1%論文数", "3", DOCSET + CITES + (
                  TOP_METHOD,
                  Option("split_international", "bool", False, "Split international into bilateral/multilateral.",
                         "二国間・多国間に分ける", scope=False),
              ), ("country", "year", "collaboration")),
        _spec("coauthorship_matrix", coauthorship_matrix, "Country co-authorship matrix (Salton, affinity)",
              "国際共著マトリクス", "5", DOCSET, ("year", "country_a", "country_b")),
        _spec("partners", partners, "Co-authorship partners of a focus country", "共著相手国", "5", DOCSET + CITES + (
            FOCUS,
            Option("baseline_years", "years", None, "Baseline period for growth (default: the period before years).",
                   "比較期間", scope=False),
        ), ("partner",)),
        _spec("partner_fields", partner_fields, "Partner × field opportunities of a focus country",
              "相手国×分野の機会", "5", DOCSET + CITES + (FOCUS,), ("partner", "field_id")),
        _spec("rankings", rankings, "Country rankings (3-year means, rank change vs 10/20 years earlier)",
              "国別順位(3年移動平均、10年前・20年前との比較)", "0.9, 4", DOCSET + CITES + (
                  Option("indicators", "str_list", RANKED_INDICATORS, "Indicators to rank: papers, top10, top1.",
                         "指標", RANKED_INDICATORS, scope=False),
                  Option("countings", "str_list", ("whole", "institution"), "Counting methods to rank.",
                         "カウント方法", _COUNTING_CHOICES, scope=False),
                  TOP_METHOD,
                  Option("span", "int", 3, "Years in the moving average.", "移動平均の年数", scope=False),
                  Option("lags", "int_list", (10, 20), "Compare ranks with periods ending this many years earlier.",
                         "比較する年数", scope=False),
              ), ("counting", "indicator", "country", "year")),
        _spec("venue_papers", venue_papers, "Papers by country in chosen venues", "特定会議・誌の国別論文数", "8",
              _drop(DOCSET, "field") + COUNTING + (
                  Option("sources", "str_list", None, "Venue source ids (S…).", "ソースID", scope=False),
                  Option("name_pattern", "str", None, "Case-insensitive LIKE pattern on the venue name, e.g. %AAAI%.",
                         "会議・誌名のパターン", scope=False),
              ), ("country", "year"), profile="all", min_pages=4),
        _spec("work_credits", work_credits, "Country credits per work", "論文ごとの国別クレジット", "0.4, D.1",
              DOCSET + COUNTING, ("work_id", "country")),
        _spec("work_scores", work_scores, "Citations, NCS and Top x% per work", "論文ごとの被引用数・NCS・Top x%",
              "0.5, 0.6, 0.8, D.2", _drop(DOCSET, "country") + CITES + TOP, ("work_id",)),
    )
}


def resolve_options(spec: Any, options: Mapping[str, Any], *, kind: str = "indicator") -> dict[str, Any]:
    """Every option of ``spec`` (an indicator or mobility spec) coerced from ``options`` or defaulted.

    Unknown options and missing required ones raise :class:`ConfigError` naming the ``kind`` and the spec.
    """
    known = {o.name for o in spec.options}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigError(
            f"{kind} {spec.name!r} has no option {', '.join(map(repr, unknown))}. "
            f"Hint: its options are {', '.join(sorted(known))}"
        )
    out: dict[str, Any] = {}
    for o in spec.options:
        value = o.coerce(options[o.name]) if options.get(o.name) is not None else o.default
        if o.required and value is None:
            raise ConfigError(f"{kind} {spec.name!r} needs option {o.name!r}: {o.help}")
        out[o.name] = value
    return out


def _resolve(spec: IndicatorSpec, options: Mapping[str, Any]) -> dict[str, Any]:
    out = resolve_options(spec, options)
    if out.get("core") is not None and tuple(out["core"]) in (("openalex",), ("cwts",)):
        out["core"] = out["core"][0]
    return out


def run(engine: Engine, name: str, **options: Any) -> IndicatorResult:
    """Compute indicator ``name`` on ``engine`` with ``options`` (Python values or command-line strings).

    Returns an :class:`IndicatorResult` whose table is sorted by the spec's keys and whose provenance is
    ``engine.provenance`` plus the indicator name, METHODS section and every resolved option (profile, counting,
    window, census year, self-citations, citing universe, country map, filters).
    """
    try:
        spec = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown indicator {name!r}. Hint: choose one of {', '.join(sorted(REGISTRY))}") from None
    resolved = _resolve(spec, options)
    scope_values = {o.name: resolved[o.name] for o in spec.options if o.scope}
    scope = Scope(**scope_values)  # validates and resolves the profile defaults for the provenance
    expr = spec.func(StoreTables.from_engine(engine), **resolved)
    table = engine.to_pyarrow(expr)
    keys = [k for k in spec.keys if k in table.column_names]
    if keys and table.num_rows:
        table = table.sort_by([(k, "ascending") for k in keys])
    sp = scope.provenance()
    specific = {o.name: _jsonable(resolved[o.name]) for o in spec.options if not o.scope}
    provenance = {
        **engine.provenance,
        "indicator": name,
        "title": spec.title,
        "methods_section": spec.section,
        "profile": sp["profile"],
        "counting": sp["counting"] if any(o.name == "counting" for o in spec.options) else None,
        "window": sp["window"],
        "census_year": sp["census_year"],
        "self_citations": sp["self_citations"],
        "citing": sp["citing"],
        "reference_sets": {"level": sp["level"], "by_type": sp["by_type"], "complement": sp["complement"]},
        "country_map": sp["country_map"],
        "filters": {"years": sp["years"], "field": sp["field"], "country": sp["country"], "core": sp["core"],
                    "exclude_social_sciences": sp["exclude_social_sciences"], "min_pages": sp["min_pages"],
                    "country_blocklist": None, **filter_coverage(engine, scope)},
        "options": specific,
    }
    return IndicatorResult(name=name, table=table, provenance=provenance)


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    return v
