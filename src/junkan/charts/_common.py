"""Shared pieces of the chart definitions: periods, peer countries, labels, provenance and Altair styling."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from junkan.charts._base import FONT, PEERS, ChartParams, ChartUnavailable, attach
from junkan.model.countries import country_name

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = [
    "COUNTING_LABELS",
    "base_chart",
    "chart_provenance",
    "core_counting",
    "countries",
    "label_countries",
    "ordinal",
    "period",
    "store_years",
]

COUNTING_LABELS = {
    "whole": ("整数カウント", "whole counting"),
    "fractional": ("分数カウント（機関単位）", "fractional counting (by institution)"),
    "institution": ("分数カウント（機関単位）", "fractional counting (by institution)"),
    "country": ("分数カウント（国単位）", "fractional counting (by country)"),
    "author": ("分数カウント（著者単位）", "fractional counting (by author)"),
    "author_literal": ("分数カウント（著者単位・LROE）", "fractional counting (by author, LROE)"),
    "author_main_economy": ("著者の主たる所属国による分類（METHODS 1.3）", "authors by main economy (METHODS 1.3)"),
    "core_papers_whole": ("参画はコアペーパの整数カウント", "participation: whole counting of core papers"),
    "cohort_papers": ("コホートの論文（重複除去）", "cohort papers (deduplicated)"),
    "published": ("公表値", "published figures"),
}
_LABELLED = (("country", "country_label"), ("origin", "origin_label"), ("destination", "destination_label"))


def relabel(table: pa.Table, lang: str) -> pa.Table:
    """``table`` with its country-name columns (``country_label`` …) rewritten in ``lang``."""
    for src, out in _LABELLED:
        if out in table.column_names and src in table.column_names:
            names = [country_name(c, lang) if c else c for c in table[src].to_pylist()]
            table = table.set_column(table.column_names.index(out), out, pa.array(names, pa.string()))
    return table


_RUNS: OrderedDict[tuple, Any] = OrderedDict()
_LOCK = threading.Lock()


def mobility_run(engine: Engine, name: str, **options: Any) -> Any:
    """:func:`junkan.mobility.run`, remembered per store version, backend, output and options (two charts use the
    same yearly rates; each run recomputes every author's trajectory)."""
    from junkan import mobility

    prov = engine.provenance
    key = (prov.get("store"), prov.get("store_version"), prov.get("content_hash"), prov.get("backend"), name,
           json.dumps(options, sort_keys=True, default=str))
    with _LOCK:
        res = _RUNS.get(key)
    if res is None:
        res = mobility.run(engine, name, **options)
        with _LOCK:
            _RUNS[key] = res
            while len(_RUNS) > 8:
                _RUNS.popitem(last=False)
    return res


def core_counting(p: ChartParams) -> str:
    """The indicator core's name of ``p.counting`` (``fractional`` is the core's alias of ``institution``)."""
    return "institution" if p.counting == "fractional" else p.counting


def store_years(engine: Engine) -> tuple[int, int]:
    """First and last publication year in the store."""
    w = engine.table("works")
    t = engine.to_pyarrow(w.aggregate(lo=w.publication_year.min(), hi=w.publication_year.max()))
    lo, hi = t["lo"][0].as_py(), t["hi"][0].as_py()
    if lo is None or hi is None:
        raise ChartUnavailable("the store has no works with a publication year")
    return int(lo), int(hi)


def period(engine: Engine, p: ChartParams, *, span: int | None = None) -> tuple[int, int]:
    """Publication years of a chart: ``p.start``–``p.end``, each defaulting to the store's range.

    ``span`` limits the default start to ``end − span + 1`` (for charts of one recent period).
    """
    lo, hi = store_years(engine)
    end = p.end if p.end is not None else hi
    if p.start is not None:
        start = p.start
    else:
        start = max(lo, end - span + 1) if span else lo
    if start > end:
        raise ChartUnavailable(f"no publication years between {start} and {end} (the store covers {lo}-{hi})")
    return start, end


def countries(p: ChartParams) -> list[str]:
    """The focus country followed by the briefing's peers (日米中英独仏韓), without repeats."""
    return [p.country, *[c for c in PEERS if c != p.country]]


def label_countries(table: pa.Table, p: ChartParams, column: str = "country", out: str = "country_label") -> pa.Table:
    """``table`` with a column of country names in the chart's language (code kept in ``column``)."""
    names = [country_name(c, p.lang) if c else c for c in table[column].to_pylist()]
    return table.append_column(out, pa.array(names, pa.string()))


def filter_in(table: pa.Table, column: str, values: list[Any]) -> pa.Table:
    return table.filter(pc.is_in(table[column], value_set=pa.array(values, table.schema.field(column).type)))


def ordinal(n: int, lang: str) -> str:
    if lang == "ja":
        return f"{n}位"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def chart_provenance(engine: Engine, base: dict[str, Any] | None, p: ChartParams, *, counting: str | None,
                     years: tuple[int, int] | str | None, profile: str | None, **extra: Any) -> dict[str, Any]:
    """The provenance of a chart's data: the indicator's own provenance (or the engine's) plus the chart's
    parameters and the caption fields (counting method, window, profile)."""
    prov = dict(base or engine.provenance)
    if isinstance(years, tuple):
        years = f"{years[0]}-{years[1]}" if years[0] != years[1] else str(years[0])
    prov["chart"] = {"country": p.country, "lang": p.lang, "field": p.field, "counting": counting, "years": years,
                     "profile": profile, **extra}  # extra may set field=None: the chart's source has no field filter
    return prov


def with_prov(table: pa.Table, prov: dict[str, Any]) -> pa.Table:
    return attach(table, prov)


def base_chart(data: list[dict[str, Any]], p: ChartParams, title: str, *, width: int = 560, height: int = 300) -> Any:
    """An Altair chart over inline ``data`` with the house font and the chart's title."""
    import altair as alt

    return alt.Chart(alt.Data(values=data)).properties(width=width, height=height, title=title)


def finish(chart: Any) -> dict[str, Any]:
    """The Vega-Lite dict of ``chart`` with the CJK font set everywhere."""
    d = chart.configure(font=FONT).configure_title(font=FONT, fontSize=15, anchor="start").configure_axis(
        labelFont=FONT, titleFont=FONT).configure_legend(labelFont=FONT, titleFont=FONT).to_dict()
    if "title" not in d:  # a layered chart: the title of its first titled layer becomes the chart's title
        for sub in d.get("layer", []):
            if "title" in sub:
                d["title"] = sub.pop("title")
                break
    return d
