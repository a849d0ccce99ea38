"""Charts of researcher mobility (briefing p2-3): inflow vs outflow rates, citation impact by mobility class and
the world flow map. Every number comes from :func:`junkan.mobility.run`."""

from __future__ import annotations

import csv
from importlib import resources
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from junkan.charts._base import ChartParams, ChartUnavailable, rows
from junkan.charts._common import (
    base_chart,
    chart_provenance,
    countries,
    mobility_run,
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

#: Years of a mobility chart by default: the last 11 years of the store (the OECD window 2006-2016 is 11 years).
SPAN = 11
#: Countries in the scatter: the focus, its peers and the largest populations up to this many.
SCATTER_N = 20
#: Directed flows drawn on the map: the largest this many, plus every flow of the focus country among the top 3×.
MAP_FLOWS = 40


def _counting(p: ChartParams) -> str:
    return "author_main_economy"


def _mob_options(p: ChartParams) -> dict:
    return {"field": [p.field]} if p.field is not None else {}


# ------------------------------------------------------------------------------------------------------------------
# p2 top: inflow vs outflow rates


def scatter_compute(engine: Engine, p: ChartParams) -> pa.Table:
    """Rates pooled over the chart's years: Σ inflows / Σ padded population (and the same for outflows).

    The yearly counts and padded populations are those of ``junkan mobility rates`` (MPIDR padded population);
    pooling over years is the only arithmetic done here.
    """
    years = period(engine, p, span=SPAN)
    res = mobility_run(engine, "rates", **_mob_options(p))
    t = res.table.filter(pc.and_(pc.greater_equal(res.table["year"], years[0]), pc.less_equal(res.table["year"], years[1])))
    g = t.group_by("country").aggregate([("inflows", "sum"), ("outflows", "sum"), ("padded_population", "sum")])
    g = g.rename_columns(["country", "inflows", "outflows", "padded_population"])
    g = g.filter(pc.greater(g["padded_population"], 0))
    if g.num_rows == 0:
        raise ChartUnavailable("no researchers with a main economy in the period")
    pop = pc.cast(g["padded_population"], pa.float64())
    g = g.append_column("inflow_rate", pc.divide(pc.cast(g["inflows"], pa.float64()), pop))
    g = g.append_column("outflow_rate", pc.divide(pc.cast(g["outflows"], pa.float64()), pop))
    largest = g.sort_by([("padded_population", "descending"), ("country", "ascending")])["country"].to_pylist()
    keep = list(dict.fromkeys([*countries(p), *largest]))[: max(SCATTER_N, len(countries(p)))]
    g = filter_in(g, "country", keep).sort_by([("padded_population", "descending"), ("country", "ascending")])
    g = label_countries(g, p)
    return with_prov(g, chart_provenance(engine, res.provenance, p, counting=_counting(p), years=years, years_kind="years",
                                         profile=res.provenance["options"]["profile"], pooled="sum over years",
                                         rates="inflows or outflows / padded population"))


def scatter_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    data = [{**r, "focus": r["country"] == p.country} for r in rows(table)]
    c = base_chart(data, p, p.t("国内の研究者数に占める流入・流出する研究者の割合", "Researchers moving in and out, share of the country's researchers"),
                   width=480, height=360)
    pts = c.mark_circle(opacity=0.8).encode(
        x=alt.X("outflow_rate:Q", title=p.t("流出率", "outflow rate"), axis=alt.Axis(format=".1%")),
        y=alt.Y("inflow_rate:Q", title=p.t("流入率", "inflow rate"), axis=alt.Axis(format=".1%")),
        size=alt.Size("padded_population:Q", title=p.t("研究者数（延べ）", "researcher-years"), legend=None),
        color=alt.condition(alt.datum.focus, alt.value("#d62728"), alt.value("#4c78a8")),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")),
                 alt.Tooltip("inflow_rate:Q", format=".2%"), alt.Tooltip("outflow_rate:Q", format=".2%"),
                 alt.Tooltip("inflows:Q"), alt.Tooltip("outflows:Q"), alt.Tooltip("padded_population:Q")],
    )
    text = c.mark_text(dx=8, align="left", fontSize=10).encode(x="outflow_rate:Q", y="inflow_rate:Q", text="country_label:N")
    return finish(alt.layer(pts, text))


def scatter_takeaway(table: pa.Table, p: ChartParams) -> str:
    r = {x["country"]: x for x in table.to_pylist()}.get(p.country)
    if r is None:
        raise ChartUnavailable(f"no researchers of {p.country} in the period")
    n = table.num_rows
    rank_in = 1 + sum(1 for x in table["inflow_rate"].to_pylist() if x > r["inflow_rate"])
    rank_out = 1 + sum(1 for x in table["outflow_rate"].to_pylist() if x > r["outflow_rate"])
    return p.t(f"流入率 {r['inflow_rate']:.2%}（{n}か国中{rank_in}位）、流出率 {r['outflow_rate']:.2%}（{rank_out}位）",
               f"Inflow rate {r['inflow_rate']:.2%} ({ordinal(rank_in, 'en')} of {n}), outflow rate "
               f"{r['outflow_rate']:.2%} ({ordinal(rank_out, 'en')})")


# ------------------------------------------------------------------------------------------------------------------
# p2 bottom: citation impact of mobile vs non-mobile researchers

_CLASSES = {"stayer": ("定着", "stayers"), "new_inflow": ("新規流入", "new inflows"),
            "returnee": ("帰国", "returnees"), "outflow": ("流出", "outflows")}


def impact_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan import mobility

    years = period(engine, p, span=SPAN)
    res = mobility.run(engine, "impact", periods=f"{years[0]}-{years[1]}", country=countries(p), **_mob_options(p))
    t = filter_in(res.table, "class", list(_CLASSES))
    t = label_countries(t, p)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting=_counting(p), years=years, years_kind="years",
                                         profile=res.provenance["options"]["profile"],
                                         window_note={"ja": f"引用ウィンドウ {res.provenance['options']['window']}年",
                                                      "en": f"citation window {res.provenance['options']['window']} years"}))


def impact_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    order = [p.t(*v) for v in _CLASSES.values()]
    data = [{**r, "class_label": p.t(*_CLASSES[r["class"]])} for r in rows(table)]
    c = base_chart(data, p, p.t("流動性と論文の質（被引用インパクト）", "Citation impact (MNCS) by mobility class"),
                   width=90, height=240)
    enc = c.mark_bar().encode(
        x=alt.X("class_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("mncs:Q", title="MNCS"),
        color=alt.Color("class_label:N", title=p.t("区分", "class"), sort=order),
        column=alt.Column("country_label:N", title=None, sort=[country_name(c, p.lang) for c in countries(p)]),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), "class_label:N",
                 alt.Tooltip("mncs:Q", format=".2f"), alt.Tooltip("pp_top:Q", format=".1%"), "n_authors:Q"],
    )
    return finish(enc)


def impact_takeaway(table: pa.Table, p: ChartParams) -> str:
    mine = {r["class"]: r for r in table.to_pylist() if r["country"] == p.country}
    stay = mine.get("stayer")
    if not stay or stay["mncs"] is None:
        raise ChartUnavailable(f"no stayers of {p.country} with citation impact in the period")
    mobile = [(c, mine[c]["mncs_rel_stayers"]) for c in ("new_inflow", "outflow", "returnee")
              if c in mine and mine[c]["mncs_rel_stayers"] is not None]
    parts = [p.t(f"{_CLASSES[c][0]} {v:.2f}倍", f"{_CLASSES[c][1]} {v:.2f}×") for c, v in mobile]
    return p.t(f"定着研究者のMNCS {stay['mncs']:.2f}に対し: ", f"MNCS of stayers {stay['mncs']:.2f}; relative to them: ") + \
        p.t("、", ", ").join(parts or [p.t("流動研究者なし", "no mobile researchers")])


# ------------------------------------------------------------------------------------------------------------------
# p3 world flow map


def centroids() -> dict[str, tuple[float, float]]:
    """Approximate (lat, lon) per ISO alpha-2 code, shipped in ``junkan/data/geo`` (CC0, see ATTRIBUTION.md)."""
    path = resources.files("junkan") / "data" / "geo" / "country_centroids.csv"
    with path.open(encoding="utf-8") as f:
        return {r["iso2"]: (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)}


def flows_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan import mobility

    years = period(engine, p, span=SPAN)
    res = mobility.run(engine, "flows", period=f"{years[0]}-{years[1]}", **_mob_options(p))
    t = res.table.sort_by([("flow", "descending"), ("origin", "ascending"), ("destination", "ascending")])
    if t.num_rows == 0:
        raise ChartUnavailable("no moves between countries in the period")
    pos = centroids()
    ok = [o in pos and d in pos for o, d in zip(t["origin"].to_pylist(), t["destination"].to_pylist(), strict=True)]
    n_unplaced = ok.count(False)
    rank = list(range(1, t.num_rows + 1))
    focus = pc.or_(pc.equal(t["origin"], p.country), pc.equal(t["destination"], p.country))
    t = t.append_column("rank", pa.array(rank, pa.int64())).append_column("focus", focus)
    t = t.append_column("placed", pa.array(ok))
    drawn = [pl and (rk <= MAP_FLOWS or (fc and rk <= 3 * MAP_FLOWS))
             for pl, rk, fc in zip(ok, rank, focus.to_pylist(), strict=True)]
    t = t.append_column("drawn", pa.array(drawn))
    lat = [pos.get(o, (None, None))[0] for o in t["origin"].to_pylist()]
    t = t.append_column("lat", pa.array(lat, pa.float64())).append_column(
        "lon", pa.array([pos.get(o, (None, None))[1] for o in t["origin"].to_pylist()], pa.float64()))
    t = t.append_column("lat2", pa.array([pos.get(d, (None, None))[0] for d in t["destination"].to_pylist()], pa.float64()))
    t = t.append_column("lon2", pa.array([pos.get(d, (None, None))[1] for d in t["destination"].to_pylist()], pa.float64()))
    t = label_countries(label_countries(t, p, "origin", "origin_label"), p, "destination", "destination_label")
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting=_counting(p), years=years, years_kind="years",
                                         profile=res.provenance["options"]["profile"], flows_drawn=sum(drawn),
                                         flows_not_placed=n_unplaced,
                                         rule="first vs last main economy in the period (METHODS 2.2)"))


def flows_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    mine, other = p.t(f"{country_name(p.country, 'ja')}の移動", f"{p.country} flows"), p.t("その他", "other")
    data = [{**r, "who": mine if r["focus"] else other} for r in rows(table) if r["drawn"]]
    title = p.t("世界の研究者の主な流動", "Main flows of researchers")
    sphere = alt.Chart(alt.sphere()).mark_geoshape(fill="#eef3f8", stroke="#c8d3de")
    grat = alt.Chart(alt.graticule(step=[30, 30])).mark_geoshape(stroke="#d9e1ea", strokeWidth=0.5, filled=False)
    lines = alt.Chart(alt.Data(values=data)).mark_rule(opacity=0.7).encode(
        longitude="lon:Q", latitude="lat:Q", longitude2="lon2:Q", latitude2="lat2:Q",
        strokeWidth=alt.StrokeWidth("flow:Q", title=p.t("移動研究者数", "researchers moving"), scale=alt.Scale(range=[0.5, 6])),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[mine, other], range=["#d62728", "#6b8db5"])),
        tooltip=[alt.Tooltip("origin_label:N", title=p.t("出発", "from")),
                 alt.Tooltip("destination_label:N", title=p.t("到着", "to")), "flow:Q"],
    )
    ends = {r["destination"]: {"lat": r["lat2"], "lon": r["lon2"], "label": r["destination_label"], "code": r["destination"]}
            for r in data}
    ends.update({r["origin"]: {"lat": r["lat"], "lon": r["lon"], "label": r["origin_label"], "code": r["origin"]} for r in data})
    dots = alt.Chart(alt.Data(values=list(ends.values()))).mark_circle(size=18, color="#333333").encode(
        longitude="lon:Q", latitude="lat:Q", tooltip=["label:N"])
    names = dots.mark_text(dy=-7, fontSize=9, color="#333333").encode(text="code:N")
    chart = alt.layer(sphere, grat, lines, dots, names).project(type="equalEarth").properties(width=640, height=340, title=title)
    return finish(chart)


def flows_takeaway(table: pa.Table, p: ChartParams) -> str:
    d = {(r["origin"], r["destination"]): r["flow"] for r in table.to_pylist()}
    out = sum(v for (o, _), v in d.items() if o == p.country)
    inn = sum(v for (_, de), v in d.items() if de == p.country)
    period_text = table["period"][0].as_py() if table.num_rows else ""
    net = inn - out
    return p.t(f"{period_text}年の移動研究者: 流入 {inn:,}人、流出 {out:,}人（純{'流入' if net >= 0 else '流出'} {abs(net):,}人）",
               f"Researchers moving {period_text}: {inn:,} in, {out:,} out (net {'inflow' if net >= 0 else 'outflow'} {abs(net):,})")
