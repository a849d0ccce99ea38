"""Document-set filters: the page-count filter ``min_pages`` (METHODS §0.2, §8.1) and the dataesr country blocklist
``country_blocklist`` (§0.3). Hand-computed stores; one hypothesis property (a filter never increases a count)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indicator_world import COUNTRIES, make_world, work_row

from junkan.engine import connect
from junkan.errors import BadInputError, ConfigError
from junkan.indicators import run
from junkan.indicators.base import StoreTables
from junkan.indicators.blocklist import Blocklist, load_blocklist, normalize_raw
from junkan.indicators.coauthorship import coauthorship_matrix
from junkan.indicators.international import international_coauthorship
from junkan.indicators.pages import page_counts
from junkan.indicators.papers import papers
from junkan.model.schema import arrow_schema
from junkan.store import write_store

DATAESR = Path(__file__).parents[1] / "data" / "dataesr"
EXCERPT = DATAESR / "mismatch_country_excerpt.csv"


def by(table, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in table.to_pylist()}


# --- pages ----------------------------------------------------------------------------------------------------
# P12 "1"-"2" (2 pages, JP); P512 "5"-"12" (8 pages, JP + US); PE "e123" (article number, US); PN no biblio (DE);
# PR "12"-"5" (last before first: no page count, CN). All 2020 journal articles of source S1.


@pytest.fixture(scope="module")
def pages_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages")
    works = [work_row(w) for w in ("P12", "P512", "PE", "PN", "PR")]
    auth = [("P12", 0, "IJP"), ("P512", 0, "IJP"), ("P512", 1, "IUS"), ("PE", 0, "IUS"), ("PN", 0, "IDE"),
            ("PR", 0, "ICN")]
    biblio = [dict(work_id="P12", volume="3", first_page="1", last_page="2"),
              dict(work_id="P512", first_page="5", last_page="12"),
              dict(work_id="PE", first_page="e123"),
              dict(work_id="PR", first_page="12", last_page="5")]
    write_store(path, dict(
        works=works,
        authorships=[dict(work_id=w, author_position=p) for w, p, _ in auth],
        authorship_institutions=[dict(work_id=w, author_position=p, institution_id=i) for w, p, i in auth],
        institutions=[dict(institution_id=f"I{c}", country_code=c) for c in ("JP", "US", "DE", "CN")],
        sources=[dict(source_id="S1", display_name="Proceedings of the Test Conference", type="journal")],
        work_biblio=biblio,
    ))
    return connect(path, backend="duckdb", threads=1)


@pytest.mark.parametrize(
    ("min_pages", "expected", "dropped"),
    [
        (None, {"JP": 2, "US": 2, "DE": 1, "CN": 1}, None),
        (0, {"JP": 2, "US": 2, "DE": 1, "CN": 1}, None),  # 0 = off
        (3, {"JP": 1, "US": 2, "DE": 1, "CN": 1}, 1),  # P12 (2 pages) dropped
        (8, {"JP": 1, "US": 2, "DE": 1, "CN": 1}, 1),  # P512 has exactly 8 pages: kept
        (9, {"US": 1, "DE": 1, "CN": 1}, 2),  # P512 dropped too; PE, PN, PR have no page count: kept
    ],
)
def test_min_pages_hand_computed(pages_engine, min_pages, expected, dropped):
    res = run(pages_engine, "papers", profile="all", min_pages=min_pages)
    got = {c: r["p"] for c, r in by(res.table, "country").items()}
    assert got == expected
    assert {r["n_works"] for r in res.table.to_pylist()} == {5 - (dropped or 0)}
    f = res.provenance["filters"]
    assert f["min_pages"] == (min_pages or None)
    if dropped is None:
        assert "pages" not in f
    else:
        assert f["pages"] == {"min_pages": min_pages, "n_works": 5, "n_dropped": dropped, "n_kept_unknown": 3}


def test_min_pages_reaches_every_indicator_and_the_cli_flags(pages_engine):
    from junkan.indicators import REGISTRY

    for spec in REGISTRY.values():
        assert spec.option("min_pages").type == "int" and spec.option("country_blocklist").type == "str_list"
    ic = by(run(pages_engine, "international_coauthorship", profile="all", min_pages=9).table, "country")
    assert "JP" not in ic and ic["US"]["p"] == 1 and ic["US"]["p_international"] == 0
    ic = by(run(pages_engine, "international_coauthorship", profile="all").table, "country")
    assert ic["JP"]["p_international"] == 1


def test_venue_papers_drops_short_items_by_default(pages_engine):
    res = run(pages_engine, "venue_papers", sources="S1")
    assert res.provenance["filters"]["min_pages"] == 4 and res.provenance["filters"]["pages"]["n_dropped"] == 1
    assert by(res.table, "country")["JP"]["p"] == 1 and res.table.to_pylist()[0]["n_works"] == 4
    off = run(pages_engine, "venue_papers", sources="S1", min_pages="0")
    assert by(off.table, "country")["JP"]["p"] == 2 and off.table.to_pylist()[0]["n_works"] == 5


@pytest.mark.parametrize("bad", [-1, "three", True])
def test_min_pages_bad_values(pages_engine, bad):
    with pytest.raises(ConfigError, match="min_pages|not a valid int"):
        run(pages_engine, "papers", min_pages=bad)


def test_page_counts_parsing():
    b = ibis.memtable({"work_id": ["a", "b", "c", "d", "e", "f", "g"],
                       "first_page": [" 5 ", "007", "iv", "3", None, "1234567890", "5f"],
                       "last_page": ["12", "9", "x", "3", "4", "1234567899", "v9"]})
    got = {r["work_id"]: r["pages"] for r in ibis.duckdb.connect().to_pyarrow(page_counts(b)).to_pylist()}
    assert got == {"a": 8, "b": 3, "d": 1}  # roman numerals, null, 10-digit and lettered pages have no count


# --- the dataesr blocklist ---------------------------------------------------------------------------------------
# Works named as in the real excerpt (tests/data/dataesr). Authorship 0 carries the listed raw string.
#  W4200431031: a0 Univ. of Georgia (GE, wrong); a1 Univ JP → C = {GE, JP}; blocklist → {JP}
#  W3030944051: a0 KTH (SE, wrong) + Stockholm University (SE, right); a1 DE → institution SE 2/3, DE 1/3; → ½, ½
#  W3084423327: a0 country US from authorship_countries only (pseudo-unit, wrong); a1 JP → C = {US, JP} → {JP}
#  W2606937270: a0 HKU with country CN, dataesr says HK: under the nistep map HK → CN, so no change; under oecd CN goes
#  W3008684620: a0 Univ. Côte d'Azur (FR) + Shanghai Jiao Tong (CN, wrong; dataesr joins both names with ';')
#  W9: a0 same Georgia raw string but another work: untouched (GE stays)

GEORGIA = "Department of Crop & Soil Sciences, University of Georgia, (UGA), Tifton, GA 31793, USA"
KTH = "KTH Royal Institute of Technology, Stockholm, France"
IAC = "New Caledonian Agronomic Institute (IAC), BP 73, 98890 Païta, New Caledonia"
NICE = "Université Côte d'Azur CNRS INSERM IRCAN Medical School of Nice Nice France"


def _bl_tables():
    insts = [("IUGA", "GE", "University of Georgia"), ("IJP", "JP", "Univ JP"), ("IKTH", "SE", "Royal Institute of Technology"),
             ("ISU", "SE", "Stockholm University"), ("IDE", "DE", "Univ DE"), ("IHKU", "CN", "University of Hong Kong"),
             ("IUCA", "FR", "Université Côte d'Azur"), ("ISJTU", "CN", "Shanghai Jiao Tong University")]
    a = [  # work, position, raw strings, institutions, authorship countries
        ("W4200431031", 0, ["  " + GEORGIA.replace(", (UGA)", ",  (UGA)")], ["IUGA"], ["GE"]),
        ("W4200431031", 1, ["Univ JP"], ["IJP"], ["JP"]),
        ("W3030944051", 0, [KTH, "Stockholm University"], ["IKTH", "ISU"], ["SE"]),
        ("W3030944051", 1, ["Univ DE"], ["IDE"], ["DE"]),
        ("W3084423327", 0, [IAC], [], ["US"]),
        ("W3084423327", 1, ["Univ JP"], ["IJP"], ["JP"]),
        ("W2606937270", 0, ["The University of Hong Kong"], ["IHKU"], ["CN"]),
        ("W3008684620", 0, [NICE], ["IUCA", "ISJTU"], ["FR", "CN"]),
        ("W9", 0, [GEORGIA], ["IUGA"], ["GE"]),
    ]
    return dict(
        works=[work_row(w) for w in dict.fromkeys(x[0] for x in a)],
        authorships=[dict(work_id=w, author_position=p, raw_affiliation_strings=r) for w, p, r, _, _ in a],
        authorship_institutions=[dict(work_id=w, author_position=p, institution_id=i) for w, p, _, ii, _ in a for i in ii],
        authorship_countries=[dict(work_id=w, author_position=p, country_code=c) for w, p, _, _, cc in a for c in cc],
        institutions=[dict(institution_id=i, country_code=c, display_name=n) for i, c, n in insts],
        sources=[dict(source_id="S1", type="journal")],
    )


@pytest.fixture(scope="module")
def bl_engine(tmp_path_factory):
    path = tmp_path_factory.mktemp("blocklist")
    write_store(path, _bl_tables())
    return connect(path, backend="duckdb", threads=1)


def _credits(engine, **opts):
    opts.setdefault("country_map", "nistep")  # profile all defaults to oecd (identity)
    t = run(engine, "work_credits", profile="all", **opts).table
    return {(r["work_id"], r["country"]): round(r["weight"], 9) for r in t.to_pylist()}


def test_blocklist_hand_computed(bl_engine):
    before = _credits(bl_engine, counting="institution")
    after = _credits(bl_engine, counting="institution", country_blocklist=str(EXCERPT))
    third = round(1 / 3, 9)
    assert before == {("W4200431031", "GE"): 0.5, ("W4200431031", "JP"): 0.5,
                      ("W3030944051", "SE"): round(2 / 3, 9), ("W3030944051", "DE"): third,
                      ("W3084423327", "US"): 0.5, ("W3084423327", "JP"): 0.5,
                      ("W2606937270", "CN"): 1.0, ("W3008684620", "FR"): 0.5, ("W3008684620", "CN"): 0.5,
                      ("W9", "GE"): 1.0}
    assert after == {("W4200431031", "JP"): 1.0, ("W3030944051", "SE"): 0.5, ("W3030944051", "DE"): 0.5,
                     ("W3084423327", "JP"): 1.0, ("W2606937270", "CN"): 1.0, ("W3008684620", "FR"): 1.0,
                     ("W9", "GE"): 1.0}
    # every counting method reads the same units: whole counting and the author level agree
    whole = _credits(bl_engine, counting="whole", country_blocklist=[str(EXCERPT)])
    assert whole == {k: 1.0 for k in after}
    author = _credits(bl_engine, counting="author_literal", country_blocklist=str(EXCERPT))
    assert author[("W4200431031", "JP")] == 0.5 and ("W4200431031", "GE") not in author
    # oecd map: HK is not CN, so the HKU row removes CN and the work has no country left
    oecd = _credits(bl_engine, counting="whole", country_map="oecd", country_blocklist=str(EXCERPT))
    assert not any(w == "W2606937270" for w, _ in oecd)


def test_blocklist_international_and_provenance(bl_engine):
    res = run(bl_engine, "international_coauthorship", profile="all", country_map="nistep",
              country_blocklist=str(DATAESR))
    jp = by(res.table, "country")["JP"]
    assert (jp["p"], jp["p_international"]) == (2, 0)  # both JP works were international before
    assert by(run(bl_engine, "international_coauthorship", profile="all").table, "country")["JP"]["p_international"] == 2
    prov = res.provenance["filters"]["country_blocklist"]
    assert prov["files"][0]["sha256"] == hashlib.sha256(EXCERPT.read_bytes()).hexdigest()
    assert (prov["read"], prov["kept"], prov["rejected"], prov["rows"]) == (6, 6, 0, 7)
    # removed under the nistep map: I:IUGA, I:IKTH, the US pseudo-unit of W3084423327, I:ISJTU (HKU: no change)
    assert (prov["units_removed"], prov["works_affected"]) == (4, 4)
    json.dumps(res.provenance)  # JSON-serialisable


def test_blocklist_jsonl_and_bad_lines(tmp_path, bl_engine):
    rows = [dict(raw_affiliation_string=GEORGIA, openalex_work_id="https://openalex.org/W4200431031",
                 openalex_country="GE", openalex_display_name="University of Georgia", matched_country="US")]
    lines = [json.dumps(r) for r in rows] + [
        "{not json",
        json.dumps({**rows[0], "openalex_work_id": "X12"}),
        json.dumps({**rows[0], "openalex_country": "GEO"}),
        json.dumps({**rows[0], "raw_affiliation_string": " "}),
        "",
    ]
    f = tmp_path / "mismatch_country_2024.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bl = load_blocklist(f)
    (info,) = bl.files
    assert (info.read, info.kept, info.rejected) == (5, 1, 4)
    assert [e[:2] for e in info.errors] == [(2, ""), (3, "openalex_work_id"), (4, "openalex_country"),
                                            (5, "raw_affiliation_string")]
    got = _credits(bl_engine, counting="whole", country_blocklist=str(f))
    assert ("W4200431031", "GE") not in got and ("W3030944051", "SE") in got and ("W9", "GE") in got
    # a CSV line with too few fields is rejected and counted, the rest is read
    c = tmp_path / "c.csv"
    c.write_text(EXCERPT.read_text(encoding="utf-8") + "only;three;fields\n", encoding="utf-8")
    assert load_blocklist(c).files[0].rejected == 1 and load_blocklist(c).files[0].kept == 6


def test_blocklist_file_errors(tmp_path):
    bad = tmp_path / "h.csv"
    bad.write_text("raw_affiliation_string;work;openalex_country;matched_country\nx;W1;US;FR\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"h\.csv, line 1, field 'openalex_work_id'"):
        load_blocklist(bad)
    latin = tmp_path / "l.csv"
    shutil.copy(EXCERPT, latin)
    latin.write_bytes(latin.read_bytes() + "é;W1;US;;FR\n".encode("latin-1"))
    with pytest.raises(BadInputError, match=r"l\.csv, line 8: not UTF-8"):
        load_blocklist(latin)
    with pytest.raises(ConfigError, match="no such file"):
        load_blocklist(tmp_path / "missing.csv")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(ConfigError, match="no mismatch_country"):
        load_blocklist(tmp_path / "empty_dir")


# --- property: a filter never increases a count -------------------------------------------------------------------

_WORLD = make_world(4242, n_works=60)
_CON = ibis.duckdb.connect()


def _tables(biblio: list[dict]) -> StoreTables:
    def tbl(name, rows):
        schema = arrow_schema(name)
        cols = {f.name: [r.get(f.name) for r in rows] for f in schema}
        return ibis.memtable(pa.table(cols, schema=schema))

    names = ("works", "authorships", "authorship_institutions", "authorship_countries", "institutions", "sources",
             "references")
    return StoreTables(**{n: tbl(n, _WORLD.get(n, [])) for n in names}, work_biblio=tbl("work_biblio", biblio))


_IDS = sorted({w["work_id"] for w in _WORLD["works"]})
_PAGE = st.one_of(st.none(), st.integers(1, 40).map(str), st.sampled_from(["e12", "iv", ""]))


def _counts(t: StoreTables, **opts) -> dict:
    out = {}
    p = _CON.to_pyarrow(papers(t, profile="all", counting="whole", **opts))
    out.update({("p", r["country"], r["year"]): r["p"] for r in p.to_pylist()})
    out.update({("n", r["year"]): r["n_works"] for r in p.to_pylist()})
    ic = _CON.to_pyarrow(international_coauthorship(t, profile="all", **opts))
    out.update({("i", r["country"], r["year"]): r["p_international"] for r in ic.to_pylist()})
    cm = _CON.to_pyarrow(coauthorship_matrix(t, profile="all", **opts))
    out.update({("m", r["country_a"], r["country_b"], r["year"]): r["n_ab"] for r in cm.to_pylist()})
    return out


_BL_ROW = st.tuples(st.sampled_from(_IDS), st.sampled_from(["Dept X, Tokyo", " Dept X,\t Tokyo ", "Lab Y"]),
                    st.sampled_from(COUNTRIES), st.sampled_from([None, "Inst 1", "Inst 5"]), st.sampled_from(COUNTRIES))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pages=st.lists(st.tuples(st.sampled_from(_IDS), _PAGE, _PAGE), max_size=40, unique_by=lambda x: x[0]),
       min_pages=st.one_of(st.none(), st.integers(1, 30)), blocked=st.lists(_BL_ROW, max_size=25))
def test_filtering_never_increases_a_count(pages, min_pages, blocked):
    t = _tables([dict(work_id=w, first_page=f, last_page=la) for w, f, la in pages])
    bl = Blocklist((), tuple(sorted({(w, normalize_raw(r), c, n, m) for w, r, c, n, m in blocked}, key=str)))
    full, cut = _counts(t), _counts(t, min_pages=min_pages, country_blocklist=bl)
    for k, v in cut.items():
        assert k in full and v <= full[k] + 1e-9, (k, v, full.get(k))


@pytest.mark.spark
def test_raw_string_and_page_parsing_agree_on_pyspark(spark):
    """Raw strings are compared after the same normalisation in Python and in both engines, and pages parse alike
    (Spark SQL reads the escapes \\f and \\v of Ibis's whitespace sets as the letters f and v: a class
    [ \\t\\n\\r\\f\\v] or .strip() would eat those letters). The joins are plain Ibis."""
    from junkan.indicators.blocklist import _normalize_expr

    raw = ["  The University of Hong Kong", "KTH,\t Stockholm\r\n  France ", "Université Côte d'Azur", "five fv"]
    m = ibis.memtable({"i": list(range(len(raw))), "raw": raw})
    b = ibis.memtable({"work_id": ["a", "b"], "first_page": ["f5", " 5"], "last_page": ["9v", "9 "]})
    assert ibis.pyspark.connect(spark).to_pyarrow(page_counts(b)).to_pylist() == [{"work_id": "b", "pages": 5}]
    expr = m.select("i", n=_normalize_expr(m.raw))
    want = [normalize_raw(r) for r in raw]
    assert want[:2] == ["The University of Hong Kong", "KTH, Stockholm France"]
    for con in (ibis.duckdb.connect(), ibis.pyspark.connect(spark)):
        assert [r["n"] for r in sorted(con.to_pyarrow(expr).to_pylist(), key=lambda r: r["i"])] == want
