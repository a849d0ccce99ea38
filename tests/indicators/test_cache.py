"""The per-engine cache of shared intermediates (Engine.cached, StoreTables.cached): the affiliation units, the
per-(work, country) table and the document set with citations are computed once per engine and shared by the
indicators whose options give the same expression; results are those of an engine without the cache."""

from __future__ import annotations

from junkan.engine import Engine, connect
from junkan.indicators import REGISTRY, run
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables
from junkan.testing import assert_tables_equal

SUITE = {"papers": dict(counting="fractional"), "top_papers": dict(method="cwts"),
         "international_coauthorship": {}, "impact": {}}


def test_cached_results_equal_uncached_and_are_shared(shared_store):
    eng, plain = connect(shared_store, threads=1), connect(shared_store, threads=1)
    plain.cache_intermediates = False
    try:
        sizes = {}
        for name, opts in SUITE.items():
            got = run(eng, name, **opts).table
            assert got.num_rows > 0
            if name in ("papers", "international_coauthorship"):  # top_papers, impact: oracles in test_parity
                assert_tables_equal(got, run(plain, name, **opts).table, keys=list(REGISTRY[name].keys))
            sizes[name] = len(eng._cache)
        assert not plain._cache
        # papers: institution units, pseudo-units, per-(work, country) table; international reuses all three
        assert sizes["papers"] == 3
        assert sizes["international_coauthorship"] == sizes["top_papers"]
        # top_papers adds the document set with citations, which impact (subfield level) reuses
        assert sizes["top_papers"] == 4 and sizes["impact"] == 4
        # other options, other tables
        run(eng, "papers", counting="fractional", country_map="oecd")
        assert len(eng._cache) > 4
    finally:
        eng.close()
        plain.close()
    assert not eng._cache


def test_equal_expressions_built_twice_hit_one_table(shared_store):
    eng = connect(shared_store, threads=1)
    try:
        t1, t2 = StoreTables.from_engine(eng), StoreTables.from_engine(eng)
        sc = Scope(counting="fractional")
        u1, u2 = sc.units(t1, sc.works(t1)), sc.units(t2, sc.works(t2))
        assert u1.equals(u2)
        n = len(eng._cache)
        assert u1.count().to_pyarrow().as_py() == u2.count().to_pyarrow().as_py() > 0
        assert len(eng._cache) == n
        other = Scope(years="2015-2016")
        assert not other.units(t1, other.works(t1)).equals(u1)
    finally:
        eng.close()


def test_no_cache_for_hand_built_tables_or_when_switched_off(shared_store):
    eng = connect(shared_store, threads=1)
    try:
        t = StoreTables.from_engine(eng)
        w = t.works.filter(t.works.publication_year > 2010)
        hand = StoreTables(**{name: getattr(t, name) for name in ("works", "authorships", "authorship_institutions",
                                                                   "authorship_countries", "institutions", "sources",
                                                                   "references")})
        assert hand.cached(w) is w
        off = Engine(store=eng.store, backend="duckdb", con=eng.con, cache_intermediates=False)
        assert off.cached(w) is w and not off._cache
        assert t.cached(w) is not w and len(eng._cache) == 1
    finally:
        eng.close()


def test_least_recently_used_entries_are_dropped_beyond_max_cached(shared_store):
    eng = connect(shared_store, threads=1)
    eng.max_cached = 2
    try:
        w = eng.table("works")
        a, b, c = (eng.cached(w.filter(w.publication_year > y)) for y in (2010, 2012, 2014))
        assert len(eng._cache) == 2
        assert c.count().to_pyarrow().as_py() >= 0 and b.count().to_pyarrow().as_py() >= 0
        assert eng.cached(w.filter(w.publication_year > 2012)) is b  # a hit moves it to the end
        eng.cached(w.filter(w.publication_year > 2016))
        assert eng.cached(w.filter(w.publication_year > 2012)) is b  # c was the least recently used
        assert a.op() not in [v.op() for v in eng._cache.values()]
    finally:
        eng.close()
