"""OpenAlex web CSV reader: flattened lists, alignment of per-author lists, bad rows, accounting."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.errors import BadInputError
from junkan.model.schema import arrow_schema
from junkan.sources.openalex_csv import read_openalex_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "format-fixtures" / "openalex_sample.csv"


@pytest.fixture(scope="module")
def batch():
    return read_openalex_csv(DATA / "openalex_web.csv")


def test_works_and_sources(batch) -> None:
    assert (batch.source, batch.read, batch.kept, batch.rejected.num_rows) == ("openalex-csv", 5, 3, 2)
    for name, t in batch.tables.items():
        assert t.schema.equals(arrow_schema(name)), name
    w = {r["work_id"]: r for r in batch.tables["works"].to_pylist()}
    a = w["W2755950973"]
    assert (a["doi"], a["publication_year"], a["publication_date"], a["type"], a["cited_by_count"]) == (
        "10.1016/j.joi.2017.08.007", 2017, dt.date(2017, 9, 12), "article", 13235)
    assert (a["oa_fwci"], a["is_retracted"], a["source_id"], a["data_source"], a["authors_count"]) == (
        116.9374, False, "S205292342", "openalex-csv", 2)
    assert w["W3158457682"]["doi"] == "10.1108/lht-09-2020-0218"
    s = {r["source_id"]: r for r in batch.tables["sources"].to_pylist()}
    assert (s["S205292342"]["display_name"], s["S205292342"]["issn_l"], s["S205292342"]["type"]) == (
        "Journal of Informetrics", "1751-1577", "journal")
    assert batch.cited.num_rows == 0 and batch.audit.num_rows == 0  # ids and countries are given, not printed


def test_authorships_countries_institutions(batch) -> None:
    au = [r for r in batch.tables["authorships"].to_pylist() if r["work_id"] == "W2755950973"]
    assert [(r["author_id"], r["author_name"], r["orcid"], r["is_corresponding"]) for r in au] == [
        ("A5069892096", "Massimo Aria", "0000-0002-8517-9411", True), ("A5049136342", "Corrado Cuccurullo", None, False)]
    ac = [(r["work_id"], r["author_position"], r["country_code"]) for r in batch.tables["authorship_countries"].to_pylist()]
    # "IT||JP": the empty slot is the author without an institution
    assert [x for x in ac if x[0] == "W3157897857"] == [("W3157897857", 0, "IT"), ("W3157897857", 2, "JP")]
    assert [x for x in ac if x[0] == "W3158457682"] == [("W3158457682", 0, "IN"), ("W3158457682", 1, "IN")]
    ai = [(r["work_id"], r["author_position"], r["institution_id"]) for r in batch.tables["authorship_institutions"].to_pylist()]
    assert ("W3157897857", 2, "I22299242") in ai and not [x for x in ai if x[0] == "W3158457682"]  # 4 institutions, 2 authors
    assert len(batch.warnings) == 1 and "1 work(s)" in batch.warnings[0]
    inst = {r["institution_id"]: r for r in batch.tables["institutions"].to_pylist()}
    assert (inst["I22299242"]["display_name"], inst["I22299242"]["country_code"]) == ("Kyoto University", "JP")


def test_funders_and_references(batch) -> None:
    f = batch.tables["work_funders"].to_pylist()
    assert [(r["work_id"], r["funder_id"], r["funder_name"]) for r in f] == [
        ("W3157897857", "F4320334764", "Japan Society for the Promotion of Science")]  # listed twice, kept once
    refs = batch.tables["references"].to_pylist()
    assert refs == [{"work_id": "W2755950973", "cited_work_id": "W1"}, {"work_id": "W2755950973", "cited_work_id": "W2"}]


def test_biblio_columns_when_exported(batch) -> None:
    assert batch.tables["work_biblio"].num_rows == 0  # the usual web export has no biblio.* columns
    b = read_openalex_csv(DATA / "openalex_web_biblio.csv")
    assert b.tables["work_biblio"].to_pylist() == [
        {"work_id": "W2755950973", "volume": "11", "issue": "4", "first_page": "959", "last_page": "975",
         "source_title": "Journal of Informetrics", "source_abbreviation": None},
        # W3000000001 has every biblio.* column empty: no row
        {"work_id": "W3000000002", "volume": "15", "issue": "3", "first_page": "e0229000", "last_page": None,
         "source_title": "PLoS ONE", "source_abbreviation": None},
    ]


def test_rejected_rows(batch) -> None:
    rej = batch.rejected.to_pylist()
    assert [(r["line"], r["field"]) for r in rej] == [(5, "id"), (6, "publication_year")]
    assert "not an OpenAlex work id" in rej[0]["reason"] and "'twenty'" in rej[1]["reason"]


@pytest.mark.skipif(not SHARED.exists(), reason="shared format fixtures not present")
def test_real_export_sample() -> None:
    b = read_openalex_csv(SHARED)
    assert (b.read, b.kept) == (8, 8)
    assert b.tables["authorships"].num_rows == 20


def test_wrong_kind(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="Scopus"):
        read_openalex_csv(DATA / "scopus_current.csv")
    with pytest.raises(BadInputError, match="Web of Science"):
        read_openalex_csv(DATA / "wos_plain.txt")


_SOURCE = (DATA / "openalex_web.csv").read_bytes()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(1, len(_SOURCE)), start=st.integers(0, len(_SOURCE)), length=st.integers(0, 80),
       junk=st.binary(max_size=10))
def test_mutated_input_never_crashes_and_accounts(cut: int, start: int, length: int, junk: bytes) -> None:
    data = (_SOURCE[:start] + junk + _SOURCE[start + length :])[:cut]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "mutated.csv"
        p.write_bytes(data)
        try:
            b = read_openalex_csv(p)
        except BadInputError as exc:
            assert str(p) in str(exc)
            return
        assert b.read == b.kept + b.rejected.num_rows
