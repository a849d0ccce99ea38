"""Charts of the indicator core: international co-authorship (p15), domestic vs international Top10% (p3),
rankings now and 20 years ago (p9) and venue counts (p10). Every number comes from :func:`junkan.indicators.run`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from junkan.charts._base import ChartParams, ChartUnavailable, rows
from junkan.charts._common import (
    base_chart,
    chart_provenance,
    core_counting,
    countries,
    finish,
    label_countries,
    ordinal,
    period,
    with_prov,
)
from junkan.model.countries import country_name

if TYPE_CHECKING:
    from junkan.engine import Engine

#: The venue pattern of the p10 chart (AI conferences: AAAI, IJCAI, … in OpenAlex carry "Artificial Intelligence").
VENUE_PATTERN = "%Artificial Intelligence%"


def _field(p: ChartParams) -> dict[str, Any]:
    return {"field": [p.field]} if p.field is not None else {}


def _last_rank(table: pa.Table, p: ChartParams, value: str, year_col: str = "year") -> tuple[int, float | None, int, int]:
    """(year, focus value, focus rank, countries) in the last year of ``table``, ranked by ``value`` descending."""
    if table.num_rows == 0:
        raise ChartUnavailable("no data for the chart")
    last = pc.max(table[year_col]).as_py()
    t = table.filter(pc.equal(table[year_col], last))
    vals = {r["country"]: r[value] for r in t.to_pylist() if r[value] is not None}
    focus = vals.get(p.country)
    ranked = sorted(vals.values(), reverse=True)
    rank = 1 + sum(1 for v in ranked if focus is not None and v > focus)
    return last, focus, rank, len(vals)


# ------------------------------------------------------------------------------------------------------------------
# p15 international co-authorship


def intl_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.indicators import run

    years = period(engine, p)
    res = run(engine, "international_coauthorship", years=f"{years[0]}-{years[1]}", country=countries(p), **_field(p))
    t = res.table.filter(pc.not_equal(res.table["country"], "WLD"))
    t = label_countries(t, p)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting="whole", years=years,
                                         profile=res.provenance["profile"]))


def intl_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    c = base_chart(rows(table), p, p.t("国際共著論文割合の推移", "International co-authorship share"))
    enc = c.mark_line(point=True).encode(
        x=alt.X("year:O", title=p.t("出版年", "publication year")),
        y=alt.Y("share:Q", title=p.t("国際共著率", "internationally co-authored share"), axis=alt.Axis(format="%")),
        color=alt.Color("country_label:N", title=p.t("国", "country"), sort=[country_name(c, p.lang) for c in countries(p)]),
        strokeWidth=alt.condition(alt.datum.country == p.country, alt.value(3.5), alt.value(1.5)),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), alt.Tooltip("year:O"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("p:Q", title=p.t("論文数", "papers")),
                 alt.Tooltip("p_international:Q", title=p.t("国際共著論文数", "international papers"))],
    )
    return finish(enc)


def intl_takeaway(table: pa.Table, p: ChartParams) -> str:
    year, share, rank, n = _last_rank(table, p, "share")
    if share is None:
        return p.t(f"{year}年: {country_name(p.country, 'ja')}の論文なし", f"{year}: no papers of {p.country}")
    return p.t(f"国際共著率 {year}年: {share:.1%}（{n}か国中{rank}位）",
               f"International co-authorship {year}: {share:.1%} ({ordinal(rank, 'en')} of {n} countries)")


# ------------------------------------------------------------------------------------------------------------------
# p3 domestic vs international Top10%


def domestic_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.indicators import run

    years = period(engine, p, span=3)
    res = run(engine, "domestic_international", years=f"{years[0]}-{years[1]}", country=countries(p), **_field(p))
    t = res.table.filter(pc.not_equal(res.table["country"], "WLD"))
    t = label_countries(t, p)
    # integer counting only: the domestic/international decomposition is additive only then (docs/indicators.md)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting="whole", years=years,
                                         profile=res.provenance["profile"], top_method=res.provenance["options"].get("top_method")))


def _domestic_sum(table: pa.Table) -> pa.Table:
    """Top10% credits summed over the chart's years by country and collaboration class (a display sum)."""
    g = table.group_by(["country", "country_label", "collaboration"]).aggregate([("p_top10", "sum"), ("p", "sum")])
    return g.rename_columns(["country", "country_label", "collaboration", "p_top10", "p"])


def domestic_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    g = _domestic_sum(table)
    labels = {"domestic": p.t("国内論文", "domestic"), "international": p.t("国際共著論文", "international"),
              "bilateral": p.t("二国間共著", "bilateral"), "multilateral": p.t("多国間共著", "multilateral")}
    data = [{**r, "kind": labels.get(r["collaboration"], r["collaboration"])} for r in rows(g)]
    c = base_chart(data, p, p.t("Top10%論文における国内論文数と国際共著論文数", "Top10% papers: domestic vs international"),
                   width=520, height=300)
    enc = c.mark_bar().encode(
        y=alt.Y("country_label:N", title=None, sort=[country_name(c, p.lang) for c in countries(p)]),
        x=alt.X("p_top10:Q", stack=True, title=p.t("Top10%補正論文数（期間合計）", "Top10% papers (sum over the period)")),
        color=alt.Color("kind:N", title=None, sort=[labels["domestic"], labels["international"]]),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), "kind:N",
                 alt.Tooltip("p_top10:Q", format=",.1f"), alt.Tooltip("p:Q", format=",.1f", title=p.t("論文数", "papers"))],
    )
    return finish(enc)


def domestic_takeaway(table: pa.Table, p: ChartParams) -> str:
    g = {(r["country"], r["collaboration"]): r["p_top10"] for r in _domestic_sum(table).to_pylist()}
    shares = {}
    for c in {k[0] for k in g}:
        dom, intl = g.get((c, "domestic"), 0.0) or 0.0, g.get((c, "international"), 0.0) or 0.0
        if dom + intl > 0:
            shares[c] = intl / (dom + intl)
    if p.country not in shares:
        raise ChartUnavailable(f"no Top10% papers of {p.country} in the period")
    s = shares[p.country]
    rank = 1 + sum(1 for v in shares.values() if v > s)
    return p.t(f"Top10%論文のうち国際共著: {s:.1%}（{len(shares)}か国中{rank}位）",
               f"Top10% papers that are international: {s:.1%} ({ordinal(rank, 'en')} of {len(shares)} countries)")


# ------------------------------------------------------------------------------------------------------------------
# p9 rankings of papers and Top10% papers, now and 20 years ago

RANK_SHOWN = 13  # the briefing lists 13 countries
RANK_LAG = 20
_IND_LABELS = {"papers": ("論文数", "papers"), "top10": ("Top10%補正論文数", "Top10% papers")}


def rankings_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.indicators import run

    _, end = period(engine, p)
    res = run(engine, "rankings", years=f"{end}-{end}", countings=[core_counting(p)], indicators=["papers", "top10"],
              lags=[RANK_LAG], **_field(p))
    t = res.table.filter(pc.not_equal(res.table["country"], "WLD"))
    keep = pc.or_(pc.less_equal(t["rank"], RANK_SHOWN), pc.equal(t["country"], p.country))
    t = label_countries(t.filter(keep), p)
    period_text = t["period"][0].as_py() if t.num_rows else str(end)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting=core_counting(p), years=period_text,
                                         profile=res.provenance["profile"], span=3, lag=RANK_LAG,
                                         top_method=res.provenance["options"].get("top_method")))


def rankings_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    data = []
    for r in rows(table):
        ja, en = _IND_LABELS[r["indicator"]]
        prev = r.get(f"rank_{RANK_LAG}y")
        data.append({**r, "indicator_label": p.t(ja, en), "focus": r["country"] == p.country,
                     "label": p.t(f"{r['rank']}位（20年前 {prev}位）" if prev else f"{r['rank']}位",
                                  f"#{r['rank']} (20 years earlier #{prev})" if prev else f"#{r['rank']}")})
    period_text = table["period"][0].as_py() if table.num_rows else ""
    title = p.t(f"国・地域別論文数、Top10%補正論文数（{period_text}年平均）",
                f"Papers and Top10% papers by country ({period_text} mean)")
    bar = alt.Chart().mark_bar().encode(
        y=alt.Y("country_label:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None),
        x=alt.X("value:Q", title=p.t("3年平均", "3-year mean")),
        color=alt.condition(alt.datum.focus, alt.value("#d62728"), alt.value("#7f9fbf")),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), alt.Tooltip("value:Q", format=",.1f"),
                 "rank:Q", alt.Tooltip(f"rank_{RANK_LAG}y:Q", title=p.t("20年前の順位", "rank 20 years earlier"))],
    )
    text = bar.mark_text(align="left", dx=3, fontSize=10).encode(text="label:N", color=alt.value("#333333"))
    chart = alt.layer(bar, text, data=alt.Data(values=data)).properties(width=250, height=300).facet(
        column=alt.Column("indicator_label:N", title=None, sort=[p.t(*_IND_LABELS[k]) for k in ("papers", "top10")]),
    ).resolve_scale(y="independent", x="independent").properties(title=title)
    return finish(chart)


def rankings_takeaway(table: pa.Table, p: ChartParams) -> str:
    mine = {r["indicator"]: r for r in table.to_pylist() if r["country"] == p.country}
    if not mine:
        raise ChartUnavailable(f"no ranking of {p.country}")
    parts = []
    for ind in ("papers", "top10"):
        r = mine.get(ind)
        if r is None:
            continue
        prev = r.get(f"rank_{RANK_LAG}y")
        ja, en = _IND_LABELS[ind]
        parts.append(p.t(f"{ja} {r['rank']}位（20年前 {prev}位）" if prev else f"{ja} {r['rank']}位",
                         f"{en} #{r['rank']} (20 years earlier #{prev})" if prev else f"{en} #{r['rank']}"))
    period_text = next(iter(mine.values()))["period"]
    return p.t(f"{period_text}年平均: ", f"{period_text} mean: ") + p.t("、", "; ").join(parts)


# ------------------------------------------------------------------------------------------------------------------
# p10 papers in chosen venues (AI conferences)


def venue_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.indicators import run

    years = period(engine, p)
    res = run(engine, "venue_papers", name_pattern=VENUE_PATTERN, years=f"{years[0]}-{years[1]}",
              counting=core_counting(p))
    t = res.table.filter(pc.not_equal(res.table["country"], "WLD"))
    if t.num_rows == 0:
        raise ChartUnavailable(f"no papers in venues matching {VENUE_PATTERN!r}")
    shown = pc.is_in(t["country"], value_set=pa.array(countries(p)))
    t = label_countries(t.append_column("shown", shown), p)
    return with_prov(t, chart_provenance(engine, res.provenance, p, counting=core_counting(p), years=years,
                                         profile=res.provenance["profile"], venues=VENUE_PATTERN))


def venue_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    data = [r for r in rows(table) if r["shown"]]
    c = base_chart(data, p, p.t("AIの主要国際会議における国別発表件数の推移", "Papers at AI conferences by country"))
    enc = c.mark_line(point=True).encode(
        x=alt.X("year:O", title=p.t("出版年", "publication year")),
        y=alt.Y("p:Q", title=p.t("発表件数", "papers")),
        color=alt.Color("country_label:N", title=p.t("国", "country"), sort=[country_name(c, p.lang) for c in countries(p)]),
        strokeWidth=alt.condition(alt.datum.country == p.country, alt.value(3.5), alt.value(1.5)),
        tooltip=[alt.Tooltip("country_label:N", title=p.t("国", "country")), "year:O", alt.Tooltip("p:Q", format=",.1f")],
    )
    return finish(enc)


def venue_takeaway(table: pa.Table, p: ChartParams) -> str:
    year, value, rank, n = _last_rank(table, p, "p")
    if value is None:
        return p.t(f"{year}年: {country_name(p.country, 'ja')}の発表なし", f"{year}: no papers of {p.country}")
    return p.t(f"{year}年の発表件数: {value:,.0f}件（{n}か国中{rank}位）",
               f"Papers in {year}: {value:,.0f} ({ordinal(rank, 'en')} of {n} countries)")
