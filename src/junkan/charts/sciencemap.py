"""Science-map charts (briefing p4-5): the map of research areas coloured by the focus country's share,
participation and leadership by country, and participation with international vs domestic core papers.

One map per (store version, window, field) is built with :func:`junkan.mapping.build_map` and kept for the
process (a small cache), so the three charts of one deck share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from junkan.charts._base import ChartParams, ChartUnavailable, rows
from junkan.charts._common import (
    chart_provenance,
    countries,
    filter_in,
    finish,
    label_countries,
    ordinal,
    period,
    with_prov,
)
from junkan.model.countries import country_name

if TYPE_CHECKING:
    from junkan.engine import Engine
    from junkan.mapping import ScienceMap

#: Years of the map window by default: the store's last 6 years (NISTEP Science Map windows are 6 years).
SPAN = 6
_CACHE: OrderedDict[tuple, ScienceMap] = OrderedDict()
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def science_map(engine: Engine, p: ChartParams) -> ScienceMap:
    """The science map of the chart's window (cached per store version, window and field)."""
    from junkan.mapping import build_map

    years = period(engine, p, span=SPAN)
    prov = engine.provenance
    key = (prov.get("store"), prov.get("store_version"), prov.get("content_hash"), prov.get("backend"), years, p.field)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    scope = {"field": [p.field]} if p.field is not None else {}
    m = build_map(engine, window=years, scope=scope)
    with _LOCK:
        _CACHE[key] = m
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return m


def _prov(engine: Engine, m: ScienceMap, p: ChartParams) -> dict[str, Any]:
    mp = m.params
    return chart_provenance(
        engine, None, p, counting="core_papers_whole",
        years=tuple(mp.window), profile=dict(mp.scope).get("profile", "nistep"),
        map={"edition": m.edition, "top_pct": str(mp.top_pct), "tie_method": mp.tie_method, "areas": m.areas.num_rows,
             "build": {k: v for k, v in m.provenance.items() if k != "store"}},
        window_note={"ja": f"コアペーパ: Top{mp.top_pct}%論文", "en": f"core papers: Top {mp.top_pct}% papers"},
    )


def _need_areas(m: ScienceMap) -> None:
    if m.areas.num_rows == 0:
        raise ChartUnavailable(f"the science map {m.edition} has no research areas (too few highly cited papers)")


# ------------------------------------------------------------------------------------------------------------------
# the map itself


def map_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.mapping.export import network_tables

    m = science_map(engine, p)
    _need_areas(m)
    nodes, _ = network_tables(m, level="areas")
    share = {r["area_id"]: r["share"] for r in m.area_countries.to_pylist() if r["country"] == p.country}
    data = [{"area_id": n["key"], "label": n["label"], "n_core": n["n_core"], "x": n["x"], "y": n["y"],
             "share": float(share.get(n["key"], 0.0)), "participates": n["key"] in share} for n in nodes]
    t = pa.Table.from_pylist(data)
    return with_prov(t, _prov(engine, m, p))


def map_spec(table: pa.Table, p: ChartParams) -> dict:
    """The map drawn by :func:`junkan.mapping.map_chart` (reused), coloured by the focus country's share."""
    from junkan.mapping import map_chart

    m = science_map_for_table(table)
    title = p.t(f"サイエンスマップ {m.edition}: {country_name(p.country, 'ja')}のシェア",
                f"Science map {m.edition}: share of {country_name(p.country, 'en')}")
    spec = finish(map_chart(m, color="share", country=p.country, width=560, height=420, title=title))
    # map_chart's legend titles are English; put them in the chart's language
    titles = {"core papers": p.t("コアペーパ数", "core papers"), p.country: p.t("シェア", f"{p.country} share")}
    _retitle(spec, titles)
    return spec


def _retitle(node: Any, titles: dict[str, str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "title" and isinstance(v, str) and v in titles:
                node[k] = titles[v]
            else:
                _retitle(v, titles)
    elif isinstance(node, list):
        for v in node:
            _retitle(v, titles)


def science_map_for_table(table: pa.Table) -> ScienceMap:
    """The cached map a :func:`map_compute` table was computed from (matched through its provenance)."""
    from junkan.charts._base import provenance_of

    prov = provenance_of(table)
    edition = prov.get("chart", {}).get("map", {}).get("edition")
    with _LOCK:
        cached = list(_CACHE.items())
    for key, m in reversed(cached):
        if (m.edition == edition and key[1] == prov.get("store_version") and key[2] == prov.get("content_hash")
                and key[5] == prov.get("chart", {}).get("field")):
            return m
    raise ChartUnavailable("the science map of this table is no longer cached; render the chart again")


def map_takeaway(table: pa.Table, p: ChartParams) -> str:
    n = table.num_rows
    k = sum(1 for v in table["participates"].to_pylist() if v)
    return p.t(f"研究領域 {n} のうち{country_name(p.country, 'ja')}の参画 {k} 領域（{k / n:.0%}）",
               f"{country_name(p.country, 'en')} takes part in {k} of {n} research areas ({k / n:.0%})")


# ------------------------------------------------------------------------------------------------------------------
# p4 participation and leadership by country


def participation_compute(engine: Engine, p: ChartParams) -> pa.Table:
    m = science_map(engine, p)
    _need_areas(m)
    t = m.countries
    t = t.append_column("areas_total", pa.array([m.areas.num_rows] * t.num_rows, pa.int64()))
    t = label_countries(filter_in(t, "country", countries(p)), p)
    if t.num_rows == 0:
        raise ChartUnavailable("none of the chart's countries takes part in the science map")
    return with_prov(t, _prov(engine, m, p))


def participation_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    kinds = {"n_areas": p.t("参画領域数", "areas with participation"), "n_leading": p.t("主導領域数", "areas led")}
    data = [{**r, "kind": kinds[k], "areas": r[k]} for r in rows(table) for k in kinds]
    edition = _edition(table)
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("country_label:N", title=None, sort=[country_name(c, p.lang) for c in countries(p)]),
        xOffset=alt.XOffset("kind:N", sort=list(kinds.values())),
        y=alt.Y("areas:Q", title=p.t("領域数", "research areas")),
        color=alt.Color("kind:N", title=None, sort=list(kinds.values())),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), "kind:N", "areas:Q",
                 alt.Tooltip("participation_rate:Q", format=".0%"), "areas_total:Q"],
    ).properties(width=520, height=300, title=p.t(f"サイエンスマップ {edition} における参画領域数",
                                                  f"Research areas with participation, science map {edition}"))
    return finish(chart)


def _edition(table: pa.Table) -> str:
    from junkan.charts._base import provenance_of

    return str(provenance_of(table).get("chart", {}).get("map", {}).get("edition", ""))


def participation_takeaway(table: pa.Table, p: ChartParams) -> str:
    r = {x["country"]: x for x in table.to_pylist()}.get(p.country)
    if r is None:
        raise ChartUnavailable(f"{p.country} takes part in no research area")
    vals = sorted((x for x in table["n_areas"].to_pylist()), reverse=True)
    rank = 1 + sum(1 for v in vals if v > r["n_areas"])
    return p.t(f"参画領域数 {r['n_areas']}（全{r['areas_total']}領域の{r['participation_rate']:.0%}、{len(vals)}か国中{rank}位）",
               f"{r['n_areas']} areas with participation ({r['participation_rate']:.0%} of {r['areas_total']}; "
               f"{ordinal(rank, 'en')} of {len(vals)} countries)")


# ------------------------------------------------------------------------------------------------------------------
# p5 participation with international vs domestic core papers


def intl_map_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    kinds = {"n_areas_intl": p.t("国際共著論文で参画", "with international papers"),
             "n_areas_domestic": p.t("国内論文のみで参画", "domestic papers only")}
    data = [{**r, "kind": kinds[k], "areas": r[k]} for r in rows(table) for k in kinds]
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("country_label:N", title=None, sort=[country_name(c, p.lang) for c in countries(p)]),
        y=alt.Y("areas:Q", stack=True, title=p.t("参画領域数", "areas with participation")),
        color=alt.Color("kind:N", title=None, sort=list(kinds.values())),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), "kind:N", "areas:Q",
                 alt.Tooltip("intl_rate:Q", format=".0%", title=p.t("国際共著率", "intl share of core papers"))],
    ).properties(width=520, height=300, title=p.t(f"サイエンスマップ {_edition(table)} における参加領域数と国際論文",
                                                  f"Participation and international papers, science map {_edition(table)}"))
    return finish(chart)


def intl_map_takeaway(table: pa.Table, p: ChartParams) -> str:
    r = {x["country"]: x for x in table.to_pylist()}.get(p.country)
    if r is None or not r["n_areas"]:
        raise ChartUnavailable(f"{p.country} takes part in no research area")
    share = r["n_areas_intl"] / r["n_areas"]
    vals = {x["country"]: x["n_areas_intl"] / x["n_areas"] for x in table.to_pylist() if x["n_areas"]}
    rank = 1 + sum(1 for v in vals.values() if v > share)
    return p.t(f"国際共著論文で参画する領域 {r['n_areas_intl']}/{r['n_areas']}（{share:.0%}、{len(vals)}か国中{rank}位）",
               f"Areas entered with international papers: {r['n_areas_intl']}/{r['n_areas']} ({share:.0%}; "
               f"{ordinal(rank, 'en')} of {len(vals)} countries)")

