"""The chart catalog: every chart of the briefing defined once (data, Vega-Lite spec, takeaway, source line).

The dashboard (vega-embed served by junkan), the briefing deck (PPTX) and the HTML report all draw from
:data:`CATALOG` through :func:`render`, so a chart shows the same numbers everywhere.

>>> from junkan.charts.catalog import CATALOG, ChartParams, render, to_png        # doctest: +SKIP
>>> res = render("intl_coauthorship_trend", connect("store"), ChartParams(country="JP", lang="ja"))  # doctest: +SKIP
>>> res.takeaway                                                                   # doctest: +SKIP
'国際共著率 2022年: 35.9%（7か国中5位）'
>>> png = to_png(res.spec)                                                         # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from junkan.charts import bibliometric as B
from junkan.charts import cohorts as C
from junkan.charts import mobility as M
from junkan.charts import official as O
from junkan.charts import sciencemap as S
from junkan.charts._base import (
    FONT,
    ChartDef,
    ChartParams,
    ChartResult,
    ChartUnavailable,
    provenance_of,
)
from junkan.charts._common import COUNTING_LABELS, relabel
from junkan.errors import ConfigError

if TYPE_CHECKING:
    from junkan.engine import Engine

__all__ = [
    "CATALOG",
    "FONT",
    "PAGES",
    "ChartDef",
    "ChartParams",
    "ChartResult",
    "ChartUnavailable",
    "caption",
    "render",
    "to_png",
    "to_svg",
]

logger = logging.getLogger(__name__)

#: Dashboard pages (ordered) with their titles.
PAGES: dict[str, dict[str, str]] = {
    "overview": {"ja": "概要", "en": "Overview"},
    "output": {"ja": "論文産出", "en": "Output"},
    "collaboration": {"ja": "国際共著", "en": "Collaboration"},
    "mobility": {"ja": "研究者の国際移動", "en": "Mobility"},
    "map": {"ja": "サイエンスマップ", "en": "Science map"},
    "cohorts": {"ja": "派遣プログラム", "en": "Cohorts"},
    "statistics": {"ja": "公的統計", "en": "Official statistics"},
    "quality": {"ja": "データ品質", "en": "Data quality"},
}

_NISTEP_SRC = {
    "ja": "junkan によるストアからの算出（指標: {ind}）",
    "en": "Computed by junkan from the store (indicator: {ind})",
}


def _src(ind: str) -> dict[str, str]:
    return {k: v.format(ind=ind) for k, v in _NISTEP_SRC.items()}


_MOB_SRC = {"ja": "junkan によるストアからの算出（研究者の移動: mobility {ind}）",
            "en": "Computed by junkan from the store (researcher mobility: mobility {ind})"}


def _msrc(ind: str) -> dict[str, str]:
    return {k: v.format(ind=ind) for k, v in _MOB_SRC.items()}


_SMAP_SRC = {"ja": "junkan によるサイエンスマップ（NISTEPサイエンスマップの方法: Top1%論文の共引用）",
             "en": "Science map built by junkan (NISTEP Science Map method: co-citation of Top 1% papers)"}

_DEFS: list[ChartDef] = [
    ChartDef(
        id="mobility_scatter", page="mobility", briefing_page="p2",
        title={"ja": "国内の研究者数に占める流入・流出する研究者の割合", "en": "Inflow and outflow rates of researchers"},
        compute=M.scatter_compute, spec=M.scatter_spec, takeaway=M.scatter_takeaway, source=_msrc("rates"),
    ),
    ChartDef(
        id="mobility_impact", page="mobility", briefing_page="p2",
        title={"ja": "流動性と論文の質（被引用インパクト）", "en": "Citation impact of mobile and non-mobile researchers"},
        compute=M.impact_compute, spec=M.impact_spec, takeaway=M.impact_takeaway, source=_msrc("impact"),
    ),
    ChartDef(
        id="intl_coauthorship_trend", page="collaboration", briefing_page="p15",
        title={"ja": "国際共著論文割合の推移", "en": "International co-authorship share"},
        compute=B.intl_compute, spec=B.intl_spec, takeaway=B.intl_takeaway,
        source=_src("international_coauthorship"),
    ),
    ChartDef(
        id="domestic_international_top10", page="collaboration", briefing_page="p3",
        title={"ja": "Top10%論文における国内論文数と国際共著論文数", "en": "Top10% papers: domestic vs international"},
        compute=B.domestic_compute, spec=B.domestic_spec, takeaway=B.domestic_takeaway,
        source=_src("domestic_international"),
    ),
    ChartDef(
        id="world_flows", page="mobility", briefing_page="p3",
        title={"ja": "世界の研究者の主な流動", "en": "Main flows of researchers between countries"},
        compute=M.flows_compute, spec=M.flows_spec, takeaway=M.flows_takeaway, source=_msrc("flows"),
    ),
    ChartDef(
        id="science_map", page="map", briefing_page="p4",
        title={"ja": "サイエンスマップ（研究領域と対象国のシェア）", "en": "Science map: research areas and the country's share"},
        compute=S.map_compute, spec=S.map_spec, takeaway=S.map_takeaway, source=_SMAP_SRC,
    ),
    ChartDef(
        id="sciencemap_participation", page="map", briefing_page="p4",
        title={"ja": "サイエンスマップにおける参画領域数", "en": "Research areas with participation"},
        compute=S.participation_compute, spec=S.participation_spec, takeaway=S.participation_takeaway,
        source=_SMAP_SRC,
    ),
    ChartDef(
        id="sciencemap_international", page="map", briefing_page="p5",
        title={"ja": "参加領域数と国際共著論文の関係", "en": "Participation with international vs domestic papers"},
        compute=S.participation_compute, spec=S.intl_map_spec, takeaway=S.intl_map_takeaway, source=_SMAP_SRC,
    ),
    ChartDef(
        id="rankings_now_and_then", page="output", briefing_page="p9",
        title={"ja": "国・地域別論文数、Top10%補正論文数（現在と20年前）", "en": "Papers and Top10% papers: rank now and 20 years earlier"},
        compute=B.rankings_compute, spec=B.rankings_spec, takeaway=B.rankings_takeaway,
        source=_src("rankings"),
    ),
    ChartDef(
        id="venue_counts", page="output", briefing_page="p10",
        title={"ja": "AIの主要国際会議における国別発表件数", "en": "Papers at AI conferences by country"},
        compute=B.venue_compute, spec=B.venue_spec, takeaway=B.venue_takeaway,
        source=_src("venue_papers"),
    ),
    ChartDef(
        id="cohort_phases", page="cohorts", briefing_page="p24-25",
        title={"ja": "派遣研究者の論文（派遣前・中・後）", "en": "Fellows' papers before, during and after"},
        compute=C.cohort_compute, spec=C.cohort_spec, takeaway=C.cohort_takeaway,
        source={"ja": "junkan によるコホート評価（cohort evaluate、対照群マッチング・差の差）",
                "en": "Cohort evaluation by junkan (cohort evaluate: matched controls, difference in differences)"},
    ),
    ChartDef(
        id="cohort_hosts", page="cohorts", briefing_page="p25",
        title={"ja": "招へい研究者の受入機関（受入前・中・後、米国と比較）",
               "en": "Institutions hosting inbound fellows, before, during and after (vs the US)"},
        compute=C.hosts_compute, spec=C.hosts_spec, takeaway=C.hosts_takeaway,
        source={"ja": "junkan によるコホート評価（cohort evaluate、受入機関の論文）",
                "en": "Cohort evaluation by junkan (cohort evaluate: papers of the host institutions)"},
    ),
    ChartDef(
        id="migration_statistics", page="statistics", briefing_page="p6-8",
        title={"ja": "研究者の国際移動率（公表統計と測定値）", "en": "Researcher migration rates: published and measured"},
        compute=O.mpidr_compute, spec=O.mpidr_spec, takeaway=O.mpidr_takeaway,
        source={"ja": "MPIDR Scholarly Migration Database（CC BY 4.0）、junkan mobility rates",
                "en": "MPIDR Scholarly Migration Database (CC BY 4.0); junkan mobility rates"},
    ),
    ChartDef(
        id="official_statistics", page="statistics", briefing_page="p6-8",
        title={"ja": "公的統計（取り込んだ表）", "en": "Official statistics (imported tables)"},
        compute=O.imported_compute, spec=O.imported_spec, takeaway=O.imported_takeaway,
        source={"ja": "junkan stats import で取り込んだ表（出典・ライセンスは各表に記載）",
                "en": "Tables imported with junkan stats import (source and licence stated on each)"},
    ),
]

_ORDER = ("mobility_scatter", "mobility_impact", "domestic_international_top10", "world_flows", "science_map",
          "sciencemap_participation", "sciencemap_international", "migration_statistics", "official_statistics",
          "rankings_now_and_then", "venue_counts", "intl_coauthorship_trend", "cohort_phases", "cohort_hosts")

#: Every chart by id, in the order of the briefing (p2 … p25).
CATALOG: dict[str, ChartDef] = {i: next(d for d in _DEFS if d.id == i) for i in _ORDER}
assert len(CATALOG) == len(_DEFS), "every chart definition has a place in _ORDER"


def _years_text(years: Any, lang: str, kind: str | None) -> str:
    if not years:
        return "全期間" if lang == "ja" else "all years"
    y = str(years).replace("-", "–")
    if kind == "years":  # not publication years: mobility evidence years, years of published statistics
        return f"対象年 {y}年" if lang == "ja" else f"years {y}"
    return f"出版年 {y}年" if lang == "ja" else f"publication years {y}"


def caption(provenance: dict[str, Any], params: ChartParams) -> str:
    """The caption under a chart: counting method, window, profile, data (store) version; SIMULATED when so."""
    ch = provenance.get("chart", {})
    ja = params.lang == "ja"
    parts: list[str] = []
    counting = ch.get("counting")
    if counting:
        lab = COUNTING_LABELS.get(counting)
        parts.append(lab[0 if ja else 1] if lab else str(counting))
    parts.append(_years_text(ch.get("years"), params.lang, ch.get("years_kind")))
    note = ch.get("window_note")
    if note:
        parts.append(str(note.get(params.lang, "")) if isinstance(note, dict) else str(note))
    cw = provenance.get("window")
    if cw:
        parts.append(f"引用ウィンドウ {cw}年" if ja else f"citation window {cw} years")
    if ch.get("profile"):
        parts.append(f"文献セット {ch['profile']}" if ja else f"profile {ch['profile']}")
    if ch.get("field") is not None:
        parts.append(f"分野 {ch['field']}" if ja else f"field {ch['field']}")
    elif params.field is not None:  # the chart's source has no field filter (published statistics, a cohort)
        parts.append("分野指定は適用外" if ja else "field filter not applicable")
    version = provenance.get("store_version")
    if version:
        h = str(provenance.get("content_hash") or "")[:12]
        parts.append(f"データ版 {version} ({h})" if ja else f"data version {version} ({h})")
    if provenance.get("simulated"):
        parts.append("シミュレーションデータ（SIMULATED）" if ja else "SIMULATED data")
    return " · ".join(parts)


def render(chart_id: str, engine: Engine, params: ChartParams) -> ChartResult:
    """Compute and specify chart ``chart_id`` for ``params``.

    Raises :class:`ConfigError` on an unknown id or bad parameters, and :class:`ChartUnavailable` (a
    ``ConfigError``) when the store cannot give this chart (no cohort file, no papers of the country, …).
    """
    try:
        d = CATALOG[chart_id]
    except KeyError:
        raise ConfigError(f"unknown chart {chart_id!r}. Hint: choose one of {', '.join(CATALOG)}") from None
    params = params.validate()
    table = _computed(d, engine, params)
    prov = provenance_of(table)
    prov.setdefault("chart", {})["id"] = chart_id
    spec = d.spec(table, params)
    takeaway = d.takeaway(table, params)
    return ChartResult(id=chart_id, title=d.title[params.lang], table=table, spec=spec,
                       caption=caption(prov, params), takeaway=takeaway, provenance=prov)


_DATA: OrderedDict[tuple, pa.Table] = OrderedDict()
_LOCK = threading.Lock()  # the dashboard renders from several threads
_DATA_SIZE = 64


def _computed(d: ChartDef, engine: Engine, params: ChartParams) -> pa.Table:
    """The chart's data, computed once per store version, backend and parameters other than the language
    (the ja and en decks share one computation; only the country-name columns are rewritten)."""
    prov = engine.provenance
    neutral = replace(params, lang="en")
    key = (d.id, prov.get("store"), prov.get("store_version"), prov.get("content_hash"), prov.get("backend"),
           neutral.key())
    with _LOCK:
        table = _DATA.get(key)
        if table is not None:
            _DATA.move_to_end(key)
    if table is None:
        table = d.compute(engine, params)
        with _LOCK:
            _DATA[key] = table
            while len(_DATA) > _DATA_SIZE:
                _DATA.popitem(last=False)
    return relabel(table, params.lang)


def clear_cache() -> None:
    """Forget every computed chart table (and science map) of this process."""
    from junkan.charts import _common, sciencemap

    _DATA.clear()
    _common._RUNS.clear()
    sciencemap._CACHE.clear()


# ------------------------------------------------------------------------------------------------------------------
# offline rendering (vl-convert: no browser, no network)

_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype")
_fonts_registered: list[str] = []


def font_directory() -> str | None:
    """The folder holding the Noto Sans CJK fonts (Debian ``fonts-noto-cjk``), or None when not installed."""
    for d in _FONT_DIRS:
        p = Path(d)
        if p.is_dir() and any(p.glob("NotoSansCJK*")):
            return d
    return None


def _register_fonts() -> None:
    if _fonts_registered:
        return
    import vl_convert as vlc

    d = font_directory()
    if d is None:
        logger.warning("Noto Sans CJK not found (install fonts-noto-cjk): Japanese labels may render as boxes")
        _fonts_registered.append("")
        return
    vlc.register_font_directory(d)
    _fonts_registered.append(d)


def to_png(spec: dict, *, scale: float = 2.0) -> bytes:
    """PNG bytes of a Vega-Lite ``spec`` (vl-convert, offline, Noto Sans CJK registered)."""
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_png(spec, scale=scale)


def to_svg(spec: dict) -> str:
    """SVG text of a Vega-Lite ``spec`` (vl-convert, offline, Noto Sans CJK registered)."""
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_svg(spec)
