"""Hypothesis invariants on random worlds (DuckDB only: each example is a fresh store and a few queries)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indicator_world import make_world

from junkan.engine import connect
from junkan.indicators import run
from junkan.store import write_store

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
worlds = st.tuples(st.integers(0, 2**31 - 1), st.integers(5, 150), st.integers(0, 6))


def engine_for(world_args):
    seed, n, span = world_args
    path = tempfile.mkdtemp(prefix="junkan-prop-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)  # one store per hypothesis example: never leak them
    write_store(path, make_world(seed, n_works=n, years=(2015, 2015 + span)))
    return connect(path, backend="duckdb", threads=1)


@SETTINGS
@given(worlds, st.sampled_from(["country", "institution", "author"]), st.sampled_from(["nistep", "cwts", "all"]))
def test_fractional_credits_sum_to_one_per_work(world_args, counting, profile):
    eng = engine_for(world_args)
    rows = run(eng, "work_credits", counting=counting, profile=profile).table.to_pylist()
    total = defaultdict(float)
    for r in rows:
        assert 0 < r["weight"] <= 1
        total[r["work_id"]] += r["weight"]
    assert all(v == pytest.approx(1.0, rel=1e-12) for v in total.values())
    literal = run(eng, "work_credits", counting="author_literal", profile=profile).table.to_pylist()
    lit = defaultdict(float)
    for r in literal:
        lit[r["work_id"]] += r["weight"]
    assert set(lit) == set(total)
    assert all(v <= 1 + 1e-12 for v in lit.values())


@SETTINGS
@given(worlds, st.sampled_from(["country", "institution", "author"]))
def test_whole_counts_dominate_fractional_and_fractional_adds_up(world_args, counting):
    eng = engine_for(world_args)
    whole = {(r["country"], r["year"]): r for r in run(eng, "papers", counting="whole").table.to_pylist()}
    frac = {(r["country"], r["year"]): r for r in run(eng, "papers", counting=counting).table.to_pylist()}
    assert whole.keys() == frac.keys()
    for k, r in frac.items():
        assert whole[k]["p"] >= r["p"] - 1e-12
    per_year = defaultdict(float)
    for (_, y), r in frac.items():
        per_year[y] += r["p"]
        assert r["n_assignable"] <= r["n_works"]
    for (_, y), r in frac.items():
        assert per_year[y] == pytest.approx(r["n_assignable"], rel=1e-12)


@SETTINGS
@given(
    worlds,
    st.sampled_from(["10", "1", "5", "50", "0.5", "12.5", "100"]),
    st.sampled_from(["cwts", "nistep", "nistep_exclusive"]),
    st.sampled_from(["field", "subfield"]),
)
def test_top_shares_sum_to_x_percent_of_every_reference_set(world_args, pct, method, level):
    eng = engine_for(world_args)
    rows = run(eng, "work_scores", pct=pct, method=method, level=level).table.to_pylist()
    sets = defaultdict(list)
    for r in rows:
        if r["in_set"]:
            sets[(r[f"{level}_id"], r["year"])].append(r)
        else:
            assert r["top"] is None and r["ncs"] is None
    x = Fraction(pct) / 100
    for members in sets.values():
        total = sum(r["top"] for r in members)
        assert total == pytest.approx(float(x * len(members)), rel=1e-9, abs=1e-12)
        # more citations never means less credit (CWTS, NISTEP inclusive and exclusive alike)
        ordered = sorted(members, key=lambda r: r["citations"])
        assert all(a["top"] <= b["top"] + 1e-12 for a, b in zip(ordered, ordered[1:], strict=False)
                   if a["citations"] < b["citations"] and method == "cwts")
        if method == "cwts":
            assert all(0 <= r["top"] <= 1 for r in members)


@SETTINGS
@given(worlds, st.sampled_from(["field", "subfield"]), st.booleans(), st.sampled_from([None, 2, 5]))
def test_world_mncs_is_one(world_args, level, self_citations, window):
    eng = engine_for(world_args)
    t = run(eng, "impact", level=level, self_citations=self_citations, window=window).table.to_pylist()
    world = [r for r in t if r["country"] == "WLD"]
    for r in world:
        if r["p_norm"] > 0:
            assert r["mncs"] == pytest.approx(1.0, rel=1e-9)
    # every country's p_norm is within its p, and MCS = TCS / P
    for r in t:
        assert r["p_norm"] <= r["p"] + 1e-12
        assert r["mcs"] == pytest.approx(r["tcs"] / r["p"], rel=1e-12)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds)
def test_rankings_are_competition_ranks_of_the_moving_average(world_args):
    eng = engine_for(world_args)
    t = run(eng, "rankings", countings="whole,country", lags="1").table.to_pylist()
    groups = defaultdict(list)
    for r in t:
        groups[(r["counting"], r["indicator"], r["year"])].append(r)
    for members in groups.values():
        for r in members:
            better = sum(1 for o in members if round(o["value"], 9) > round(r["value"], 9))
            assert r["rank"] == better + 1
