"""``junkan ingest wos|scopus|openalex-csv`` and ``junkan merge`` on the readers' fixture files."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from junkan.cli import app, build_command
from junkan.store import open_store

runner = CliRunner()
build_command()
DATA = Path(__file__).parent.parent / "data" / "exports"


def _run(*args: str) -> str:
    res = runner.invoke(app, list(args), catch_exceptions=False, terminal_width=200)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.mark.parametrize("source", ["wos", "scopus", "openalex-csv"])
def test_help(source: str) -> None:
    out = _run("ingest", source, "--help")
    assert "--store" in out and "--report" in out and "--precedence" in out
    assert ("--overrides" in out) is (source != "openalex-csv")


def test_wos_then_scopus_then_again(tmp_path: Path) -> None:
    store = tmp_path / "store"
    report = tmp_path / "report.csv"
    out = _run("-q", "ingest", "wos", str(DATA / "wos_plain.txt"), "-s", str(store), "--report", str(report))
    assert "read 5 = kept 3 + rejected 2" in out and "works 0 → 3" in out
    assert "matched by doi" in out
    v1 = open_store(store)
    assert v1.manifest["inputs"][0]["source"] == "wos" and v1.manifest["counts"]["rejected"] == 2
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith('"data_source","source_record_id"') and len(lines) == 1 + 3
    assert json.loads(Path(f"{report}.provenance.json").read_text(encoding="utf-8"))["store_version"] == v1.version

    # the Scopus file describes the first WoS paper again (same DOI): one work, with both records
    out = _run("-q", "ingest", "scopus", str(DATA / "scopus_current.csv"), "-s", str(store))
    assert "works 3 → 5" in out
    v2 = open_store(store)
    ws = pq.read_table(v2.table_path("work_sources")).to_pylist()
    dup = [r for r in ws if r["work_id"] == "WOS:000600000000001"]
    assert {(r["data_source"], r["matched_by"]) for r in dup} == {("wos", "canonical"), ("scopus", "doi")}
    assert v2.manifest["inputs"][1]["merged_with_existing"] == 1
    # the address → country decisions of both records stay auditable under the merged work
    audit = [r for r in pq.read_table(v2.table_path("address_audit")).to_pylist() if r["work_id"] == "WOS:000600000000001"]
    assert {r["data_source"] for r in audit} == {"wos", "scopus"}
    assert {"JP", "US"} <= {r["country_code"] for r in audit} and all(r["rule"] for r in audit)
    # every rejected record of both files is in the quarantine: read = kept + rejected per input
    assert pq.read_table(v2.table_path("quarantine")).num_rows == sum(i["rejected"] for i in v2.manifest["inputs"])
    for i in v2.manifest["inputs"]:
        assert i["read"] == i["kept"] + i["rejected"]

    out = _run("-q", "ingest", "scopus", str(DATA / "scopus_current.csv"), "-s", str(store))
    assert "nothing new" in out and open_store(store).version == v2.version

    out = _run("-q", "merge", str(store), "--report", str(tmp_path / "m.json"))
    assert "works 5 → 5" in out
    m = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert {r["source_record_id"] for r in m["data"]} == {"WOS:000600000000001", "2-s2.0-85100000001"}


def test_openalex_csv_with_the_tab_delimited_wos_file(tmp_path: Path) -> None:
    store = tmp_path / "s"
    _run("-q", "ingest", "openalex-csv", str(DATA / "openalex_web.csv"), "-s", str(store))
    out = _run("-q", "ingest", "wos", str(DATA / "wos_tab.txt"), str(DATA / "wos_plain.txt"), "-s", str(store))
    # the two WoS files hold two records twice (same UT): one record each
    assert "records repeated (same id): 2" in out
    works = pq.read_table(open_store(store).table_path("works"))
    assert works.num_rows == 3 + 3


def test_errors_are_one_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["ingest", "openalex-csv", str(DATA / "openalex_web.csv"), "-s", str(tmp_path / "s"),
                              "--overrides", str(DATA / "openalex_web.csv")])
    assert res.exit_code == 1 and "--overrides applies to Scopus and Web of Science" in res.output
    res = runner.invoke(app, ["ingest", "wos", str(DATA / "wos_plain.txt"), "-s", str(tmp_path / "s"),
                              "--report", str(tmp_path / "r.txt")])
    assert res.exit_code == 1 and ".csv" in res.output
    res = runner.invoke(app, ["ingest", "wos", str(DATA / "scopus_current.csv"), "-s", str(tmp_path / "t")])
    assert res.exit_code == 1 and "scopus_current.csv" in res.output


@pytest.mark.parametrize(("source", "name", "ids"), [
    ("wos", "wos_same_author.txt", ("WOS:000700000000001", "WOS:000700000000002", "WOS:000700000000003")),
    ("scopus", "scopus_same_author.csv", ("2-s2.0-85200000001", "2-s2.0-85200000002", "2-s2.0-85200000003")),
])
def test_two_papers_of_one_author_journal_and_year_are_matched_by_volume_and_page(
        tmp_path: Path, source: str, name: str, ids: tuple[str, str, str]) -> None:
    # Tanaka H, 2019, Scientometrics: V118 P100 and V119 P200 are both in the file; the third record cites them
    # and a V120 P300 paper that is not. Author, year and journal alone would make both candidates (ambiguous).
    store = tmp_path / "store"
    _run("-q", "ingest", source, str(DATA / name), "-s", str(store))
    s = open_store(store)
    cr = sorted(pq.read_table(s.table_path("cited_references")).to_pylist(), key=lambda r: r["ordinal"])
    assert [(r["source_record_id"], r["volume"], r["first_page"], r["cited_work_id"], r["matched_by"]) for r in cr] == [
        (ids[2], "118", "100", ids[0], "key"),
        (ids[2], "119", "200", ids[1], "key"),
        (ids[2], "120", "300", cr[2]["cited_work_id"], "synthetic"),
    ]
    assert cr[2]["cited_work_id"].startswith("R:")
    links = {(r["work_id"], r["cited_work_id"]) for r in pq.read_table(s.table_path("references")).to_pylist()}
    assert {(ids[2], ids[0]), (ids[2], ids[1])} <= links
    bib = {r["work_id"]: (r["volume"], r["first_page"]) for r in pq.read_table(s.table_path("work_biblio")).to_pylist()}
    assert (bib[ids[0]], bib[ids[1]]) == (("118", "100"), ("119", "200"))
