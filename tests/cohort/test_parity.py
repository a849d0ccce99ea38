"""Cohort evaluation gives the same tables on DuckDB and PySpark (integers exactly, floats within rel 1e-9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.cohort import evaluate, read_cohort
from junkan.engine import connect
from junkan.testing import assert_tables_equal

KEYS = {
    "members": ["person_id"],
    "by_phase": ["phase"],
    "by_relative_year": ["rel_year"],
    "national": ["year"],
    "did": ["metric"],
    "controls": ["member_key", "rank"],
    "problems": ["line"],
    "hosts_by_phase": ["phase"],
    "hosts_by_relative_year": ["rel_year"],
}


@pytest.mark.spark
@pytest.mark.slow
def test_cohort_evaluation_duckdb_equals_pyspark(tmp_path: Path, spark) -> None:
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    simulate(tmp_path / "w", works=4000, seed=5, workers=1)
    ingest([tmp_path / "w" / "data"], tmp_path / "w" / "store")
    store = tmp_path / "w" / "store"
    cohort = read_cohort(tmp_path / "w" / "cohorts" / "JP-OVERSEAS.csv")
    opts = dict(country="JP", controls=3, bootstrap=100, seed=3, ci=0.9)
    d = evaluate(connect(store, threads=2), cohort, **opts)
    p = evaluate(connect(store, backend="pyspark", spark=spark), cohort, **opts)
    # the comparison must not be vacuous: members resolved, papers in every phase, controls, a DiD with CIs
    assert d.members.num_rows >= 8 and d.controls.num_rows > 0
    assert d.by_phase.num_rows == 3 and min(d.by_phase.column("n").to_pylist()) > 0
    assert all(x is not None for x in d.did.column("ci_low").to_pylist())
    assert d.hosts_by_phase is not None and d.hosts_by_phase.num_rows == 3  # hosts resolve by name on both engines
    assert sorted(d.tables()) == sorted(p.tables())
    for name, tbl in d.tables().items():
        assert_tables_equal(tbl, p.tables()[name], keys=KEYS[name])
    assert p.provenance["backend"] == "pyspark" and d.provenance["backend"] == "duckdb"
