"""Web of Science reader: plain text and tab-delimited exports, C1 author groups, bad input, accounting."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError
from junkan.model.schema import arrow_schema
from junkan.sources.batch import CITED_SCHEMA
from junkan.sources.wos import read_wos

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
UT1, UT2, UT5 = "WOS:000600000000001", "WOS:000600000000002", "WOS:000600000000005"


@pytest.fixture(scope="module")
def plain():
    return read_wos(DATA / "wos_plain.txt")


@pytest.fixture(scope="module")
def tab():
    return read_wos(DATA / "wos_tab.txt")


def test_plain_text_works(plain) -> None:
    assert (plain.source, plain.read, plain.kept, plain.rejected.num_rows) == ("wos", 5, 3, 2)
    for name, t in plain.tables.items():
        assert t.schema.equals(arrow_schema(name)), name
    w = {r["work_id"]: r for r in plain.tables["works"].to_pylist()}
    assert list(w) == [UT1, UT2, UT5]
    a = w[UT1]
    assert a["title"] == "Brain circulation between Japan and the United States: evidence from co-authorship"
    assert (a["doi"], a["publication_year"], a["publication_date"], a["cited_by_count"]) == (
        "10.1007/s11192-021-00001-x", 2021, dt.date(2021, 3, 15), 12)
    assert (a["type"], a["language"], a["source_id"], a["source_type"], a["data_source"]) == (
        "article", "en", "issn:0138-9130", "journal", "wos")
    assert (w[UT2]["type"], w[UT2]["publication_date"], w[UT2]["authors_count"]) == ("review", None, 10)  # Review; Early Access
    assert (w[UT5]["type"], w[UT5]["source_type"]) == ("article", "conference")  # Proceedings Paper, PT P
    src = {r["source_id"]: r for r in plain.tables["sources"].to_pylist()}
    assert src["issn:0138-9130"]["display_name"] == "SCIENTOMETRICS"


def test_c1_author_groups_and_countries(plain) -> None:
    au = [r for r in plain.tables["authorships"].to_pylist() if r["work_id"] == UT1]
    assert [(r["author_name"], r["raw_author_name"], r["author_id"], r["is_corresponding"], r["orcid"]) for r in au] == [
        ("Tanaka, Hiroshi", "Tanaka, H", None, True, None),
        ("Smith, John A.", "Smith, JA", None, False, "0000-0002-1825-0097"),
    ]
    # "[Smith, John A.; Tanaka, Hiroshi] Georgia Inst Technol, Georgia Ave, …" belongs to both authors
    assert au[0]["raw_affiliation_strings"] == ["Univ Tokyo, Grad Sch Sci, Bunkyo Ku, Tokyo 1130033, Japan.",
                                                "Georgia Inst Technol, Georgia Ave, Atlanta, GA 30332 USA."]
    assert au[1]["raw_affiliation_strings"] == ["Stanford Univ, Dept Phys, Jordan Hall, Stanford, CA 94305 USA.",
                                                "Georgia Inst Technol, Georgia Ave, Atlanta, GA 30332 USA."]
    ac = [(r["work_id"], r["author_position"], r["country_code"]) for r in plain.tables["authorship_countries"].to_pylist()]
    assert [x for x in ac if x[0] == UT1] == [(UT1, 0, "JP"), (UT1, 0, "US"), (UT1, 1, "US")]
    assert [x[2] for x in ac if x[0] == UT2] == ["KR", "KP", "HK", "TW", "CD", "CG", "GB", "GB", "GB", "GB"]
    # an address without an author group is audited but tied to no author
    old = [r for r in plain.audit.to_pylist() if r["work_id"] == UT5]
    assert [(r["author_position"], r["country_code"], r["matched"]) for r in old] == [(None, "CN", "Peoples R China")]
    assert not [x for x in ac if x[0] == UT5]
    hk = [r for r in plain.audit.to_pylist() if r["country_code"] == "HK"][0]
    assert (hk["matched"], hk["rule"], hk["author_position"]) == ("Hong Kong, Peoples R China", "hk-mo-before-china", 2)
    us = [r for r in plain.audit.to_pylist() if r["work_id"] == UT1 and r["rule"] == "us-state"]
    assert {r["matched"] for r in us} == {"GA 30332 USA", "CA 94305 USA"}


def test_cited_references_and_funding(plain) -> None:
    assert plain.cited.schema.equals(CITED_SCHEMA)
    refs = [r for r in plain.cited.to_pylist() if r["citing_id"] == UT1]
    assert [(r["ordinal"], r["first_author"], r["year"], r["source_title"], r["volume"], r["first_page"], r["doi"]) for r in refs] == [
        (0, "Aria M", 2017, "J INFORMETR", "11", "959", "10.1016/j.joi.2017.08.007"),
        (1, None, 2016, "R LANG ENV STAT COMP", None, None, None),  # [Anonymous]
        (2, "Ceh M", 2018, "ISPRS INT J GEO-INF", "7", None, "10.3390/ijgi705168"),  # first of DOI [a, b]
    ]
    assert refs[0]["raw"] == "Aria M, 2017, J INFORMETR, V11, P959, DOI 10.1016/j.joi.2017.08.007"
    assert [(r["funder_name"], r["funder_award_id"]) for r in plain.tables["work_awards"].to_pylist()] == [
        ("Japan Society for the Promotion of Science (JSPS)", "JP20K12345"),
        ("Japan Society for the Promotion of Science (JSPS)", "JP21H00001"),
        ("National Science Foundation (NSF)", "1234567"),
    ]
    assert plain.tables["work_funders"].column("funder_id").null_count == 2
    assert plain.tables["work_funding_texts"].column("funding_text").to_pylist() == [
        "This work was supported by JSPS KAKENHI (JP20K12345, JP21H00001) and the NSF (1234567)."]


def test_biblio_from_vl_is_bp_ep_so_j9(plain) -> None:
    bib = {r["work_id"]: r for r in plain.tables["work_biblio"].to_pylist()}
    assert list(bib) == [UT1, UT2, UT5]
    # VL 126, IS 3, BP 2001, EP 2020, SO, J9 (JI is the fallback only)
    assert bib[UT1] == {"work_id": UT1, "volume": "126", "issue": "3", "first_page": "2001", "last_page": "2020",
                        "source_title": "SCIENTOMETRICS", "source_abbreviation": "SCIENTOMETRICS"}
    # no BP: the article number AR 104000 is the first page; no J9: JI "Res. Policy"
    assert bib[UT2] == {"work_id": UT2, "volume": "49", "issue": None, "first_page": "104000", "last_page": None,
                        "source_title": "RESEARCH POLICY", "source_abbreviation": "Res. Policy"}
    assert bib[UT5]["source_title"] == "PROCEEDINGS OF THE OLD CONFERENCE" and bib[UT5]["volume"] is None


def test_rejected_records(plain) -> None:
    rej = plain.rejected.to_pylist()
    assert [(r["line"], r["record_id"], r["field"]) for r in rej] == [(90, "WOS:000600000000003", "PY"), (101, None, "UT")]
    assert "'20x1'" in rej[0]["reason"] and rej[0]["raw"].startswith("PT J\nAU Doe, J")


def test_tab_delimited_gives_the_same_records_as_plain_text(plain, tab) -> None:
    assert (tab.read, tab.kept) == (3, 2)
    r = tab.rejected.to_pylist()[0]
    assert r["line"] == 4 and "fields" in r["reason"]
    keep = {UT1, UT2}

    def rows(b, table, drop=()):
        return [{k: v for k, v in x.items() if k not in drop} for x in b.tables[table].to_pylist() if x["work_id"] in keep]

    assert rows(tab, "works") == rows(plain, "works")
    # tab-delimited C1 has no final full stop after each address
    assert rows(tab, "authorships", ("raw_affiliation_strings",)) == rows(plain, "authorships", ("raw_affiliation_strings",))
    for t in ("authorship_countries", "work_funders", "work_awards", "work_funding_texts", "work_biblio"):
        assert rows(tab, t) == rows(plain, t), t
    assert tab.cited.to_pylist() == [c for c in plain.cited.to_pylist() if c["citing_id"] in keep]


def test_utf16_tab_delimited(tmp_path: Path) -> None:
    text = (DATA / "wos_tab.txt").read_bytes().decode("utf-8-sig")
    p = tmp_path / "savedrecs.txt"
    p.write_bytes(text.encode("utf-16"))  # "Tab-delimited (Win)": UTF-16 LE with BOM
    b = read_wos(p)
    assert (b.read, b.kept) == (3, 2) and b.warnings == []


def test_truncated_final_record() -> None:
    b = read_wos(DATA / "wos_truncated.txt")
    assert (b.read, b.kept) == (2, 1)
    r = b.rejected.to_pylist()[0]
    assert (r["line"], r["field"]) == (15, None) and "before its ER" in r["reason"] and "A record cut off" in r["raw"]


def test_stray_text_and_garbage_lines_are_rejected_not_dropped(tmp_path: Path) -> None:
    p = tmp_path / "stray.txt"
    p.write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nhello\nPT J\nAU A, B\nthis is not a tag\nUT WOS:1\nER\nEF\n",
                 encoding="utf-8")
    b = read_wos(p)
    assert (b.read, b.kept) == (2, 0)
    assert [(r["line"], r["reason"][:20]) for r in b.rejected.to_pylist()] == [
        (3, "text outside a recor"), (4, "line 6 is neither a ")]


@pytest.mark.parametrize("name, hint", [("scopus_current.csv", "Scopus"), ("openalex_web.csv", "OpenAlex")])
def test_wrong_kind_is_a_clear_error(name: str, hint: str) -> None:
    with pytest.raises(BadInputError) as e:
        read_wos(DATA / name)
    assert (e.value.file, e.value.line) == (str(DATA / name), 1)
    assert "not a Web of Science export" in str(e.value) and hint in str(e.value)


_SOURCES = [(DATA / "wos_plain.txt").read_bytes(), (DATA / "wos_tab.txt").read_bytes()]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 1),
    cut=st.floats(0, 1),
    start=st.floats(0, 1),
    length=st.integers(0, 120),
    junk=st.binary(max_size=12),
)
def test_mutated_input_never_crashes_and_accounts(which: int, cut: float, start: float, length: int, junk: bytes) -> None:
    src = _SOURCES[which]
    s = int(start * len(src))
    data = (src[:s] + junk + src[s + length :])[: max(1, int(cut * len(src)) + len(junk))]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "mutated.txt"
        p.write_bytes(data)
        try:
            b = read_wos(p)
        except BadInputError as exc:
            assert str(p) in str(exc)
            return
        assert b.read == b.kept + b.rejected.num_rows


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "format-fixtures" / "wos_sample.txt"


@pytest.mark.skipif(not SHARED.exists(), reason="shared format fixtures not present")
def test_real_export_sample() -> None:
    b = read_wos(SHARED)
    assert (b.read, b.kept, b.warnings) == (8, 8, [])
    au = b.tables["authorships"]
    assert au.num_rows == 25
    # every author of the sample appears in a C1 author group, so every author has a country
    assert b.tables["authorship_countries"].num_rows == 25
    assert b.cited.num_rows == sum(b.tables["works"].column("referenced_works_count").to_pylist())
