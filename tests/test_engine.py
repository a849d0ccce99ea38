"""The engine: same expressions on DuckDB and PySpark; capabilities fail loudly."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

from junkan.engine import CAPABILITIES, connect
from junkan.errors import BackendCapabilityError, ConfigError, StoreError, StoreNotFoundError
from junkan.sources.openalex import ingest
from junkan.store import open_store, write_store
from junkan.testing import assert_tables_equal

from .sources.oa_records import work, write_jsonl


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("eng")
    recs = [work(i, year=2000 + i % 5, countries=(("JP", "US", "CN", "DE")[i % 4],) * (1 + i % 3) + (("GB",) if i % 7 == 0 else ()), refs=tuple(range(1, i % 11))) for i in range(1, 400)]
    ingest([write_jsonl(d / "w.jsonl.gz", recs, gz=True)], d / "st")
    return d / "st"


def _country_year(eng):
    """A representative expression: unnest-free joins, distinct, group-by, float division, windows."""
    ac = eng.authorship_countries
    w = eng.works
    wc = ac.select("work_id", "country_code").distinct()
    k = wc.group_by("work_id").agg(k=wc.count())
    j = wc.join(k, "work_id").join(w.select("work_id", "publication_year"), "work_id")
    agg = j.group_by(["country_code", "publication_year"]).agg(
        papers=j.count(),
        intl=(j.k > 1).sum(),
        fractional=(1.0 / j.k).sum(),
    )
    return agg.mutate(
        share=agg.intl / agg.papers,
        rank=ibis.rank().over(group_by="publication_year", order_by=ibis.desc(agg.papers)),
    )


def test_parity_duckdb_pyspark(store: Path, open_engine) -> None:
    ref = connect(store)
    expected = ref.to_pyarrow(_country_year(ref))
    eng = open_engine(store)
    got = eng.to_pyarrow(_country_year(eng))
    assert expected.num_rows > 10
    assert_tables_equal(got, expected, keys=["country_code", "publication_year"])


def test_capabilities_fail_loudly(store: Path, open_engine) -> None:
    eng = open_engine(store)
    assert eng.supports("exact_aggregates")
    with pytest.raises(BackendCapabilityError, match="approximate_aggregates"):
        eng.require("approximate_aggregates")
    if eng.backend == "pyspark":
        with pytest.raises(BackendCapabilityError, match="seeded_sample"):
            eng.require("seeded_sample")
    else:
        eng.require("memory_limit")
    assert set(CAPABILITIES) >= {"memory_limit", "seeded_sample", "ordered_collect"}


def test_errors(tmp_path: Path, store: Path) -> None:
    with pytest.raises(StoreNotFoundError, match="no store at"):
        connect(tmp_path / "nope")
    with pytest.raises(ConfigError, match="unknown backend"):
        connect(store, backend="sqlite")
    with pytest.raises(ConfigError, match="unknown table"):
        connect(store).table("papers")
    with pytest.raises(BackendCapabilityError):
        connect(store, backend="pyspark", memory_limit="1GB")


def test_memory_limit_is_honoured(store: Path, tmp_path: Path) -> None:
    eng = connect(store, memory_limit="300MB", temp_directory=tmp_path / "spill", threads=1)
    assert eng.con.con.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("286")  # 300 MB in MiB
    assert eng.to_pyarrow(_country_year(eng)).num_rows > 10


def test_corrupted_store_detected(tmp_path: Path) -> None:
    s = write_store(tmp_path / "st", {"works": [{"work_id": "W1", "data_source": "test", "input_id": 0}]})
    s.verify()
    with open(s.table_path("works"), "r+b") as f:
        f.seek(20)
        f.write(b"\x00\x01\x02")
    with pytest.raises(StoreError, match="does not match its checksum"):
        open_store(tmp_path / "st").verify()


# -- out of memory → ResourceError (issue 11) --------------------------------------------------------------------------

#: One list value of ~80 MB that cannot be spilled (as in tests/reliability/test_resources.py).
_BIG = "SELECT len(list(repeat('x', 200) || k::VARCHAR)) AS n FROM range(400000) t(k)"


def test_out_of_memory_is_a_resource_error_naming_the_limit(store: Path, tmp_path: Path) -> None:
    from junkan.errors import ResourceError

    eng = connect(store, threads=1, memory_limit="32MB", temp_directory=tmp_path / "spill")
    with pytest.raises(ResourceError, match=r"ran out of memory under its memory limit of 30\.5 MiB") as exc:
        eng.to_pyarrow(eng.con.sql(_BIG))
    msg = str(exc.value)
    assert "larger limit" in msg and str(tmp_path / "spill") in msg and "\n" not in msg
    assert eng.to_pyarrow(eng.works.count().name("n").as_table()).column("n")[0].as_py() == 399  # still usable
    unlimited = connect(store, threads=1)
    assert unlimited.to_pyarrow(unlimited.con.sql(_BIG)).column("n")[0].as_py() == 400000  # fits without the limit


def test_resource_error_maps_only_out_of_memory() -> None:
    import duckdb

    from junkan.engine import resource_error

    assert resource_error(ValueError("x")) is None and resource_error(duckdb.IOException("disk")) is None
    assert "ran out of memory" in str(resource_error(duckdb.OutOfMemoryException("Out of Memory Error: failed")))
    spark = RuntimeError("An error occurred while calling o42.collect.\n: java.lang.OutOfMemoryError: Java heap space\n\tat x")
    assert "Spark ran out of memory (: java.lang.OutOfMemoryError: Java heap space)" in str(resource_error(spark))


def test_cli_reports_out_of_memory_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import duckdb
    import typer

    from junkan.cli import run_guarded

    def boom() -> None:
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate data of size 16.0 MiB")

    with pytest.raises(typer.Exit) as exc:
        run_guarded(boom)
    assert exc.value.exit_code == 1
    with pytest.raises(KeyError):  # anything else is still a bug, not mapped
        run_guarded(lambda: {}["x"])
