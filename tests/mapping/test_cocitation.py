"""Co-citation in the engine: hand-computed fixture, core papers from the indicator core, DuckDB/PySpark parity.

The hand fixtures run on DuckDB; one parity test runs the same expressions on PySpark (Spark's planning of the
core-paper query is slow on one machine, so the suite keeps a single Spark run).
"""

from __future__ import annotations

import math

import pytest

from junkan.indicators.base import StoreTables
from junkan.mapping.cocitation import citing_links, cocitation, core_papers, group_links
from junkan.mapping.planted import planted_world
from junkan.store import write_store
from junkan.testing import assert_tables_equal


def _w(wid: str, year: int, field: int | None = 1) -> dict:
    return {"work_id": wid, "publication_year": year, "type": "article", "source_type": "journal",
            "field_id": field, "data_source": "test", "input_id": 0}


@pytest.fixture
def small_store(tmp_path):
    """Core candidates P1..P4 (2015); citing Q1..Q5 (2016, own field).

    Q1: P1 P2 P3   Q2: P1 P2   Q3: P1 P3   Q4: P2 P3 P4   Q5: P4 (and X9, a work outside the store)
    cit: P1 3, P2 3, P3 3, P4 2.  cocit: P1P2 2, P1P3 2, P2P3 2, P2P4 1, P3P4 1.
    """
    works = [_w(f"P{i}", 2015) for i in range(1, 5)] + [_w(f"Q{i}", 2016, 99) for i in range(1, 6)]
    refs = {"Q1": "P1 P2 P3", "Q2": "P1 P2", "Q3": "P1 P3", "Q4": "P2 P3 P4", "Q5": "P4 X9"}
    references = [{"work_id": q, "cited_work_id": c} for q, cs in refs.items() for c in cs.split()]
    write_store(tmp_path / "s", {"works": works, "references": references})
    return tmp_path / "s"


def _duck(path):
    from junkan.engine import connect

    return connect(path, threads=2)


def test_cocitation_hand_fixture(small_store):
    eng = _duck(small_store)
    t = StoreTables.from_engine(eng)
    core = core_papers(t, window=(2015, 2016), top_pct=100, min_citations=1)
    got_core = sorted(core.to_pyarrow()["work_id"].to_pylist())
    assert got_core == ["P1", "P2", "P3", "P4"]
    links = citing_links(t, core, window=(2015, 2016))
    pairs, cit = cocitation(links, min_cocit=1)
    rows = {(r["i"], r["j"]): r for r in pairs.to_pyarrow().to_pylist()}
    assert set(rows) == {("P1", "P2"), ("P1", "P3"), ("P2", "P3"), ("P2", "P4"), ("P3", "P4")}
    assert rows[("P1", "P2")]["cocit"] == 2
    assert rows[("P2", "P4")]["strength"] == pytest.approx(1 / math.sqrt(3 * 2))
    assert rows[("P1", "P3")]["strength"] == pytest.approx(2 / 3)
    assert dict(zip(*cit.to_pyarrow().to_pydict().values(), strict=True)) == {"P1": 3, "P2": 3, "P3": 3, "P4": 2}
    strict, _ = cocitation(links, min_cocit=2, min_strength=0.5)
    assert {(r["i"], r["j"]) for r in strict.to_pyarrow().to_pylist()} == {("P1", "P2"), ("P1", "P3"), ("P2", "P3")}


def test_citing_window_last_year(small_store):
    eng = _duck(small_store)
    t = StoreTables.from_engine(eng)
    core = core_papers(t, window=(2015, 2016), top_pct=100)
    # Q* are published in 2016 = last year: same universe; a window ending 2015 has no citing papers at all
    assert citing_links(t, core, window=(2015, 2016), citing_window="last").count().to_pyarrow().as_py() == 11
    assert citing_links(t, core, window=(2014, 2015), citing_window="last").count().to_pyarrow().as_py() == 0


def test_core_is_top_percent_with_ties(tmp_path):
    """Planted world: ratio 99 uncited papers per core paper in every field-year → Top 1 % = the planted core."""
    from junkan.engine import connect

    pw = planted_world(n_areas=6, seed=3)
    pw.store(tmp_path / "s")
    eng = connect(tmp_path / "s", threads=2)
    t = StoreTables.from_engine(eng)
    y0, y1 = pw.editions[1]
    core = set(core_papers(t, window=(y0, y1), top_pct=1).to_pyarrow()["work_id"].to_pylist())
    truth = pw.truth.to_pylist()
    cited = {r["cited_work_id"] for r in pw.tables["references"].to_pylist()}
    years = dict(zip(pw.tables["works"]["work_id"].to_pylist(), pw.tables["works"]["publication_year"].to_pylist(), strict=True))
    cit_years: dict[str, list[int]] = {}
    for r in pw.tables["references"].to_pylist():
        cit_years.setdefault(r["cited_work_id"], []).append(years[r["work_id"]])
    expected = {r["work_id"] for r in truth if r["role"] == "core" and y0 <= years[r["work_id"]] <= y1
                and any(y <= y1 for y in cit_years.get(r["work_id"], []))}
    assert core == expected
    assert expected and expected <= cited


@pytest.mark.spark
def test_cocitation_parity_duckdb_pyspark(tmp_path, spark):
    """The co-citation tables (papers and groups) are equal on DuckDB and PySpark.

    Core papers are selected once on DuckDB (the Top x% expressions belong to the indicator core, whose own
    parity suite covers them) and handed to both engines as an in-memory table, as ``build_map`` does.
    """
    import ibis

    from junkan.engine import connect

    pw = planted_world(n_areas=5, citing_per_front=20, ratio=9, seed=5)
    pw.store(tmp_path / "s")
    duck = connect(tmp_path / "s", threads=2)
    core_t = core_papers(StoreTables.from_engine(duck), window=pw.editions[1], top_pct=pw.top_pct).to_pyarrow()
    assert core_t.num_rows > 30
    truth = {r["work_id"]: r["front"] for r in pw.truth.to_pylist() if r["role"] == "core"}
    member = ibis.memtable({"work_id": core_t["work_id"].to_pylist(), "front_id": [truth[w] for w in core_t["work_id"].to_pylist()]})
    out = {}
    for backend in ("duckdb", "pyspark"):
        eng = connect(tmp_path / "s", backend=backend, spark=spark) if backend == "pyspark" else duck
        t = StoreTables.from_engine(eng)
        links = citing_links(t, ibis.memtable(core_t.select(["work_id"])), window=pw.editions[1])
        pairs, cit = cocitation(links, min_cocit=2, min_strength=0.1)
        fpairs, fcit = cocitation(group_links(links, member, node="front_id"), min_cocit=2)
        out[backend] = [x.to_pyarrow() for x in (pairs, cit, fpairs, fcit)]
    assert out["duckdb"][0].num_rows > 50 and out["duckdb"][2].num_rows > 5
    assert_tables_equal(out["duckdb"][0], out["pyspark"][0], keys=["i", "j"])
    assert_tables_equal(out["duckdb"][1], out["pyspark"][1], keys=["node"])
    assert_tables_equal(out["duckdb"][2], out["pyspark"][2], keys=["i", "j"])
    assert_tables_equal(out["duckdb"][3], out["pyspark"][3], keys=["node"])


@pytest.mark.spark
@pytest.mark.slow
def test_build_map_parity_duckdb_pyspark(tmp_path, spark):
    """The whole map on both engines: same core papers, fronts, areas and links (floats up to summation order)."""
    from junkan.engine import connect
    from junkan.mapping import build_map

    pw = planted_world(n_areas=4, citing_per_front=15, ratio=9, seed=5)
    pw.store(tmp_path / "s")
    maps = {b: build_map(connect(tmp_path / "s", backend=b, spark=spark) if b == "pyspark" else connect(tmp_path / "s"),
                         window=pw.editions[1], top_pct=pw.top_pct) for b in ("duckdb", "pyspark")}
    a, b = maps["duckdb"], maps["pyspark"]
    assert_tables_equal(a.papers, b.papers, keys=["work_id"])
    assert_tables_equal(a.front_links, b.front_links, keys=["i", "j"])
    assert_tables_equal(a.area_links, b.area_links, keys=["i", "j"])
    assert_tables_equal(a.areas.drop_columns(["terms", "leading_countries"]), b.areas.drop_columns(["terms", "leading_countries"]), keys=["area_id"])
    assert a.areas["terms"].equals(b.areas["terms"]) and a.area_countries.num_rows == b.area_countries.num_rows
