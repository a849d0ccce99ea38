"""The work-level steps of the co-authorship indicators compile to spillable DuckDB operators (docs/engine.md,
"Larger than memory"): no window function partitioned by work, which DuckDB cannot spill under memory_limit."""

from __future__ import annotations

import re

import ibis
import pytest

from junkan.engine import connect
from junkan.indicators import REGISTRY
from junkan.indicators.base import COUNTING_METHODS, StoreTables, affiliation_units, counting_weights, work_countries
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
    # the window count base.work_countries used before it became a GROUP BY joined back
    eng = connect(shared_store)
    try:
        wc = StoreTables.from_engine(eng).authorship_countries.select("work_id", country="country_code").distinct()
        old = wc.mutate(n_countries=wc.country.count().over(ibis.window(group_by="work_id")))
        sql = str(ibis.to_sql(old, dialect="duckdb"))
    finally:
        eng.close()
    assert WINDOW_BY_WORK.search(sql)


@pytest.mark.parametrize("counting", COUNTING_METHODS)
def test_counting_weights_and_work_countries_have_no_window_by_work(shared_store, counting):
    eng = connect(shared_store)
    try:
        t = StoreTables.from_engine(eng)
        eng.cache_intermediates = False  # compile the whole expression, not a temporary table
        units = affiliation_units(t, country_map={})
        for expr in (counting_weights(t, units, counting=counting), work_countries(units)):
            assert not WINDOW_BY_WORK.search(str(ibis.to_sql(expr, dialect="duckdb"))), counting
    finally:
        eng.close()


@pytest.mark.parametrize(("name", "options"), [("papers", dict(counting="fractional")), ("papers", {}),
                                               ("top_papers", {}), ("impact", {})])
def test_bench_suite_has_no_window_by_work(shared_store, name, options):
    eng = connect(shared_store)
    eng.cache_intermediates = False
    try:
        expr = REGISTRY[name].func(StoreTables.from_engine(eng), **options)
        assert not WINDOW_BY_WORK.search(str(ibis.to_sql(expr, dialect="duckdb")))
    finally:
        eng.close()
