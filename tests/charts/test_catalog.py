"""The chart catalog on a small simulated world: every chart renders in ja and en, its data equal the indicator
functions' outputs, the takeaways carry the right numbers, and PNG/SVG render offline with the CJK font."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pyarrow.compute as pc
import pytest

from junkan.charts import CATALOG, PAGES, ChartParams, ChartUnavailable, render, to_png, to_svg
from junkan.charts._base import FONT, PEERS, provenance_of
from junkan.charts.catalog import caption, font_directory
from junkan.engine import Engine
from junkan.errors import ConfigError
from junkan.indicators import run
from junkan.reports.statistics import import_statistics
from tests.charts.world import EXCHANGE_CSV, engine, world_dir

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    e = engine(tmp_path_factory)
    csv = world_dir(tmp_path_factory) / "exchange.csv"
    csv.write_text(EXCHANGE_CSV, encoding="utf-8")
    import_statistics(csv, world_dir(tmp_path_factory) / "store", title="Researchers sent abroad", unit="researchers",
                      source="MEXT exchange survey (test fixture)", licence="test")
    return e


def _marks(spec: dict) -> list:
    """Every mark of a (layered, faceted, concatenated) Vega-Lite spec."""
    out = []
    if "mark" in spec:
        out.append(spec["mark"])
    for k in ("layer", "vconcat", "hconcat", "concat"):
        for s in spec.get(k, []):
            out += _marks(s)
    if "spec" in spec:
        out += _marks(spec["spec"])
    return out


def _encodings(spec: dict) -> list[dict]:
    out = [spec["encoding"]] if "encoding" in spec else []
    for k in ("layer", "vconcat", "hconcat", "concat"):
        for s in spec.get(k, []):
            out += _encodings(s)
    if "spec" in spec:
        out += _encodings(spec["spec"])
    return out


def _has_data(spec: dict) -> bool:
    txt = json.dumps(spec)
    return '"values": [{' in txt or '"datasets"' in txt


def test_params_key_is_stable_and_validated() -> None:
    a, b = ChartParams(country="JP", lang="en"), ChartParams(country="JP", lang="en")
    assert a.key() == b.key() and a.key() != ChartParams(country="US", lang="en").key()
    assert ChartParams(country="jp").validate().country == "JP"
    for bad in (ChartParams(country="JPN"), ChartParams(lang="fr"), ChartParams(counting="half"),
                ChartParams(start=2020, end=2010), ChartParams(start=20)):
        with pytest.raises(ConfigError):
            bad.validate()


def test_catalog_shape() -> None:
    assert list(PAGES)[:2] == ["overview", "output"] and len(PAGES) == 8
    assert {d.page for d in CATALOG.values()} <= set(PAGES)
    pages = {d.briefing_page for d in CATALOG.values()}
    assert {"p2", "p3", "p4", "p5", "p6-8", "p9", "p10", "p15", "p24-25"} <= pages
    for d in CATALOG.values():
        assert set(d.title) == {"ja", "en"} and set(d.source) == {"ja", "en"}


def test_unknown_chart_is_a_config_error(eng: Engine) -> None:
    with pytest.raises(ConfigError, match="unknown chart"):
        render("no_such_chart", eng, ChartParams())


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("chart_id", list(CATALOG))
def test_every_chart_renders(eng: Engine, chart_id: str, lang: str) -> None:
    res = render(chart_id, eng, ChartParams(country="JP", lang=lang))
    spec = res.spec
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert _has_data(spec) and _marks(spec) and _encodings(spec)
    assert res.table.num_rows > 0
    assert res.title == CATALOG[chart_id].title[lang]
    title = spec["title"]["text"] if isinstance(spec.get("title"), dict) else spec.get("title", "")
    title = title if isinstance(title, str) else " ".join(title)
    if lang == "ja":
        assert CJK.search(title) and CJK.search(res.takeaway) and CJK.search(res.caption), (title, res.takeaway)
    else:
        assert not CJK.search(title) and not CJK.search(res.takeaway) and not CJK.search(res.caption)
    prov = eng.provenance
    assert prov["store_version"] in res.caption and prov["content_hash"][:12] in res.caption
    assert ("SIMULATED" in res.caption) and res.provenance["store_version"] == prov["store_version"]
    assert res.provenance["chart"]["id"] == chart_id
    assert spec["config"]["font"] == FONT


def test_caption_states_counting_window_profile_version() -> None:
    prov = {"store_version": "v000007", "content_hash": "abcdef0123456789", "simulated": False, "window": 3,
            "chart": {"counting": "institution", "years": "2020-2022", "profile": "cwts"}}
    en = caption(prov, ChartParams(lang="en"))
    assert en == ("fractional counting (by institution) · publication years 2020–2022 · citation window 3 years · "
                  "profile cwts · data version v000007 (abcdef012345)")
    ja = caption(prov, ChartParams(lang="ja"))
    assert "分数カウント" in ja and "2020–2022年" in ja and "データ版 v000007" in ja and "SIMULATED" not in ja


# ------------------------------------------------------------------------------------------------------------------
# chart data = the indicator functions' outputs


class _Rows(list):
    """Sorted rows that compare floats with a relative tolerance (DuckDB sums floats in parallel, so the last
    bits can differ between two runs of the same indicator)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, list) or len(self) != len(other):
            return False
        for a, b in zip(self, other, strict=True):
            for x, y in zip(a, b, strict=True):
                if isinstance(x, float) and isinstance(y, float):
                    if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                        return False
                elif x != y:
                    return False
        return True

    __hash__ = None  # type: ignore[assignment]


def _rows(t, cols):  # noqa: ANN001, ANN202
    return _Rows(sorted((tuple(r[c] for c in cols) for r in t.select(cols).to_pylist()),
                        key=lambda r: tuple(round(v, 6) if isinstance(v, float) else (v is None, v) for v in r)))


def test_intl_data_and_takeaway_match_the_indicator(eng: Engine) -> None:
    res = render("intl_coauthorship_trend", eng, ChartParams(country="JP", lang="ja"))
    ref = run(eng, "international_coauthorship")  # all years, all countries
    ref = ref.table.filter(pc.is_in(ref.table["country"], value_set=res.table["country"].unique()))
    cols = ["country", "year", "p", "p_international", "share"]
    assert _rows(res.table, cols) == _rows(ref, cols)
    assert set(res.table["country"].to_pylist()) <= set(PEERS)
    last = max(res.table["year"].to_pylist())
    shares = {r["country"]: r["share"] for r in ref.to_pylist() if r["year"] == last}
    rank = sorted(shares.values(), reverse=True).index(shares["JP"]) + 1
    assert res.takeaway == f"国際共著率 {last}年: {shares['JP']:.1%}（{len(shares)}か国中{rank}位）"
    en = render("intl_coauthorship_trend", eng, ChartParams(country="JP", lang="en"))
    assert f"{shares['JP']:.1%}" in en.takeaway and f"of {len(shares)} countries" in en.takeaway


def test_domestic_top10_matches_the_indicator(eng: Engine) -> None:
    res = render("domestic_international_top10", eng, ChartParams(country="JP", lang="en", start=2019, end=2023))
    ref = run(eng, "domestic_international", years="2019-2023", country=PEERS).table
    ref = ref.filter(pc.not_equal(ref["country"], "WLD"))
    cols = ["country", "year", "collaboration", "p", "p_top10", "p_top1"]
    assert _rows(res.table, cols) == _rows(ref, cols)
    jp = [r for r in ref.to_pylist() if r["country"] == "JP"]
    intl = sum(r["p_top10"] for r in jp if r["collaboration"] == "international")
    assert f"{intl / sum(r['p_top10'] for r in jp):.1%}" in res.takeaway


def test_rankings_match_the_indicator(eng: Engine) -> None:
    res = render("rankings_now_and_then", eng, ChartParams(country="JP", lang="ja", counting="fractional"))
    end = max(res.table["year"].to_pylist())
    ref = run(eng, "rankings", years=f"{end}-{end}", countings=["institution"], indicators=["papers", "top10"],
              lags=[20]).table
    cols = ["counting", "indicator", "country", "year", "value", "rank", "rank_20y"]
    shown = ref.filter(pc.or_(pc.less_equal(ref["rank"], 13), pc.equal(ref["country"], "JP")))
    assert _rows(res.table, cols) == _rows(shown.filter(pc.not_equal(shown["country"], "WLD")), cols)
    jp = {r["indicator"]: r for r in ref.to_pylist() if r["country"] == "JP"}
    assert f"論文数 {jp['papers']['rank']}位" in res.takeaway and f"Top10%補正論文数 {jp['top10']['rank']}位" in res.takeaway
    assert "分数カウント" in res.caption


def test_venue_counts_match_the_indicator(eng: Engine) -> None:
    from junkan.charts.bibliometric import VENUE_PATTERN

    res = render("venue_counts", eng, ChartParams(country="JP", lang="en"))
    ref = run(eng, "venue_papers", name_pattern=VENUE_PATTERN).table
    cols = ["country", "year", "p"]
    assert _rows(res.table, cols) == _rows(ref.filter(pc.not_equal(ref["country"], "WLD")), cols)


def test_mobility_charts_match_the_mobility_outputs(eng: Engine) -> None:
    from junkan import mobility

    res = render("mobility_scatter", eng, ChartParams(country="JP", lang="en"))
    y0, y1 = map(int, res.provenance["chart"]["years"].split("-"))
    rates = mobility.run(eng, "rates").table.to_pylist()
    for r in res.table.to_pylist():
        ys = [x for x in rates if x["country"] == r["country"] and y0 <= x["year"] <= y1]
        assert r["inflows"] == sum(x["inflows"] for x in ys)
        assert r["padded_population"] == sum(x["padded_population"] for x in ys)
        assert math.isclose(r["outflow_rate"], sum(x["outflows"] for x in ys) / r["padded_population"])
    assert "JP" in res.table["country"].to_pylist()
    jp = next(r for r in res.table.to_pylist() if r["country"] == "JP")
    assert f"Inflow rate {jp['inflow_rate']:.2%}" in res.takeaway

    imp = render("mobility_impact", eng, ChartParams(country="JP", lang="en"))
    ref = mobility.run(eng, "impact", periods=f"{y0}-{y1}", country=list(PEERS)).table
    cols = ["country", "class", "mncs", "n_authors"]
    assert _rows(imp.table, cols) == _rows(ref.filter(pc.is_in(ref["class"], value_set=imp.table["class"].unique())), cols)

    fl = render("world_flows", eng, ChartParams(country="JP", lang="ja"))
    ref = mobility.run(eng, "flows", period=f"{y0}-{y1}").table
    assert _rows(fl.table, ["origin", "destination", "flow"]) == _rows(ref, ["origin", "destination", "flow"])
    inflow = sum(r["flow"] for r in ref.to_pylist() if r["destination"] == "JP")
    assert f"流入 {inflow:,}人" in fl.takeaway


def test_science_map_charts_match_the_map(eng: Engine) -> None:
    from junkan.charts.sciencemap import science_map

    res = render("sciencemap_participation", eng, ChartParams(country="JP", lang="en"))
    m = science_map(eng, ChartParams(country="JP"))
    ref = m.countries.filter(pc.is_in(m.countries["country"], value_set=res.table["country"].unique()))
    cols = ["country", "n_areas", "n_leading", "n_areas_intl", "n_areas_domestic"]
    assert _rows(res.table, cols) == _rows(ref, cols)
    jp = next(r for r in ref.to_pylist() if r["country"] == "JP")
    assert res.takeaway.startswith(f"{jp['n_areas']} areas with participation")
    mp = render("science_map", eng, ChartParams(country="JP", lang="en"))
    assert mp.table.num_rows == m.areas.num_rows
    assert sum(mp.table["participates"].to_pylist()) == jp["n_areas"]


def test_hosts_chart_matches_the_evaluation(eng: Engine, tmp_path_factory: pytest.TempPathFactory) -> None:
    """p25: the institutions hosting the inbound cohort against JP and the US, from ``hosts_by_phase``."""
    from junkan.cohort import evaluate, read_cohort

    res = render("cohort_hosts", eng, ChartParams(country="JP", lang="en"))
    ev = evaluate(eng, read_cohort(world_dir(tmp_path_factory) / "cohorts" / "JP-INBOUND.csv"), country="JP",
                  bootstrap=0, comparison_country="US")
    got = {(r["phase"], r["metric"], r["group"]): r["value"] for r in res.table.to_pylist()}
    for r in ev.hosts_by_phase.to_pylist():
        for m in ("intl_share", "top_share"):
            for group, key in (("hosts", m), ("national", f"national_{m}"), ("comparison", f"comparison_{m}")):
                assert math.isclose(got[(r["phase"], m, group)], r[key], rel_tol=1e-9), (r["phase"], m, group)
    assert "host institutions during the stays" in res.takeaway
    with pytest.raises(ChartUnavailable, match="no cohort file"):
        render("cohort_hosts", eng, ChartParams(country="US", lang="en"))


def test_cohort_chart_matches_the_evaluation(eng: Engine, tmp_path_factory: pytest.TempPathFactory) -> None:
    from junkan.charts.cohorts import BOOTSTRAP, SEED
    from junkan.cohort import evaluate, read_cohort

    res = render("cohort_phases", eng, ChartParams(country="JP", lang="en"))
    ev = evaluate(eng, read_cohort(world_dir(tmp_path_factory) / "cohorts" / "JP-OVERSEAS.csv"), country="JP",
                  bootstrap=BOOTSTRAP, seed=SEED)
    by = {(r["phase"], "intl_share", "members"): r["intl_share"] for r in ev.by_phase.to_pylist()}
    got = {(r["phase"], r["metric"], r["group"]): r["value"] for r in res.table.to_pylist()}
    for k, v in by.items():
        assert math.isclose(got[k], v, rel_tol=1e-9)
    # the fellows' bars carry their paper-bootstrap interval (whiskers), the national average none
    lows = {(r["phase"], r["metric"], r["group"]): r["ci_low"] for r in res.table.to_pylist()}
    for ph in ("before", "during", "after"):
        assert lows[(ph, "intl_share", "members")] is not None and lows[(ph, "intl_share", "national")] is None
    did = next(r for r in ev.did.to_pylist() if r["metric"] == "intl_share")
    assert f"{did['did'] * 100:+.1f} points" in res.takeaway
    with pytest.raises(ChartUnavailable, match="no cohort file"):
        render("cohort_phases", eng, ChartParams(country="US", lang="en"))


def test_statistics_charts(eng: Engine) -> None:
    res = render("migration_statistics", eng, ChartParams(country="JP", lang="en"))
    pub = {(r["year"]): r["value"] for r in res.table.to_pylist() if r["origin"] == "scopus" and r["direction"] == "out"}
    import csv
    from importlib import resources

    with (resources.files("junkan") / "data" / "mpidr" / "country_year.csv").open(encoding="utf-8") as f:
        ref = {int(r["year"]): float(r["scopus_out_rate"]) for r in csv.DictReader(f) if r["iso2"] == "JP" and r["scopus_out_rate"]}
    assert pub == ref
    off = render("official_statistics", eng, ChartParams(country="JP", lang="ja"))
    assert sorted(off.table["value"].to_pylist()) == [150.0, 200.0, 1000.0, 1250.0]
    assert off.takeaway == "Researchers sent abroad 2021年: long-term 150（researchers）"
    meta = provenance_of(off.table)["chart"]["statistics"][0]
    assert meta["source"] == "MEXT exchange survey (test fixture)" and meta["counts"] == {"read": 6, "kept": 4, "rejected": 2}


# ------------------------------------------------------------------------------------------------------------------
# offline rendering


def test_png_and_svg_render_with_the_cjk_font(eng: Engine) -> None:
    d = font_directory()
    assert d is not None and any(Path(d).glob("NotoSansCJK*")), "fonts-noto-cjk must be installed"
    res = render("intl_coauthorship_trend", eng, ChartParams(country="JP", lang="ja"))
    png = to_png(res.spec, scale=1.0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    svg = to_svg(res.spec)
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
    assert "国際共著論文割合の推移" in svg and FONT in svg
