"""Scopus CSV reader: hand-written exports in the current and older layouts, bad input, accounting."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError
from junkan.model.schema import arrow_schema
from junkan.sources.batch import AUDIT_SCHEMA, CITED_SCHEMA
from junkan.sources.scopus import read_scopus

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"


@pytest.fixture(scope="module")
def current():
    return read_scopus(DATA / "scopus_current.csv")


def _rows(batch, table, key="work_id"):
    return {r[key]: r for r in batch.tables[table].to_pylist()}


def test_current_layout_works(current) -> None:
    assert (current.source, current.read, current.kept, current.rejected.num_rows) == ("scopus", 6, 3, 3)
    current.check_accounting()
    assert current.warnings == []  # UTF-8 with BOM and CRLF is the normal case
    for name, t in current.tables.items():
        assert t.schema.equals(arrow_schema(name)), name
    w = _rows(current, "works")
    assert list(w) == ["2-s2.0-85100000001", "2-s2.0-85100000002", "2-s2.0-85100000003"]
    a = w["2-s2.0-85100000001"]
    assert a["doi"] == "10.1007/s11192-021-00001-x"  # lower case
    assert (a["publication_year"], a["type"], a["cited_by_count"], a["language"]) == (2021, "article", 12, "en")
    assert (a["source_id"], a["source_type"], a["data_source"], a["referenced_works_count"]) == (
        "issn:0138-9130", "journal", "scopus", 3)
    assert a["title"] == "Brain circulation between Japan and the United States"
    assert w["2-s2.0-85100000002"]["type"] == "review" and w["2-s2.0-85100000002"]["doi"] is None
    c = w["2-s2.0-85100000003"]
    assert (c["type"], c["doi"], c["source_type"]) == ("article", "10.1109/gsc.2019.0042", "conference")
    src = _rows(current, "sources", "source_id")
    assert src["issn:0138-9130"]["display_name"] == "Scientometrics"
    assert src[c["source_id"]]["display_name"] == "Proceedings of the Global Science Conference"


def test_current_layout_authors_affiliations_countries(current) -> None:
    au = [r for r in current.tables["authorships"].to_pylist() if r["work_id"] == "2-s2.0-85100000001"]
    assert [(r["author_position"], r["author_id"], r["author_name"], r["raw_author_name"]) for r in au] == [
        (0, "scopus:57000000001", "Tanaka, Hiroshi", "Tanaka H."),
        (1, "scopus:57000000002", "Smith, John A.", "Smith J.A."),
    ]
    assert [r["is_corresponding"] for r in au] == [True, False]  # "H. Tanaka; …" in Correspondence Address
    # Smith has two affiliations printed joined by ", ": split with the Affiliations column
    assert au[1]["raw_affiliation_strings"] == [
        "Department of Physics, Stanford University, Stanford, CA, United States",
        "Max Planck Institute for Physics, Munich, Germany",
    ]
    ac = {(r["work_id"][-1], r["author_position"], r["country_code"]) for r in current.tables["authorship_countries"].to_pylist()}
    assert ac == {("1", 0, "JP"), ("1", 1, "US"), ("1", 1, "DE"), ("2", 0, "KR"), ("2", 1, "KP"), ("2", 2, "HK"),
                  ("3", 0, "TW"), ("3", 1, "CD"), ("3", 2, "CG")}
    assert current.audit.schema.equals(AUDIT_SCHEMA)
    audit = current.audit.to_pylist()
    assert len(audit) == 9 and {r["rule"] for r in audit} == {"alias"}
    congo = [r for r in audit if r["country_code"] == "CD"][0]
    assert congo["matched"] == "Democratic Republic Congo" and congo["author_position"] == 1


def test_current_layout_references_and_funding(current) -> None:
    assert current.cited.schema.equals(CITED_SCHEMA)
    refs = [r for r in current.cited.to_pylist() if r["citing_id"] == "2-s2.0-85100000001"]
    assert [r["ordinal"] for r in refs] == [0, 1, 2]
    aria, moed, franzoni = refs
    assert aria["raw"].startswith("Aria M.; Cuccurullo C., bibliometrix")
    assert (aria["first_author"], aria["year"], aria["source_title"], aria["volume"], aria["first_page"], aria["title"]) == (
        "Aria M.", 2017, "Journal of Informetrics", "11", "959", "bibliometrix: An R-tool for comprehensive science mapping analysis")
    assert (moed["first_author"], moed["year"], moed["source_title"], moed["title"]) == (
        "Moed H.F.", 2005, None, "Citation analysis in research evaluation")
    assert (franzoni["first_author"], franzoni["source_title"], franzoni["volume"], franzoni["first_page"]) == (
        "Franzoni C.", "Nature Biotechnology", "30", "1250")
    f = current.tables["work_funders"].to_pylist()
    assert [(r["funder_name"], r["funder_id"]) for r in f] == [
        ("Japan Society for the Promotion of Science", None), ("National Science Foundation", None)]
    aw = current.tables["work_awards"].to_pylist()
    assert [(r["funder_name"], r["funder_award_id"]) for r in aw] == [
        ("Japan Society for the Promotion of Science", "JP20K12345"),
        ("Japan Society for the Promotion of Science", "JP21H00001"), ("National Science Foundation", "1234567")]
    assert current.tables["work_funding_texts"].column("funding_text").to_pylist() == [
        "This work was supported by JSPS KAKENHI (JP20K12345, JP21H00001) and the NSF (1234567)."]


def test_rejected_records_name_line_field_and_reason(current) -> None:
    rej = current.rejected.to_pylist()
    assert [(r["line"], r["record_id"], r["field"]) for r in rej] == [
        (6, "85100000004", "EID"), (7, "2-s2.0-85100000001", "EID"), (8, "2-s2.0-85100000006", "Year")]
    assert "duplicate_id" in rej[1]["reason"] and "'2020a'" in rej[2]["reason"]
    assert all(r["file"].endswith("scopus_current.csv") and r["raw"] for r in rej)
    # the multi-line abstract of record 1 (lines 2–3) does not shift the line numbers of later records
    assert rej[0]["raw"].startswith('"Doe J."')


def test_biblio_current_layout(current) -> None:
    bib = _rows(current, "work_biblio")
    assert list(bib) == ["2-s2.0-85100000001", "2-s2.0-85100000002", "2-s2.0-85100000003"]
    assert bib["2-s2.0-85100000001"] == {
        "work_id": "2-s2.0-85100000001", "volume": "126", "issue": "3", "first_page": "2001", "last_page": "2020",
        "source_title": "Scientometrics", "source_abbreviation": "Scientometrics"}
    assert (bib["2-s2.0-85100000002"]["volume"], bib["2-s2.0-85100000002"]["first_page"]) == ("7", None)


def test_biblio_article_number_is_the_first_page_without_page_start(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text('Authors,Title,Year,Source title,Volume,Issue,Art. No.,Page start,Page end,Abbreviated Source Title,EID\n'
                 'Lee A.,T,2020,PLoS ONE,15,3,e0229000,,,PLoS ONE,2-s2.0-1\n'
                 'Lee A.,U,2020,,,,,,,,2-s2.0-2\n', encoding="utf-8")
    bib = read_scopus(f).tables["work_biblio"].to_pylist()
    # the second record prints no locator at all: no row (it would hide another source's locator in a merge)
    assert bib == [{"work_id": "2-s2.0-1", "volume": "15", "issue": "3", "first_page": "e0229000", "last_page": None,
                    "source_title": "PLoS ONE", "source_abbreviation": "PLoS ONE"}]


def test_older_layout() -> None:
    b = read_scopus(DATA / "scopus_old_layout.csv")
    assert (b.read, b.kept) == (2, 2)
    w = _rows(b, "works")
    a = w["2-s2.0-85029416465"]
    assert (a["doi"], a["cited_by_count"], a["source_id"]) == ("10.1016/j.joi.2017.08.007", 1500, "issn:1751-1577")
    r = w["2-s2.0-84900000002"]
    assert (r["type"], r["is_retracted"], r["cited_by_count"]) == ("article", True, None)  # "Retracted"
    au = b.tables["authorships"].to_pylist()
    # "Aria M., Cuccurullo C." (Authors) and "Aria, M., …" (Authors with affiliations) are the same people
    assert [(x["author_id"], x["raw_author_name"]) for x in au[:2]] == [("scopus:7003603045", "Aria M."),
                                                                        ("scopus:6603766183", "Cuccurullo C.")]
    assert au[0]["raw_affiliation_strings"] == [
        "Department of Economics and Statistics, University of Naples Federico II, Naples, Italy"]
    assert [x["raw_author_name"] for x in au[2:]] == ["Smith, J.", "Brown, K."]  # "Smith, J., Brown, K."
    ac = {(x["work_id"][-3:], x["author_position"], x["country_code"]) for x in b.tables["authorship_countries"].to_pylist()}
    assert ac == {("465", 0, "IT"), ("465", 1, "IT"), ("002", 0, "US"), ("002", 1, "GB")}  # Georgia Ave is not GE
    refs = b.cited.to_pylist()
    assert [(x["first_author"], x["year"], x["source_title"], x["volume"], x["first_page"]) for x in refs] == [
        ("Garfield, E.", 1955, "Science", "122", "108"),
        ("Small, H.", 1973, "Journal of the American Society for Information Science", "24", "265"),
        ("Zupic, I.", 2015, "Organizational Research Methods", "18", "429"),
    ]
    assert refs[2]["doi"] == "10.1177/1094428114562629" and refs[0]["title"] == "Citation indexes for science"
    assert b.tables["work_funders"].column("funder_name").to_pylist() == [
        "Ministero dell'Istruzione, dell'Università e della Ricerca"]  # acronym dropped, commas in the name kept
    assert b.tables["work_awards"].column("funder_award_id").to_pylist() == ["2017XYZ"]
    assert b.tables["work_funding_texts"].column("funding_text").to_pylist() == ["Funded by MIUR.\nSecond funding text."]
    bib = _rows(b, "work_biblio")
    assert bib["2-s2.0-85029416465"] == {
        "work_id": "2-s2.0-85029416465", "volume": "11", "issue": "4", "first_page": "959", "last_page": "975",
        "source_title": "Journal of Informetrics", "source_abbreviation": "J. Informetr."}


def test_cp1252_file_is_read_with_a_warning() -> None:
    b = read_scopus(DATA / "scopus_cp1252.csv")
    assert b.kept == 1 and len(b.warnings) == 1 and "Windows-1252" in b.warnings[0] and "line 2" in b.warnings[0]
    w = b.tables["works"].to_pylist()[0]
    assert w["title"] == "Zürich – a case study"
    assert b.tables["authorships"].column("raw_author_name").to_pylist() == ["Müller K."]
    assert b.tables["authorship_countries"].column("country_code").to_pylist() == ["CH"]


def test_truncated_final_record_is_rejected_with_its_line() -> None:
    b = read_scopus(DATA / "scopus_truncated.csv")
    assert (b.read, b.kept) == (2, 1)
    r = b.rejected.to_pylist()[0]
    assert r["line"] == 3 and "truncated" in r["reason"] and r["raw"].startswith('"Ito K."')


@pytest.mark.parametrize(
    "name, words",
    [("scopus_no_eid.csv", ["required column 'EID'", "line 1"]),
     ("wos_plain.txt", ["Web of Science", "read_wos"]),
     ("openalex_web.csv", ["required column 'EID'", "OpenAlex"])],
)
def test_wrong_kind_or_missing_header_is_a_clear_error(name: str, words: list[str]) -> None:
    with pytest.raises(BadInputError) as e:
        read_scopus(DATA / name)
    assert e.value.file == str(DATA / name)
    for w in words:
        assert w in str(e.value)


def test_missing_empty_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        read_scopus(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        read_scopus(tmp_path / "empty.csv")
    (tmp_path / "bin.csv").write_bytes(b"PK\x03\x04\x00\x00\x00binary")
    with pytest.raises(BadInputError, match="binary"):
        read_scopus(tmp_path / "bin.csv")


def test_renamed_headers_are_matched_case_insensitively(tmp_path: Path) -> None:
    p = tmp_path / "renamed.csv"
    p.write_text('"authors","Document Title","publication year","Citations","eid"\n'
                 '"Sato Y.","Renamed columns","2015","7","2-s2.0-1"\n', encoding="utf-8")
    w = read_scopus(p).tables["works"].to_pylist()[0]
    assert (w["title"], w["publication_year"], w["cited_by_count"]) == ("Renamed columns", 2015, 7)


_SOURCE = (DATA / "scopus_current.csv").read_bytes()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, len(_SOURCE)),
    start=st.integers(0, len(_SOURCE)),
    length=st.integers(0, 200),
    junk=st.binary(max_size=12),
)
def test_mutated_input_never_crashes_and_accounts(cut: int, start: int, length: int, junk: bytes) -> None:
    data = (_SOURCE[:start] + junk + _SOURCE[start + length :])[: max(cut, 1)]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "mutated.csv"
        p.write_bytes(data)
        try:
            b = read_scopus(p)
        except BadInputError as exc:
            assert str(p) in str(exc)
            return
        assert b.read == b.kept + b.rejected.num_rows
        assert b.tables["works"].column("work_id").null_count == 0


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "format-fixtures" / "scopus_sample.csv"


@pytest.mark.skipif(not SHARED.exists(), reason="shared format fixtures not present")
def test_real_export_sample() -> None:
    b = read_scopus(SHARED)
    assert (b.read, b.kept, b.warnings) == (8, 8, [])
    # every author of the sample has a printed affiliation that ends with a country
    assert b.tables["authorships"].num_rows == 38
    assert set(b.audit.column("rule").to_pylist()) == {"alias"}
    assert b.cited.num_rows == sum(b.tables["works"].column("referenced_works_count").to_pylist())
    assert b.cited.column("year").null_count < b.cited.num_rows // 20  # years are found in nearly every reference
