"""The work-level steps of the co-authorship indicators compile to spillable DuckDB operators (docs/engine.md,
"Larger than memory"): no window function partitioned by work, which DuckDB cannot spill under memory_limit."""

from __future__ import annotations

import re

import ibis
import pytest

from junkan.engine import connect
from junkan.indicators.base import StoreTables
from junkan.indicators.coauthorship import coauthorship_matrix
from junkan.indicators.domestic import domestic_international
from junkan.indicators.international import international_coauthorship

WINDOW_BY_WORK = re.compile(r"OVER\s*\(\s*PARTITION BY\s+\"\w+\"\.\"work_id\"\s*[,)R]", re.IGNORECASE)


@pytest.mark.parametrize("func", [international_coauthorship, domestic_international, coauthorship_matrix])
def test_no_window_partitioned_by_work(shared_store, func):
    eng = connect(shared_store)
    try:
        sql = str(ibis.to_sql(func(StoreTables.from_engine(eng)), dialect="duckdb"))
    finally:
        eng.close()
    assert not WINDOW_BY_WORK.search(sql), "a window partitioned by work_id does not spill in DuckDB"


def test_pattern_detects_the_old_formulation(shared_store):
    from junkan.indicators.base import work_countries

    eng = connect(shared_store)
    try:
        t = StoreTables.from_engine(eng)
        sql = str(ibis.to_sql(work_countries(t.authorship_countries.select("work_id", country="country_code")),
                              dialect="duckdb"))
    finally:
        eng.close()
    assert WINDOW_BY_WORK.search(sql)
