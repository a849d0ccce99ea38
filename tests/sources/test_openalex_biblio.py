"""OpenAlex ``biblio`` → ``work_biblio``: values as printed, latest record wins, a record without biblio drops its row,
and the cross-source merge takes OpenAlex's locator first (METHODS §0.2, §8.1 page counts)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from junkan.sources.openalex import ingest

from .oa_records import work, write_jsonl


def _biblio(**kw):
    return {"volume": None, "issue": None, "first_page": None, "last_page": None, **kw}


def _rows(store) -> dict[str, tuple]:
    t = pq.read_table(store.table_path("work_biblio")).to_pylist()
    return {r["work_id"]: (r["volume"], r["issue"], r["first_page"], r["last_page"], r["source_title"]) for r in t}


def test_biblio_is_flattened_and_latest_wins(tmp_path: Path) -> None:
    snap = tmp_path / "snap" / "data" / "works"
    recs = [
        {**work(1), "biblio": _biblio(volume="12", issue="3", first_page=" 5 ", last_page="12")},
        {**work(2), "biblio": _biblio(first_page="e123")},
        {**work(3), "biblio": _biblio(first_page="", last_page="  ")},  # blanks only: no row
        work(4),  # no biblio at all: no row
        {**work(5), "biblio": None},
    ]
    write_jsonl(snap / "updated_date=2024-01-01" / "part_000.gz", recs, gz=True)
    s1 = ingest([tmp_path / "snap"], tmp_path / "st").store
    assert _rows(s1) == {"W1": ("12", "3", "5", "12", None), "W2": (None, None, "e123", None, None)}
    # a newer W1 without pages replaces the row (latest wins); a newer W4 adds one; W2 is kept from the old version
    newer = [{**work(1, updated="2024-06-01T00:00:00"), "biblio": _biblio(volume="13")},
             {**work(4, updated="2024-06-01T00:00:00"), "biblio": _biblio(first_page="1", last_page="2")}]
    write_jsonl(snap / "updated_date=2024-06-01" / "part_000.gz", newer, gz=True)
    s2 = ingest([tmp_path / "snap"], tmp_path / "st").store
    assert _rows(s2) == {"W1": ("13", None, None, None, None), "W2": (None, None, "e123", None, None),
                         "W4": (None, None, "1", "2", None)}


def test_merge_takes_the_biblio_of_the_record_first_in_precedence() -> None:
    from junkan.sources.merge import merge

    from .test_merge import batch, rows

    oa = batch("openalex", [{"work_id": "W1", "doi": "10.1/a", "title": "One", "publication_year": 2020},
                            {"work_id": "W2", "doi": "10.1/b", "title": "Two", "publication_year": 2020}],
               biblio=[{"work_id": "W1", "volume": "5", "first_page": "1", "last_page": "2"}])
    wos = batch("wos", [{"work_id": "WOS:1", "doi": "10.1/A", "title": "One", "publication_year": 2020},
                        {"work_id": "WOS:2", "doi": "10.1/b", "title": "Two", "publication_year": 2020},
                        {"work_id": "WOS:9", "title": "Nine", "publication_year": 2019}],
                biblio=[{"work_id": "WOS:1", "volume": "5", "first_page": "1", "last_page": "3", "source_title": "J X"},
                        {"work_id": "WOS:2", "first_page": "7", "last_page": "9", "source_title": "J Y"},
                        {"work_id": "WOS:9", "first_page": "e5"}])
    tables, _ = merge([oa, wos])
    assert rows(tables["work_biblio"], "work_id", "first_page", "last_page", "source_title") == {
        ("W1", "1", "2", None),  # OpenAlex first in precedence, taken whole
        ("W2", "7", "9", "J Y"),  # OpenAlex has none: Web of Science's
        ("WOS:9", "e5", None, None),
    }
    fp = rows(tables["field_provenance"], "work_id", "field", "data_source")
    assert ("W1", "work_biblio", "openalex") in fp and ("W2", "work_biblio", "wos") in fp
