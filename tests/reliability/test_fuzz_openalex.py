"""Fuzzed OpenAlex JSON (issue 11, property 1): no crash, every record kept or rejected with a reason, exact accounting.

tests/sources/test_ingest_properties.py fuzzes short JSONL files built from one synthetic record. These tests add
mutations of the embedded real records (bytes flipped, odd Unicode, huge numbers, deep nesting, carriage returns,
duplicates, blank lines), gzip and truncated gzip, API pages and JSON arrays, and an oracle that checks each
line's outcome (tests/reliability/fuzz.py). bench/reliability.py runs the same generator on >= 10^5 records.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from junkan.sources.openalex import _read_json_sql, ingest
from junkan.sources.openalex_schema import WORK_SPEC, validate
from tests.sources.oa_records import work

from .fuzz import Line, check_ingest, fuzz_lines, fuzz_records, write_lines

FUZZ = settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), container=st.sampled_from(["jsonl", "gz", "gz-truncated"]))
def test_fuzzed_json_lines(tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, container: str) -> None:
    d = tmp_path_factory.mktemp("fz")
    lines = fuzz_lines(random.Random(seed), n)
    f = write_lines(d / ("in.jsonl" + (".gz" if container != "jsonl" else "")), lines, gz=container != "jsonl",
                    truncate_gz=random.Random(seed).randint(1, 200) if container == "gz-truncated" else None)
    rep = ingest([f], d / "st", threads=2)
    assert rep.reconciles and rep.store.row_count("works") == rep.kept
    assert check_ingest(lines, f, rep, complete=container != "gz-truncated") == []
    if container == "gz-truncated":
        reasons = pq.read_table(rep.store.table_path("quarantine")).column("reason").to_pylist()
        assert any(r.startswith("truncated or corrupt file") for r in reasons)


def test_fuzzed_lines_at_volume(tmp_path: Path) -> None:
    """2,000 mutated records in two files (one gzip) in one run; every line's outcome checked."""
    a = fuzz_lines(random.Random(101), 1000, start_id=1)
    b = fuzz_lines(random.Random(202), 1000, start_id=10_000)
    fa, fb = write_lines(tmp_path / "a.jsonl", a), write_lines(tmp_path / "b.jsonl.gz", b, gz=True)
    rep = ingest([fa, fb], tmp_path / "st", threads=2)
    assert rep.reconciles and rep.read == sum(1 for ln in a + b if ln.text.strip())
    assert check_ingest(a, fa, rep) == [] and check_ingest(b, fb, rep) == []
    assert rep.store.row_count("quarantine") == rep.rejected  # read = kept + rejected, in the store too
    assert rep.store.row_count("works") == rep.kept
    m = rep.store.manifest["counts"]
    assert m["read"] == m["kept"] + m["rejected"]
    assert set(rep.rejected_by_reason) >= {"malformed_json", "wrong_type", "bad_id", "duplicate_id"}


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), page=st.booleans())
def test_fuzzed_api_pages_and_arrays(tmp_path_factory: pytest.TempPathFactory, seed: int, n: int, page: bool) -> None:
    d = tmp_path_factory.mktemp("fzj")
    recs = fuzz_records(random.Random(seed), n)
    doc = {"meta": {"count": n}, "results": [r for r, _, _ in recs]} if page else [r for r, _, _ in recs]
    f = d / "page.json"
    f.write_text(json.dumps(doc), encoding="utf-8")
    rep = ingest([f], d / "st", threads=2)
    assert rep.reconciles
    q = pq.read_table(rep.store.table_path("quarantine"))
    kept = set(pq.read_table(rep.store.table_path("works"), columns=["work_id"]).column("work_id").to_pylist())
    if not _is_json(f.read_text()):  # NaN/Infinity or a lone surrogate escape: the whole document is rejected
        assert (rep.read, rep.kept, rep.rejected) == (1, 0, 1)
        assert q.column("reason")[0].as_py().startswith("malformed JSON")
        return
    assert rep.read == n
    lines = q.column("line").to_pylist()
    assert len(set(lines)) == len(lines) and all(1 <= x <= n for x in lines)
    for k, (_rec, kind, sid) in enumerate(recs, start=1):
        if kind == "ok":
            assert sid in kept and k not in lines
        elif sid is not None:  # its id is unchanged: kept or rejected, exactly one of the two
            assert (sid in kept) != (k in lines)


def _is_json(text: str) -> bool:
    """Strict JSON (as junkan's parser, orjson, reads it): no NaN/Infinity, no lone surrogate escapes."""
    try:
        orjson.loads(text)
        return True
    except orjson.JSONDecodeError:
        return False


def test_oracle_catches_wrong_outcomes(tmp_path: Path) -> None:
    """The oracle is not vacuous: a record claimed valid that was rejected, or a lost line, is reported."""
    lines = [Line(json.dumps(work(1)).encode(), "ok", "W1"), Line(b"{oops", "garbage", None), Line(b"", "blank", None)]
    f = write_lines(tmp_path / "x.jsonl", lines)
    rep = ingest([f], tmp_path / "st")
    assert check_ingest(lines, f, rep) == []
    wrong = [lines[0], Line(b"{oops", "ok", "W2"), lines[2]]
    assert any("W2 is not kept" in v for v in check_ingest(wrong, f, rep))
    assert any("non-blank lines" in v for v in check_ingest([*lines, Line(b"x", "garbage", None)], f, rep))


@pytest.mark.parametrize(("field", "value"), [("publication_year", "1e3"), ("publication_year", "2020.7"),
                                              ("updated_date", "2024-01-01}00:00:00")])
def test_value_the_validator_accepts_but_duckdb_refuses_is_quarantined(tmp_path: Path, field: str, value: str) -> None:
    """Found by fuzzing: such a record (the record checker accepts it, DuckDB refuses it) in a file that also holds a
    malformed line made the whole ingest fail ("please report this"). Now exactly that record is quarantined at its
    line with DuckDB's reason, wherever it is in the file (DuckDB's own line numbers are approximate)."""
    bad = work(60)
    bad[field] = value
    recs = [json.dumps(work(i)) for i in range(1, 60)] + ["{not json", json.dumps(bad)] + [json.dumps(work(i)) for i in range(61, 90)]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(recs) + "\n", encoding="utf-8")
    rep = ingest([f], tmp_path / "st")
    assert (rep.read, rep.kept, rep.rejected) == (90, 88, 2)
    q = {r["line"]: r for r in pq.read_table(rep.store.table_path("quarantine")).to_pylist()}
    assert set(q) == {60, 61}
    assert q[61]["reason"].startswith("DuckDB cannot read this record") and value in q[61]["reason"]
    assert q[61]["record_id"] == "https://openalex.org/W60" and json.loads(q[61]["raw"])[field] == value
    kept = set(pq.read_table(rep.store.table_path("works"), columns=["work_id"]).column("work_id").to_pylist())
    assert kept == {f"W{i}" for i in range(1, 90)} - {"W60"}


def _fast_path_accepts(tmp_path: Path, rec: dict) -> bool:
    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    con = duckdb.connect()
    try:
        con.execute(f"SELECT * FROM {_read_json_sql('works')}", [str(f)]).fetchall()
        return True
    except duckdb.Error:
        return False
    finally:
        con.close()


# The same record must get the same outcome whether its file goes through DuckDB's fast path (no bad neighbour)
# or the record-by-record path (a bad neighbour): otherwise kept/rejected depends on other records.
AGREE = [("publication_year", v) for v in (2020, "2020", " 2020 ", "abc", [2020], {"y": 1}, 2**40, None)] + [
    ("is_retracted", v) for v in (True, "false", "abc", [True])] + [
    ("publication_date", v) for v in ("2020-01-02", "2020-13-45", 20200102)] + [
    ("cited_by_count", v) for v in (2**63, -1, "12")] + [("authorships", "Smith"), ("primary_topic", 5), ("title", {"a": 1})]
#: Disagreements found by fuzzing, in junkan.sources.openalex_schema (reported; strict: this fails once fixed).
#: The first ones are kept by the fast path but rejected record by record; the last three the other way round
#: (ingest now quarantines those instead of failing, see the test above).
DISAGREE = [("is_retracted", 0), ("is_retracted", 2.5), ("is_retracted", "t"), ("is_retracted", "yes"),
            ("publication_date", "2020-01-01T00:00:00"), ("publication_year", True), ("publication_year", "0x10"),
            ("publication_year", "1e3"), ("publication_year", "2020.7"), ("updated_date", "2024-01-01}00:00:00")]


@pytest.mark.parametrize(("field", "value"), AGREE + [pytest.param(f, v, marks=pytest.mark.xfail(
    strict=True, reason="DuckDB and the record checker disagree (openalex_schema; reported in issue 11)"))
    for f, v in DISAGREE])
def test_fast_path_and_record_checker_agree(tmp_path: Path, field: str, value: object) -> None:
    rec = work(1)
    rec[field] = value
    assert _fast_path_accepts(tmp_path, rec) == (validate(json.loads(json.dumps(rec)), WORK_SPEC) is None)
