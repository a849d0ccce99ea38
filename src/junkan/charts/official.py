"""Official statistics next to the bibliometric indicators (briefing p6-8): the MPIDR published migration
rates beside junkan's own measurement, and every dataset imported with ``junkan stats import``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from junkan.charts._base import ChartParams, ChartUnavailable, rows
from junkan.charts._common import chart_provenance, finish, mobility_run, with_prov
from junkan.model.countries import country_name
from junkan.reports.statistics import MPIDR, list_statistics, load_statistics, metadata_of

if TYPE_CHECKING:
    from junkan.engine import Engine

_ORIGINS = {"scopus": ("MPIDR（Scopus）公表値", "MPIDR (Scopus), published"),
            "openalex": ("MPIDR（OpenAlex）公表値", "MPIDR (OpenAlex), published"),
            "junkan": ("junkan 測定値（このストア）", "junkan, measured in this store")}
_DIRS = {"out": ("流出率", "out-migration rate"), "in": ("流入率", "in-migration rate")}


def mpidr_compute(engine: Engine, p: ChartParams) -> pa.Table:
    """MPIDR published rates of the focus country (shipped dataset ``mpidr``) and junkan's padded-population
    rates from ``junkan mobility rates`` (the same definition), one row per (origin, direction, year)."""
    stats = load_statistics(None, MPIDR)
    s = stats.filter(pc.equal(stats["country"], p.country))
    out: list[dict[str, Any]] = []
    for r in s.to_pylist():
        origin = "scopus" if "Scopus" in r["series"] else "openalex"
        direction = "out" if r["series"].startswith("out") else "in"
        out.append({"country": p.country, "origin": origin, "direction": direction, "year": r["year"], "value": r["value"]})
    res = mobility_run(engine, "rates")  # every country: the same run as the mobility scatter's
    for r in res.table.to_pylist():
        if r["country"] == p.country and r["padded_population"]:
            out.append({"country": p.country, "origin": "junkan", "direction": "out", "year": r["year"],
                        "value": r["outflow_rate_padded"]})
            out.append({"country": p.country, "origin": "junkan", "direction": "in", "year": r["year"],
                        "value": r["inflow_rate_padded"]})
    if not out:
        raise ChartUnavailable(f"no published or measured migration rates of {p.country}")
    lo = p.start if p.start is not None else min(r["year"] for r in out)
    hi = p.end if p.end is not None else max(r["year"] for r in out)
    out = [r for r in out if lo <= r["year"] <= hi]
    t = pa.Table.from_pylist(out, schema=pa.schema([("country", pa.string()), ("origin", pa.string()),
                                                    ("direction", pa.string()), ("year", pa.int64()),
                                                    ("value", pa.float64())]))
    meta = metadata_of(stats)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting="published", years=(lo, hi),
                                         profile=res.provenance["options"]["profile"], field=None, years_kind="years",
                                         statistics={"dataset": MPIDR, "source": meta["source"],
                                                     "licence": meta["licence"]}))


def mpidr_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    order = [p.t(*v) for v in _ORIGINS.values()]
    data = [{**r, "origin_label": p.t(*_ORIGINS[r["origin"]]), "direction_label": p.t(*_DIRS[r["direction"]])}
            for r in rows(table)]
    chart = alt.Chart(alt.Data(values=data)).mark_line(point=True).encode(
        x=alt.X("year:O", title=p.t("年", "year")),
        y=alt.Y("value:Q", title=p.t("研究者に占める割合", "share of researchers"), axis=alt.Axis(format=".1%")),
        color=alt.Color("origin_label:N", title=None, sort=order,
                        scale=alt.Scale(domain=order, range=["#4c78a8", "#9ecae9", "#d62728"])),
        tooltip=["origin_label:N", "direction_label:N", "year:O", alt.Tooltip("value:Q", format=".2%")],
    ).properties(width=280, height=250).facet(
        column=alt.Column("direction_label:N", title=None, sort=[p.t(*_DIRS["out"]), p.t(*_DIRS["in"])]),
    ).properties(title=p.t(f"{country_name(p.country, 'ja')}の研究者の国際移動率: 公表統計と junkan の測定",
                           f"Migration rates of researchers in {country_name(p.country, 'en')}: published and measured"))
    return finish(chart)


def mpidr_takeaway(table: pa.Table, p: ChartParams) -> str:
    d = {(r["origin"], r["direction"], r["year"]): r["value"] for r in table.to_pylist()}
    both = sorted(y for (o, di, y) in d if o == "scopus" and di == "out" and ("junkan", "out", y) in d)
    if both:
        y = both[-1]
        return p.t(f"流出率 {y}年: MPIDR（Scopus）{d[('scopus', 'out', y)]:.2%}、junkan 測定値 {d[('junkan', 'out', y)]:.2%}",
                   f"Out-migration rate {y}: MPIDR (Scopus) {d[('scopus', 'out', y)]:.2%}, junkan {d[('junkan', 'out', y)]:.2%}")
    for origin, (ja, en) in (("scopus", ("MPIDR（Scopus）", "MPIDR (Scopus)")), ("junkan", ("junkan 測定値", "junkan"))):
        ys = sorted(y for (o, di, y) in d if o == origin and di == "out")
        if ys:
            v = d[(origin, "out", ys[-1])]
            return p.t(f"流出率 {ys[-1]}年: {ja} {v:.2%}", f"Out-migration rate {ys[-1]}: {en} {v:.2%}")
    raise ChartUnavailable(f"no published or measured out-migration rate of {p.country}")


# ------------------------------------------------------------------------------------------------------------------
# imported datasets (junkan stats import)


def imported_compute(engine: Engine, p: ChartParams) -> pa.Table:
    store = engine.provenance.get("store")
    listing = [r for r in list_statistics(store).to_pylist() if not r["builtin"]]
    if not listing:
        raise ChartUnavailable("no official statistics imported. Hint: junkan stats import FILE.csv --store STORE "
                               "--title ... --unit ... --source ... --licence ...")
    parts, metas = [], []
    for d in listing:
        t = load_statistics(store, d["dataset"])
        t = t.filter(pc.is_in(t["country"], value_set=pa.array([p.country, "WLD"])))
        if p.start is not None:
            t = t.filter(pc.greater_equal(t["year"], p.start))
        if p.end is not None:
            t = t.filter(pc.less_equal(t["year"], p.end))
        if t.num_rows:
            parts.append(t.replace_schema_metadata(None))
            metas.append({k: metadata_of(load_statistics(store, d["dataset"]))[k]
                          for k in ("dataset", "title", "unit", "source", "licence", "input", "counts")})
    if not parts:
        raise ChartUnavailable(f"no imported official statistics for {p.country}")
    t = pa.concat_tables(parts)
    years = (pc.min(t["year"]).as_py(), pc.max(t["year"]).as_py())
    return with_prov(t, chart_provenance(engine, None, p, counting="published", years=years, profile=None, field=None, years_kind="years",
                                         statistics=metas))


def imported_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    charts = []
    for ds in dict.fromkeys(table["dataset"].to_pylist()):
        sub = [r for r in rows(table) if r["dataset"] == ds]
        for r in sub:
            r["series_label"] = r["series"] or r["title"]
        unit = sub[0]["unit"]
        charts.append(alt.Chart(alt.Data(values=sub)).mark_line(point=True).encode(
            x=alt.X("year:O", title=p.t("年", "year")),
            y=alt.Y("value:Q", title=unit),
            color=alt.Color("series_label:N", title=None),
            tooltip=["series_label:N", "year:O", alt.Tooltip("value:Q", format=",.4~g"), "source:N"],
        ).properties(width=520, height=200, title=f"{sub[0]['title']} ({sub[0]['source']}; {sub[0]['licence']})"))
    chart = alt.vconcat(*charts).properties(title=p.t("公的統計", "Official statistics"))
    return finish(chart)


def fmt_value(v: float) -> str:
    """1,234,567 for large or whole numbers, 4 significant digits otherwise."""
    if abs(v) >= 1000 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.4g}"


def imported_takeaway(table: pa.Table, p: ChartParams) -> str:
    first = table["dataset"][0].as_py()
    sub = [r for r in table.to_pylist() if r["dataset"] == first]
    y = max(r["year"] for r in sub)
    last = [r for r in sub if r["year"] == y]
    vals = p.t("、", "; ").join(f"{(r['series'] + ' ') if r['series'] else ''}{fmt_value(r['value'])}" for r in last)
    return p.t(f"{sub[0]['title']} {y}年: {vals}（{sub[0]['unit']}）", f"{sub[0]['title']} {y}: {vals} ({sub[0]['unit']})")
