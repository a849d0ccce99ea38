"""The Ibis code against a plain-Python oracle (random world), populations, and DuckDB ↔ PySpark parity."""

from __future__ import annotations

import pytest
from mobility_world import tables
from oracle import classes as o_classes
from oracle import flows as o_flows
from oracle import main_economies

from junkan.engine import connect
from junkan.indicators.base import StoreTables
from junkan.mobility import classes, flows, rates, run, select_authors, select_works, trajectories
from junkan.store import write_store
from junkan.testing import assert_tables_equal


@pytest.fixture(scope="module")
def duck(random_store):
    e = connect(random_store, threads=2)
    yield e
    e.close()


def _country_of(world):
    t = tables(world)
    return {i["institution_id"]: i["country_code"] for i in t["institutions"]}


def test_trajectories_classes_flows_match_oracle(duck, random_world):
    t = StoreTables.from_engine(duck)
    traj = main_economies(random_world, country_of=_country_of(random_world))
    tr = trajectories(t)
    got = {(r["author_id"], r["year"]): r["country"] for r in duck.to_pyarrow(tr).to_pylist()}
    want = {(a, y): c for a, ys in traj.items() for y, c in ys.items()}
    assert got == want
    assert sum(1 for r in duck.to_pyarrow(tr.filter(tr.tied)).to_pylist()) > 0  # ties occur in this world
    cls = {(r["author_id"], r["year"], r["country"], r["class"], r["partner"])
           for r in duck.to_pyarrow(classes(tr)).to_pylist()}
    assert cls == o_classes(traj)
    for period in ((2000, 2013), (2004, 2009)):
        f = {(r["origin"], r["destination"]): r["flow"] for r in duck.to_pyarrow(flows(tr, period=period)).to_pylist()}
        assert f == o_flows(traj, period) and f
    # rates are sums of the classes
    r = duck.to_pyarrow(rates(classes(tr), trajectories=tr)).to_pylist()
    assert sum(x["outflows"] for x in r) == sum(1 for c in cls if c[3] == "outflow")
    assert all(x["active"] == x["stayers"] + x["new_inflows"] + x["returnees"] for x in r)
    # padded population: an author counts once in every year from first to last observation
    n_padded = sum(max(ys) - min(ys) + 1 for ys in traj.values())
    assert sum(x["padded_population"] for x in r) == n_padded


def test_populations(duck, random_world, tmp_path):
    t = StoreTables.from_engine(duck)
    # a works population (field 27) equals computing on a store with only those works
    sub = [p for p in random_world if p["field"] == 27]
    write_store(tmp_path / "s27", tables(sub))
    e27 = connect(tmp_path / "s27", threads=2)
    a = duck.to_pyarrow(classes(trajectories(t, works=select_works(t, field=27))))
    b = e27.to_pyarrow(classes(trajectories(StoreTables.from_engine(e27))))
    assert_tables_equal(a, b, keys=["author_id", "year", "country", "class"])
    assert a.num_rows < duck.to_pyarrow(classes(trajectories(t))).num_rows
    # an author population keeps their whole careers: the same rows as filtering the full result
    pop = select_authors(t, institutions=["IJP0"], orcids=["0000-0000-0000-0001"])
    ids = {r["author_id"] for r in duck.to_pyarrow(pop).to_pylist()}
    assert len(ids) >= 3
    c_all = [r for r in duck.to_pyarrow(classes(trajectories(t))).to_pylist() if r["author_id"] in ids]
    c_pop = duck.to_pyarrow(classes(trajectories(t, authors=pop))).to_pylist()
    key = lambda r: (r["author_id"], r["year"], r["country"], r["class"])  # noqa: E731
    assert sorted(c_pop, key=key) == sorted(c_all, key=key)
    # ORCID-only and robust variants drop rows, never add
    n = duck.to_pyarrow(trajectories(t)).num_rows
    assert duck.to_pyarrow(trajectories(t, orcid_only=True)).num_rows < n
    assert duck.to_pyarrow(trajectories(t, robust=True)).num_rows < n
    # affiliation history fills years without papers (R1 in 1990 -> US)
    tr_aff = trajectories(t, source="works+affiliations", affiliations=duck.table("author_affiliations"),
                          lookback_start=1980)
    got = {(r["author_id"], r["year"]): r["country"] for r in duck.to_pyarrow(tr_aff).to_pylist()}
    assert got[("R1", 1990)] == "US" and got[("R0", 1999)] == "JP"


@pytest.mark.spark
def test_engine_parity(spark, random_store, duck):
    sp = connect(random_store, backend="pyspark", spark=spark)
    cases = {
        "rates": ({}, ["country", "year"]),
        "flows": ({"period": "2000-2013"}, ["origin", "destination"]),
        "impact": ({"periods": "2000-2006,2007-2013"}, ["country", "period", "class"]),
    }
    for name, (opts, keys) in cases.items():
        a = run(duck, name, **opts).table
        b = run(sp, name, **opts).table
        assert a.num_rows > 0, name
        assert_tables_equal(a, b, keys=keys)
