"""Hand-computed cases for the building blocks and every indicator family (DuckDB; parity is in test_parity)."""

from __future__ import annotations

import math

import pytest
from indicator_world import work_row

from junkan.engine import connect
from junkan.errors import ConfigError
from junkan.indicators import run
from junkan.store import write_store

INSTITUTIONS = [
    dict(institution_id=f"I{cc}{i}", country_code=cc)
    for cc in ("JP", "US", "DE", "CN", "HK", "KR", "GB") for i in range(1, 4)
] + [dict(institution_id="INULL", country_code=None)]


def make_store(path, works, authors, references=(), sources=()):
    """``authors``: (work_id, position, author_id, [institution ids], [authorship countries], raw strings)."""
    auth, ai, ac = [], [], []
    for wid, pos, aid, insts, ccs, raw in authors:
        auth.append(dict(work_id=wid, author_position=pos, author_id=aid, raw_affiliation_strings=raw))
        ai += [dict(work_id=wid, author_position=pos, institution_id=i) for i in insts]
        ac += [dict(work_id=wid, author_position=pos, country_code=c) for c in ccs]
    write_store(path, dict(works=works, authorships=auth, authorship_institutions=ai, authorship_countries=ac,
                           institutions=INSTITUTIONS, references=list(references), sources=list(sources)))
    return connect(path, backend="duckdb", threads=1)


def by(table, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in table.to_pylist()}


# --- citations (METHODS 0.5) --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cit_engine(tmp_path_factory):
    # X (2010, author A1). Citing: Q1 2010 (A2), Q2 2012 (A1: self-citation), Q3 2014 (A3), Q4 2009 (A4, before X:
    # negative window counts as 0), Q5 2011 dataset (outside the nistep citing universe); X cites itself.
    works = [work_row("X", publication_year=2010)]
    works += [work_row(q, publication_year=y, field_id=27, subfield_id=2701)
              for q, y in (("Q1", 2010), ("Q2", 2012), ("Q3", 2014), ("Q4", 2009))]
    works.append(work_row("Q5", publication_year=2011, type="dataset", source_type="repository"))
    authors = [("X", 0, "A1", ["IJP1"], [], None)]
    authors += [(q, 0, a, ["IUS1"], [], None) for q, a in (("Q1", "A2"), ("Q2", "A1"), ("Q3", "A3"), ("Q4", "A4"),
                                                             ("Q5", "A5"))]
    refs = [dict(work_id=q, cited_work_id="X") for q in ("Q1", "Q2", "Q3", "Q4", "Q5", "X")]
    refs.append(dict(work_id="Q1", cited_work_id="W_missing"))
    return make_store(tmp_path_factory.mktemp("cit"), works, authors, refs)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, 4),  # Q1..Q4 (nistep citing universe excludes the dataset; the self-link never counts)
        ({"window": 3}, 3),  # 2010..2012: Q1, Q2, Q4 (Q4 precedes X: window 0)
        ({"window": 1}, 2),  # 2010 only (+ Q4)
        ({"census_year": 2011}, 2),  # Q1, Q4
        ({"self_citations": False}, 3),  # Q2 shares author A1
        ({"citing": "all"}, 5),  # Q5 counts too
        ({"window": 3, "census_year": 2011, "self_citations": False}, 2),
    ],
)
def test_citation_windows_and_self_citations(cit_engine, options, expected):
    rows = by(run(cit_engine, "work_scores", **options).table, "work_id")
    assert rows["X"]["citations"] == expected


def test_window_must_be_positive(cit_engine):
    with pytest.raises(ConfigError, match="window"):
        run(cit_engine, "work_scores", window=0)


# --- countries, units and counting (METHODS 0.3, 0.4) ---------------------------------------------------------


@pytest.fixture(scope="module")
def country_engine(tmp_path_factory):
    works = [work_row(w) for w in ("H1", "K1", "K2", "N1")]
    authors = [
        # H1: HK institution + CN institution → CN only under nistep/cwts, HK and CN under oecd
        ("H1", 0, "a", ["IHK1"], ["HK"], None), ("H1", 1, "b", ["ICN1"], ["CN"], None),
        # K1: JP institution; two KR authors without an institution but the same raw string → one KR pseudo-unit
        ("K1", 0, "c", ["IJP1"], ["JP"], ["Tokyo U"]),
        ("K1", 1, "d", [], ["KR"], ["Seoul Lab"]), ("K1", 2, "e", [], ["KR"], ["Seoul Lab"]),
        # K2: JP institution; two KR authors without raw strings → two KR pseudo-units; one author unknown country
        ("K2", 0, "f", ["IJP1"], ["JP"], None), ("K2", 1, "g", [], ["KR"], None), ("K2", 2, "h", [], ["KR"], []),
        ("K2", 3, "i", ["INULL"], [], None),
        # N1: only an institution without country → no country at all
        ("N1", 0, "j", ["INULL"], [], None),
    ]
    return make_store(tmp_path_factory.mktemp("countries"), works, authors)


def test_hong_kong_maps_to_china_by_preset(country_engine):
    nistep = by(run(country_engine, "international_coauthorship", country_map="nistep").table, "country")
    oecd = by(run(country_engine, "international_coauthorship", country_map="oecd").table, "country")
    assert nistep["CN"]["p_international"] == 0 and "HK" not in nistep
    assert oecd["CN"]["p_international"] == 1 and oecd["HK"]["p"] == 1


def test_pseudo_units_for_countries_without_institution(country_engine):
    w = by(run(country_engine, "work_credits", counting="institution").table, "work_id", "country")
    assert w[("K1", "JP")]["weight"] == pytest.approx(1 / 2)  # units: IJP1, R:KR:Seoul Lab
    assert w[("K2", "JP")]["weight"] == pytest.approx(1 / 3)  # units: IJP1, R:KR:#1, R:KR:#2
    assert w[("K2", "KR")]["weight"] == pytest.approx(2 / 3)
    assert not any(k[0] == "N1" for k in w)


def test_author_level_counting_with_unknown_author(country_engine):
    lit = by(run(country_engine, "work_credits", counting="author_literal").table, "work_id", "country")
    ren = by(run(country_engine, "work_credits", counting="author").table, "work_id", "country")
    assert lit[("K2", "JP")]["weight"] == pytest.approx(1 / 4)  # 4 authorships, i has no country
    assert lit[("K2", "KR")]["weight"] == pytest.approx(2 / 4)
    assert ren[("K2", "JP")]["weight"] == pytest.approx(1 / 3)
    assert ren[("K2", "KR")]["weight"] == pytest.approx(2 / 3)


def test_papers_world_denominators_keep_countryless_works(country_engine):
    p = by(run(country_engine, "papers", counting="fractional").table, "country")
    assert p["JP"]["n_works"] == 4 and p["JP"]["n_assignable"] == 3
    assert p["JP"]["p"] == pytest.approx(1 / 2 + 1 / 3)
    assert sum(r["p"] for r in p.values()) == pytest.approx(3.0)


# --- document sets (METHODS 0.2, 0.7) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docset_engine(tmp_path_factory):
    works = [
        work_row("ok"),
        work_row("review", type="review", source_id="S2"),
        work_row("editorial", type="editorial"),
        work_row("conf", source_id="S3", source_type="conference"),
        work_row("para", is_paratext=True),
        work_row("retr", is_retracted=True),
        work_row("soc", field_id=33, subfield_id=3301, domain_id=2),
        work_row("psy", field_id=32, subfield_id=3201, domain_id=2),
        work_row("nullflags", is_paratext=None, is_retracted=None),
    ]
    authors = [(w["work_id"], 0, "a", ["IJP1"], [], None) for w in works]
    refs = [dict(work_id="ok", cited_work_id="review"), dict(work_id="conf", cited_work_id="ok")]
    sources = [dict(source_id="S1", type="journal", is_core=True), dict(source_id="S2", type="journal", is_core=False),
               dict(source_id="S3", type="conference", is_core=False)]
    return make_store(tmp_path_factory.mktemp("docset"), works, authors, refs, sources)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {"ok", "review", "psy", "nullflags"}),
        ({"exclude_social_sciences": False}, {"ok", "review", "psy", "nullflags", "soc"}),
        ({"core": "openalex"}, {"ok", "psy", "nullflags"}),
        ({"core": "S2"}, {"review"}),
        ({"profile": "cwts"}, {"ok", "conf"}),  # ≥ 1 reference required
        ({"profile": "all"}, {"ok", "review", "editorial", "conf", "para", "retr", "soc", "psy", "nullflags"}),
    ],
)
def test_document_set_profiles(docset_engine, options, expected):
    got = {r["work_id"] for r in run(docset_engine, "work_credits", **options).table.to_pylist()}
    assert got == expected


# --- collaboration (METHODS 3, 5) -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def collab_engine(tmp_path_factory):
    # 2020: p1 {JP,US}, p2 {JP,US,DE}, p3 {JP}, p4 {US,DE}; 2016: p0 {JP,US}; 2015: q0 {JP, DE}
    def w(i, y=2020):
        return work_row(i, publication_year=y)

    works = [w("p1"), w("p2"), w("p3"), w("p4"), w("p0", 2016), w("q0", 2015)]
    authors = [
        ("p1", 0, "a", ["IJP1"], [], None), ("p1", 1, "b", ["IUS1"], [], None),
        ("p2", 0, "a", ["IJP1", "IUS2"], [], None), ("p2", 1, "c", ["IDE1"], [], None),
        ("p3", 0, "a", ["IJP1"], [], None), ("p3", 1, "d", ["IJP2"], [], None),
        ("p4", 0, "e", ["IUS1"], [], None), ("p4", 1, "c", ["IDE1"], [], None),
        ("p0", 0, "a", ["IJP1"], [], None), ("p0", 1, "b", ["IUS1"], [], None),
        ("q0", 0, "a", ["IJP1"], [], None), ("q0", 1, "c", ["IDE1"], [], None),
    ]
    return make_store(tmp_path_factory.mktemp("collab"), works, authors)


def test_international_share_and_world_rate(collab_engine):
    t = by(run(collab_engine, "international_coauthorship", years=2020).table, "country")
    assert (t["JP"]["p"], t["JP"]["p_international"], t["JP"]["share"]) == (3, 2, pytest.approx(2 / 3))
    assert (t["US"]["p_bilateral"], t["US"]["p_multilateral"]) == (2, 1)
    assert (t["WLD"]["p"], t["WLD"]["p_international"]) == (4, 3)


def test_coauthorship_matrix_salton_and_affinity(collab_engine):
    m = by(run(collab_engine, "coauthorship_matrix", years=2020).table, "country_a", "country_b")
    assert m[("JP", "US")]["n_ab"] == 2 and m[("US", "DE")]["n_ab"] == 2 and m[("JP", "DE")]["n_ab"] == 1
    assert m[("JP", "US")]["salton"] == pytest.approx(2 / 3)  # 2 / sqrt(3 · 3)
    assert m[("US", "DE")]["salton"] == pytest.approx(2 / math.sqrt(6))
    # links: L_JP = 3, L_US = 4, L_DE = 3, L = 10
    assert m[("JP", "US")]["affinity"] == pytest.approx(2 * 10 / (3 * 4))
    assert m[("US", "JP")]["affinity"] == pytest.approx(m[("JP", "US")]["affinity"])
    assert len(m) == 6


def test_domestic_international_split(collab_engine):
    d = by(run(collab_engine, "domestic_international", years=2020).table, "country", "collaboration")
    assert d[("JP", "domestic")]["p"] == 1 and d[("JP", "international")]["p"] == 2
    assert d[("JP", "international")]["class_share"] == pytest.approx(2 / 3)
    # all uncited, 4 works in the field-year: every work gets 0.1 (NISTEP inclusive), 0.01 for Top1%
    assert d[("JP", "international")]["p_top10"] == pytest.approx(0.2)
    assert d[("JP", "domestic")]["pp_top1"] == pytest.approx(0.01)
    s = by(run(collab_engine, "domestic_international", years=2020, split_international=True).table,
           "country", "collaboration")
    assert s[("JP", "bilateral")]["p"] == 1 and s[("JP", "multilateral")]["p"] == 1


def test_partners_growth_share_and_rank(collab_engine):
    t = by(run(collab_engine, "partners", focus="JP", years="2019-2022").table, "partner")
    # baseline 2015-2018: US 1 (p0), DE 1 (q0); now: US 2, DE 1; JP international papers now: 2
    assert (t["US"]["joint_p"], t["US"]["joint_p_base"], t["US"]["growth"], t["US"]["rank"]) == (2, 1, 1.0, 1)
    assert (t["DE"]["joint_p"], t["DE"]["growth"], t["DE"]["rank"]) == (1, 0.0, 2)
    assert t["US"]["partner_share"] == 1.0 and t["DE"]["partner_share"] == 0.5
    assert t["US"]["joint_mncs"] == 1.0  # all uncited: NCS = 1


def test_partner_fields_gap(collab_engine):
    t = by(run(collab_engine, "partner_fields", focus="JP", years=2020).table, "partner", "field_id")
    # field 23, 2020: 4 works; US in 3 (p1, p2, p4) → world share 3/4; US in both JP international papers → 1
    us = t[("US", 23)]
    assert (us["partner_p"], us["world_p"], us["joint_p"], us["focus_intl_p"]) == (3, 4, 2, 2)
    assert us["gap"] == pytest.approx(3 / 4 - 1)
    assert t[("DE", 23)]["gap"] == pytest.approx(2 / 4 - 1 / 2)


def test_partners_needs_a_focus(collab_engine):
    with pytest.raises(ConfigError, match="focus"):
        run(collab_engine, "partners")


# --- rankings (METHODS 0.9, 4) --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rank_engine(tmp_path_factory):
    # papers per year: 2000-2002: A 3, B 2, C 2; 2003-2009: none; 2010-2012: A 1, B 2, C 3 (A=JP, B=US, C=DE)
    works, authors = [], []
    plan = {range(2000, 2003): {"JP": 3, "US": 2, "DE": 2}, range(2010, 2013): {"JP": 1, "US": 2, "DE": 3}}
    for years, counts in plan.items():
        for y in years:
            for cc, n in counts.items():
                for i in range(n):
                    wid = f"{cc}{y}_{i}"
                    works.append(work_row(wid, publication_year=y))
                    authors.append((wid, 0, None, [f"I{cc}1"], [], None))
    return make_store(tmp_path_factory.mktemp("rank"), works, authors)


def test_rankings_competition_ranks_and_change(rank_engine):
    t = run(rank_engine, "rankings", indicators="papers", countings="whole", lags="10").table
    r = by(t, "country", "year")
    assert [r[(c, 2002)]["rank"] for c in ("JP", "US", "DE")] == [1, 2, 2]  # tie → same rank
    assert [r[(c, 2012)]["rank"] for c in ("JP", "US", "DE")] == [3, 2, 1]
    assert [r[(c, 2012)]["rank_change_10y"] for c in ("JP", "US", "DE")] == [-2, 0, 1]
    assert r[("JP", 2002)]["value"] == 3.0 and r[("JP", 2002)]["period"] == "2000-2002"
    assert r[("JP", 2002)]["share"] == pytest.approx(3 / 7)
    # the gap years count 0: 2001-2003 mean for JP = (3 + 3 + 0) / 3
    assert r[("JP", 2003)]["value"] == pytest.approx(2.0)
    assert min(y for _, y in r) == 2002  # a 3-year mean needs three years of data
    assert r[("JP", 2011)]["rank_10y"] is None  # 2001 has no 3-year mean


def test_rankings_years_filter_end_years_only(rank_engine):
    t = run(rank_engine, "rankings", indicators="papers", countings="whole", lags="10", years="2012").table
    assert set(t.column("year").to_pylist()) == {2012}
    assert all(v is not None for v in t.column("rank_10y").to_pylist())


# --- venues (METHODS 8) ---------------------------------------------------------------------------------------


def test_venue_papers_by_name_pattern_with_coverage(tmp_path):
    works = [work_row(f"v{i}", source_id="S3", source_type="conference", type="article") for i in range(4)]
    works.append(work_row("other", source_id="S1"))
    authors = [
        ("v0", 0, "a", ["IJP1"], [], None), ("v0", 1, "b", ["IUS1"], [], None),
        ("v1", 0, "c", ["IJP1"], [], None), ("v1", 1, "d", [], [], None),
        ("v2", 0, "e", [], [], None),
        ("v3", 0, "f", [], ["JP"], ["Kyoto"]),
        ("other", 0, "g", ["IJP1"], [], None),
    ]
    sources = [dict(source_id="S3", display_name="Proceedings of the AAAI Conference on Artificial Intelligence",
                    type="conference"), dict(source_id="S1", display_name="Some Journal", type="journal")]
    eng = make_store(tmp_path, works, authors, sources=sources)
    t = by(run(eng, "venue_papers", name_pattern="%aaai conference%").table, "country")
    assert t["JP"]["p"] == 3 and t["US"]["p"] == 1
    assert t["JP"]["n_works"] == 4
    assert t["JP"]["share_any_country"] == pytest.approx(3 / 4)
    assert t["JP"]["share_all_country"] == pytest.approx(2 / 4)  # v0 and v3
    assert by(run(eng, "venue_papers", sources="S1").table, "country")["JP"]["p"] == 1
    with pytest.raises(ConfigError, match="sources"):
        run(eng, "venue_papers")
