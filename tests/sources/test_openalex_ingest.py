"""OpenAlex ingest: formats, bad input (message + accounting), incremental merge, determinism."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from junkan.errors import BadInputError
from junkan.sources.openalex import ingest
from junkan.store import open_store

from .oa_records import work, write_jsonl


def quarantine(store) -> list[dict]:
    return pq.read_table(store.table_path("quarantine")).to_pylist()


def test_jsonl_gz_and_tables(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "in" / "part_000.gz", [work(1, refs=(2, 3, 3)), work(2, countries=("JP",))], gz=True)
    rep = ingest([f], tmp_path / "st")
    s = rep.store
    assert (rep.read, rep.kept, rep.rejected) == (2, 2, 0)
    works = pq.read_table(s.table_path("works")).to_pylist()
    assert [w["work_id"] for w in works] == ["W1", "W2"]
    assert works[0]["doi"] == "10.1/1" and works[0]["field_id"] == 23 and works[0]["subfield_id"] == 2308
    assert works[0]["authors_count"] == 2 and works[0]["source_id"] == "S1"
    refs = sorted((r["work_id"], r["cited_work_id"]) for r in pq.read_table(s.table_path("references")).to_pylist())
    assert refs == [("W1", "W2"), ("W1", "W3")]  # deduplicated
    countries = pq.read_table(s.table_path("authorship_countries")).to_pylist()
    assert {(c["work_id"], c["author_position"], c["country_code"]) for c in countries} == {("W1", 0, "JP"), ("W1", 1, "US"), ("W2", 0, "JP")}
    inst = pq.read_table(s.table_path("institutions")).to_pylist()
    assert {i["institution_id"]: i["country_code"] for i in inst} == {"I100": "JP", "I101": "US"}
    assert inst[0]["ror"] == "00abc" and inst[0]["lineage"] == ["I100"]
    m = s.manifest
    assert m["counts"] == {"read": 2, "kept": 2, "rejected": 0, "replaced": 0}
    assert m["inputs"][0]["sha256"] and m["inputs"][0]["read"] == 2
    assert m["tables"]["works"]["rows"] == 2
    s.verify()


def test_api_page_and_json_array(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"meta": {"count": 2, "next_cursor": None}, "results": [work(1), work(2)]}))
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps([work(3), work(4)]))
    rep = ingest([page, arr], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (4, 4, 0)


@pytest.mark.parametrize(
    ("raw_lines", "line", "field", "reason_part"),
    [
        (['{"id": "https://openalex.org/W9", "title": '], 3, None, "malformed JSON"),
        (['{"title": "no id"}'], 3, "id", "no id"),
        (['{"id": "https://openalex.org/W9", "publication_year": "abc"}'], 3, "publication_year", "expected a number"),
        (['{"id": "https://openalex.org/W9", "authorships": [{"institutions": [{"lineage": "I1"}]}]}'], 3, "authorships[0].institutions[0].lineage", "expected an array, got string"),
        (['{"id": "https://openalex.org/W9", "cited_by_count": [1]}'], 3, "cited_by_count", "expected bigint, got array"),
        (['{"id": "https://openalex.org/W9", "authorships": "Smith"}'], 3, "authorships", "expected an array"),
        (['{"id": 12345}'], 3, "id", "id must be a non-empty string"),
        (['{"id": "https://openalex.org/A9"}'], 3, "id", "is not an OpenAlex work id"),
        (['[1, 2]'], 3, None, "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("gz", [False, True])
def test_bad_record_is_quarantined_with_file_line_field(tmp_path: Path, raw_lines, line, field, reason_part, gz) -> None:
    f = write_jsonl(tmp_path / ("bad.jsonl.gz" if gz else "bad.jsonl"), [work(1), work(2)], raw_lines=raw_lines, gz=gz)
    rep = ingest([f], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (3, 2, 1)
    assert rep.reconciles
    q = quarantine(rep.store)
    assert len(q) == 1
    assert q[0]["file"] == str(f.resolve()) and q[0]["line"] == line and q[0]["field"] == field
    assert reason_part in q[0]["reason"]
    assert q[0]["raw"] == raw_lines[0]
    m = rep.store.manifest
    assert m["counts"]["read"] == m["counts"]["kept"] + m["counts"]["rejected"]
    assert m["inputs"][0]["checked_record_by_record"] is True
    # the good records are all there
    assert pq.read_table(rep.store.table_path("works")).num_rows == 2

    # --on-error raise: one clear message naming file, line and field; nothing is published
    with pytest.raises(BadInputError) as exc:
        ingest([f], tmp_path / "st2", on_error="raise")
    msg = str(exc.value)
    assert str(f.resolve()) in msg and f"line {line}" in msg and reason_part in msg
    if field:
        assert repr(field) in msg
    assert not (tmp_path / "st2" / "CURRENT").exists()


def test_skip_keeps_reason_without_raw(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "bad.jsonl", [work(1)], raw_lines=["not json"])
    rep = ingest([f], tmp_path / "st", on_error="skip")
    q = quarantine(rep.store)
    assert (rep.read, rep.kept, rep.rejected) == (2, 1, 1) and q[0]["raw"] is None and q[0]["line"] == 2


def test_unexpected_fields_are_accepted(tmp_path: Path) -> None:
    rec = work(1)
    rec["a_field_openalex_added_next_year"] = {"nested": [1, 2, 3]}
    rec["authorships"][0]["new_subfield"] = "x"
    rep = ingest([write_jsonl(tmp_path / "a.jsonl", [rec])], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (1, 1, 0)


def test_truncated_gzip(tmp_path: Path) -> None:
    full = write_jsonl(tmp_path / "full.gz", [work(i) for i in range(1, 400)], gz=True)
    data = full.read_bytes()
    cut = tmp_path / "in" / "cut.gz"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) * 2 // 3])
    rep = ingest([cut], tmp_path / "st")
    assert rep.reconciles and rep.rejected == 1 and 0 < rep.kept < 399
    q = quarantine(rep.store)
    assert "truncated or corrupt" in q[0]["reason"] and q[0]["line"] == rep.kept + 1
    with pytest.raises(BadInputError, match="truncated or corrupt"):
        ingest([cut], tmp_path / "st2", on_error="raise")


def test_empty_file_and_wrong_path(tmp_path: Path) -> None:
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    rep = ingest([empty], tmp_path / "st")
    assert rep.read == 0 and any("holds no records" in w for w in rep.warnings)
    with pytest.raises(BadInputError, match="holds no records"):
        ingest([empty], tmp_path / "st2", on_error="raise")
    with pytest.raises(BadInputError, match="no such file or directory") as exc:
        ingest([tmp_path / "missing.jsonl"], tmp_path / "st3")
    assert "missing.jsonl" in str(exc.value)


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "d.jsonl", [work(1, title="first"), work(2), work(1, title="second")])
    rep = ingest([f], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (3, 2, 1)
    q = quarantine(rep.store)
    assert q[0]["reason"].startswith("duplicate_id") and q[0]["line"] == 1 and '"first"' in q[0]["raw"]
    titles = {w["work_id"]: w["title"] for w in pq.read_table(rep.store.table_path("works")).to_pylist()}
    assert titles["W1"] == "second"  # the later line wins a tie
    assert pq.read_table(rep.store.table_path("authorships")).num_rows == 4  # no doubled child rows


def test_incremental_latest_partition_wins(tmp_path: Path) -> None:
    snap = tmp_path / "snap" / "data" / "works"
    old = write_jsonl(snap / "updated_date=2024-01-01" / "part_000.gz", [work(1, countries=("JP",)), work(2)], gz=True)
    rep1 = ingest([tmp_path / "snap"], tmp_path / "st")
    assert rep1.store.version == "v000001" and rep1.kept == 2
    write_jsonl(snap / "updated_date=2024-06-01" / "part_000.gz", [work(1, countries=("JP", "DE", "FR"), updated="2024-06-01T00:00:00")], gz=True)
    rep2 = ingest([tmp_path / "snap"], tmp_path / "st")
    s = rep2.store
    assert s.version == "v000002"
    assert rep2.skipped_inputs == [str(old.resolve())]  # same checksum: not read again
    assert (rep2.read, rep2.kept, rep2.rejected, rep2.replaced) == (1, 1, 0, 1)
    countries = pq.read_table(s.table_path("authorship_countries")).to_pylist()
    assert sorted(c["country_code"] for c in countries if c["work_id"] == "W1") == ["DE", "FR", "JP"]
    assert sorted(c["country_code"] for c in countries if c["work_id"] == "W2") == ["JP", "US"]
    assert [i["partition_date"] for i in s.manifest["inputs"]] == ["2024-01-01", "2024-06-01"]
    assert s.manifest["previous_version"] == "v000001"
    # the previous version is still there and readable
    assert (tmp_path / "st" / "versions" / "v000001" / "works.parquet").exists()
    # an older record arriving later is stale: rejected with its reason, the store keeps the newer one
    stale = write_jsonl(tmp_path / "late" / "x.jsonl", [work(1, countries=("CN",), updated="2023-01-01T00:00:00")])
    rep3 = ingest([stale], tmp_path / "st")
    assert (rep3.read, rep3.kept, rep3.rejected) == (1, 0, 1)
    assert quarantine(rep3.store)[-1]["reason"].startswith("stale")


def test_same_input_twice_in_one_run_and_latest_within_run(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "updated_date=2024-01-01" / "a.jsonl", [work(1, updated="2024-01-01T00:00:00")])
    b = write_jsonl(tmp_path / "updated_date=2024-02-01" / "b.jsonl", [work(1, updated="2024-02-01T00:00:00", countries=("KR",))])
    rep = ingest([a, b, a], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (2, 1, 1)
    q = quarantine(rep.store)
    assert q[0]["reason"].startswith("superseded") and q[0]["file"] == str(a.resolve())


def test_authors_entities(tmp_path: Path) -> None:
    author = {
        "id": "https://openalex.org/A5",
        "orcid": "https://orcid.org/0000-0001-2345-6789",
        "display_name": "A. Researcher",
        "works_count": 10,
        "cited_by_count": 99,
        "affiliations": [
            {"institution": {"id": "https://openalex.org/I1", "country_code": "JP"}, "years": [2021, 2020]},
            {"institution": {"id": "https://openalex.org/I2", "country_code": "US"}, "years": [2019]},
        ],
        "updated_date": "2024-01-01T00:00:00",
    }
    f = write_jsonl(tmp_path / "data" / "authors" / "updated_date=2024-01-01" / "part_000.gz", [author], gz=True)
    rep = ingest([f], tmp_path / "st")
    s = rep.store
    assert pq.read_table(s.table_path("authors")).to_pylist()[0]["orcid"] == "0000-0001-2345-6789"
    aff = pq.read_table(s.table_path("author_affiliations")).to_pylist()
    assert [(a["institution_id"], a["country_code"], a["year"]) for a in aff] == [("I1", "JP", 2020), ("I1", "JP", 2021), ("I2", "US", 2019)]


def test_snapshot_manifest_missing_part(tmp_path: Path) -> None:
    snap = tmp_path / "data" / "works"
    write_jsonl(snap / "updated_date=2024-01-01" / "part_000.gz", [work(1)], gz=True)
    (snap / "manifest").write_text(json.dumps({"entries": [
        {"url": "s3://openalex/data/works/updated_date=2024-01-01/part_000.gz", "meta": {"record_count": 1}},
        {"url": "s3://openalex/data/works/updated_date=2024-01-01/part_001.gz", "meta": {"record_count": 1}},
    ]}))
    with pytest.raises(BadInputError, match="part_001.gz but that file is missing") as exc:
        ingest([tmp_path / "data"], tmp_path / "st")
    assert "entries[1].url" in str(exc.value)


def test_deterministic_content_hash(tmp_path: Path) -> None:
    recs = [work(i, refs=(i + 1,)) for i in range(1, 50)]
    f = write_jsonl(tmp_path / "a.jsonl.gz", recs, gz=True)
    h1 = ingest([f], tmp_path / "s1").store.manifest["content_hash"]
    h2 = ingest([f], tmp_path / "s2", threads=1).store.manifest["content_hash"]
    assert h1 == h2


def test_gzip_bytes_of_input_do_not_matter_only_content(tmp_path: Path) -> None:
    recs = [work(i) for i in range(1, 20)]
    plain = write_jsonl(tmp_path / "p" / "a.jsonl", recs)
    gz = tmp_path / "g" / "a.jsonl.gz"
    gz.parent.mkdir()
    with gzip.open(gz, "wb", compresslevel=1) as fh:
        fh.write(plain.read_bytes())
    t1 = pq.read_table(ingest([plain], tmp_path / "s1").store.table_path("works")).drop(["input_id"])
    t2 = pq.read_table(ingest([gz], tmp_path / "s2").store.table_path("works")).drop(["input_id"])
    assert t1.equals(t2)
    assert open_store(tmp_path / "s1").manifest["inputs"][0]["format"] == "jsonl"


def test_duckdb_error_with_undecodable_message_falls_back(tmp_path: Path) -> None:
    """Found by hypothesis: DuckDB's error message quoted bytes Python could not decode."""
    rec = work(1)
    rec["publication_year"] = [{"\udb45\udf5c\udbd7\udf54": None, "000\u001f": None}, [None, "\ud800\udc00\ud800\udc00"]]
    f = tmp_path / "s.jsonl"
    f.write_text(json.dumps(rec) + "\n" + json.dumps(work(2)) + "\n", encoding="utf-8")
    rep = ingest([f], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (2, 1, 1)
    assert quarantine(rep.store)[0]["field"] == "publication_year"


def test_rerun_with_nothing_new_keeps_the_version(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [work(1)])
    first = ingest([f], tmp_path / "st")
    again = ingest([f], tmp_path / "st")
    assert again.store.version == first.store.version == "v000001"
    assert again.skipped_inputs == [str(f.resolve())] and again.read == 0 and again.reconciles
    assert not (tmp_path / "st" / "versions" / "v000002").exists()
