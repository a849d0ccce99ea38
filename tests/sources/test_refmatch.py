"""Cited references → works: DOI, then the normalised key, else a stable synthetic id."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from junkan.sources.batch import CITED_SCHEMA
from junkan.sources.refmatch import install_macros, match_references


def refs(*rows: dict) -> pa.Table:
    return pa.Table.from_pylist([{"citing_id": "WOS:9", "ordinal": i, **r} for i, r in enumerate(rows)], schema=CITED_SCHEMA)


WORKS = pa.table(
    {
        "work_id": ["W1", "W2", "W3", "W4"],
        "doi": ["10.1016/j.joi.2017.08.007", None, None, None],
        "publication_year": pa.array([2017, 2010, 2010, 2010], pa.int32()),
        "first_author": ["Massimo Aria", "Smith, John", "John Smith", "Jane Doe"],
        "source_title": ["Journal of Informetrics", "Scientometrics", "Scientometrics", "Nature"],
        "source_abbreviation": [None, "SCIENTOMETRICS", None, None],
        "volume": ["11", "82", "83", "1"],
        "first_page": ["959", "10", "10", None],
    }
)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Aria M", "aria|m"),
        ("Aria M.", "aria|m"),
        ("Aria, Massimo", "aria|m"),
        ("Massimo Aria", "aria|m"),
        ("BROADUS RN", "broadus|r"),
        ("El Jaouhari A", "eljaouhari|a"),
        ("Smith J.-P.", "smith|j"),
        ("Çelik KT", "celik|k"),
        ("Jebur  AK", "jebur|a"),
    ],
)
def test_author_key_reads_surname_first_and_given_name_first(name: str, key: str) -> None:
    con = duckdb.connect()
    install_macros(con)
    assert con.execute("SELECT jk_author(?)", [name]).fetchone()[0] == key


@pytest.mark.parametrize(
    ("abbr", "full", "ok"),
    [
        ("J INFORMETR", "Journal of Informetrics", True),
        ("INT J GEOGR INF SCI", "International Journal of Geographical Information Science", True),
        ("ISPRS INT J GEO-INF", "ISPRS International Journal of Geo-Information", True),
        ("J AM CHEM SOC", "Journal of the American Chemical Society", True),
        ("J INFORMETR", "Scientometrics", False),
        ("NATURE", "Nature Physics", False),
    ],
)
def test_source_abbreviations_match_full_titles(abbr: str, full: str, ok: bool) -> None:
    con = duckdb.connect()
    install_macros(con)
    assert con.execute("SELECT jk_src_ok(jk_src(?), jk_src(?))", [abbr, full]).fetchone()[0] is ok


#: Hand-checked cited references (reused by test_wos_distinct.py): the expected match of each is in the test below.
HAND_ROWS = [
    # 0: DOI (different case and resolver prefix) wins even though the key points nowhere
    {"raw": "x", "doi": "https://doi.org/10.1016/J.JOI.2017.08.007", "first_author": "Nobody X", "year": 1990},
    # 1: key: WoS abbreviation, volume and page
    {"raw": "Aria M, 2017, J INFORMETR, V11, P959", "first_author": "Aria M", "year": 2017,
     "source_title": "J INFORMETR", "volume": "11", "first_page": "959"},
    # 2: key: volume 82 picks W2 among Smith 2010 Scientometrics papers (W3 is volume 83)
    {"raw": "Smith J, 2010, SCIENTOMETRICS, V82, P10", "first_author": "Smith J", "year": 2010,
     "source_title": "SCIENTOMETRICS", "volume": "82", "first_page": "10"},
    # 3: same author and year but the volume disagrees with both → synthetic
    {"raw": "Smith J, 2010, SCIENTOMETRICS, V84, P10", "first_author": "Smith J", "year": 2010,
     "source_title": "SCIENTOMETRICS", "volume": "84", "first_page": "10"},
    # 4: no volume or page: source agrees, but only one agreement → not enough evidence → synthetic
    {"raw": "Doe J, 2010, NATURE", "first_author": "Doe J", "year": 2010, "source_title": "NATURE"},
    # 5: two candidates (W2 and W3 both Smith 2010 Scientometrics page 10, volume not printed) → synthetic
    {"raw": "Smith J, 2010, SCIENTOMETRICS, P10", "first_author": "Smith J", "year": 2010,
     "source_title": "SCIENTOMETRICS", "first_page": "10"},
]


def test_doi_first_then_key_then_synthetic() -> None:
    cited = refs(*HAND_ROWS)
    out = match_references(cited, WORKS)
    assert out.num_rows == cited.num_rows
    assert out["matched_by"].to_pylist() == ["doi", "key", "key", "synthetic", "synthetic", "synthetic"]
    ids = out["cited_work_id"].to_pylist()
    assert ids[:3] == ["W1", "W1", "W2"]
    assert all(i.startswith("R:") and len(i) == 18 for i in ids[3:])
    assert out["candidates"].to_pylist() == [1, 1, 1, 0, 0, 2]
    assert out["raw"].to_pylist() == cited["raw"].to_pylist()  # input order and columns kept


def test_a_work_without_volume_and_page_matches_on_author_year_and_source() -> None:
    works = pa.table({"work_id": ["WOS:1", "WOS:2"], "publication_year": pa.array([2017, 2017], pa.int32()),
                      "first_author": ["Aria, M", "Aria, M"], "source_title": ["JOURNAL OF INFORMETRICS", "SCIENTOMETRICS"]})
    out = match_references(refs(
        {"raw": "a", "first_author": "Aria M", "year": 2017, "source_title": "J INFORMETR", "volume": "11"},
        {"raw": "b", "first_author": "Aria M", "year": 2017, "source_title": "J AM CHEM SOC"},
        {"raw": "c", "first_author": "Aria M", "year": 2017},  # no source: no evidence
    ), works)
    assert out["cited_work_id"][0].as_py() == "WOS:1"
    assert out["matched_by"].to_pylist() == ["key", "synthetic", "synthetic"]


def test_synthetic_ids_are_stable_and_shared() -> None:
    """Two papers citing the same unmatched reference co-cite one node; the id does not depend on the batch."""
    wos = refs(
        {"raw": "Zed Q, 2001, PHYS REV LETT, V86, P1", "first_author": "Zed Q", "year": 2001,
         "source_title": "PHYS REV LETT", "volume": "86", "first_page": "1"},
        {"raw": "Other O, 1999, X", "first_author": "Other O", "year": 1999, "source_title": "X"},
    )
    scopus = pa.Table.from_pylist(
        [{"citing_id": "2-s2.0-1", "ordinal": 3, "raw": "Zed, Q., Some title, (2001) Physical Review Letters, 86, pp. 1-4",
          "first_author": "Zed Q.", "year": 2001, "source_title": "Physical Review Letters", "volume": "86",
          "first_page": "1"}],
        schema=CITED_SCHEMA,
    )
    a = match_references(wos, WORKS)
    b = match_references(pa.concat_tables([scopus, wos]), WORKS.slice(0, 1))
    assert a["cited_work_id"][0].as_py() == b["cited_work_id"][0].as_py() == b["cited_work_id"][1].as_py()
    assert a["cited_work_id"].to_pylist() == b["cited_work_id"].to_pylist()[1:]
    assert a["cited_work_id"][0].as_py() != a["cited_work_id"][1].as_py()


def test_unmatched_reference_without_doi_takes_the_doi_id_of_the_same_key() -> None:
    cited = refs(
        {"raw": "a", "doi": "10.9/zz", "first_author": "Zed Q", "year": 2001, "volume": "86", "first_page": "1"},
        {"raw": "b", "first_author": "Zed Q", "year": 2001, "volume": "86", "first_page": "1"},
        {"raw": "c", "doi": "10.9/ZZ"},
    )
    ids = match_references(cited, WORKS)["cited_work_id"].to_pylist()
    assert ids[0] == ids[1] == ids[2]


def test_unparsed_references_get_ids_from_their_text() -> None:
    cited = refs({"raw": "Anonymous, Report of the committee."}, {"raw": "anonymous report of the committee"},
                 {"raw": "Something else entirely"})
    ids = match_references(cited, WORKS)["cited_work_id"].to_pylist()
    assert ids[0] == ids[1] != ids[2]
    assert None not in ids


def test_no_references_and_no_works() -> None:
    assert match_references(CITED_SCHEMA.empty_table(), WORKS).num_rows == 0
    out = match_references(refs({"raw": "x", "doi": "10.1/x"}), pa.table({"work_id": pa.array([], pa.string())}))
    assert out["matched_by"].to_pylist() == ["synthetic"]
