"""Every indicator on one shared random store, on DuckDB and PySpark.

DuckDB results are checked against a plain-Python oracle (``indicator_world``) where one exists; PySpark results
are checked against the same oracle and against DuckDB's result with ``assert_tables_equal`` (integers exactly,
floats within 1e-9).
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

import pyarrow as pa
import pytest
from indicator_world import MAP_CWTS, citations, credits, nistep_docset, top_shares

from junkan.engine import connect
from junkan.indicators import REGISTRY, run
from junkan.testing import assert_tables_equal


def _table(rows: list[dict], like: pa.Table) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=like.schema)


def _docset(world, core=False):
    ws = nistep_docset(world)
    return [w for w in ws if w["source_id"] == "S1"] if core else ws


def _sets(ws, cit, level="field_id"):
    sets = defaultdict(list)
    for w in ws:
        if w[level] is not None:
            sets[(w[level], w["publication_year"])].append((w["work_id"], cit[w["work_id"]]))
    return sets


def _ncs(sets):
    out = {}
    for members in sets.values():
        mu = Fraction(sum(c for _, c in members), len(members))
        for wid, c in members:
            out[wid] = 1.0 if mu == 0 else float(c / mu)
    return out


def oracle_work_credits(world, counting):
    ws = {w["work_id"]: w for w in _docset(world)}
    cr = credits(world, counting, MAP_CWTS)
    return [dict(work_id=wid, year=ws[wid]["publication_year"], country=c, weight=v)
            for wid, d in cr.items() if wid in ws for c, v in d.items()]


def oracle_papers(world, counting, core):
    ws = _docset(world, core)
    cr = credits(world, counting, MAP_CWTS)
    n_works, n_ass, p = defaultdict(int), defaultdict(int), defaultdict(float)
    for w in ws:
        y = w["publication_year"]
        n_works[y] += 1
        if w["work_id"] in cr:
            n_ass[y] += 1
            for c, v in cr[w["work_id"]].items():
                p[(c, y)] += v
    return [dict(country=c, year=y, p=v, n_works=n_works[y], n_assignable=n_ass[y], share=v / n_ass[y])
            for (c, y), v in p.items()]


def oracle_work_scores(world, method, window, self_citations):
    ws = _docset(world)
    cit = citations(world, ws, window=window, self_citations=self_citations)
    sets = _sets(ws, cit)
    top = top_shares(sets, Fraction(10), method)
    ncs = _ncs(sets)
    return [dict(work_id=w["work_id"], year=w["publication_year"], field_id=w["field_id"],
                 subfield_id=w["subfield_id"], type=w["type"], citations=cit[w["work_id"]],
                 in_set=w["field_id"] is not None, ncs=ncs.get(w["work_id"]), top=top.get(w["work_id"]))
            for w in ws]


def oracle_top_papers(world, pct, method, counting, level):
    ws = _docset(world)
    cit = citations(world, ws)
    top = top_shares(_sets(ws, cit, level), Fraction(pct), method)
    cr = credits(world, counting, MAP_CWTS)
    acc = defaultdict(lambda: [0.0, 0.0, 0.0])
    for w in ws:
        for c, v in cr.get(w["work_id"], {}).items():
            a = acc[(c, w["publication_year"])]
            a[0] += v
            if w["work_id"] in top:
                a[1] += v
                a[2] += v * top[w["work_id"]]
    return [dict(country=c, year=y, p=a[0], p_norm=a[1], p_top=a[2], pp_top=a[2] / a[1] if a[1] > 0 else None)
            for (c, y), a in acc.items()]


def oracle_impact(world, counting):
    ws = _docset(world)
    cit = citations(world, ws)
    ncs = _ncs(_sets(ws, cit, "subfield_id"))
    cr = credits(world, counting, MAP_CWTS)
    acc = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, []])
    for w in ws:
        wid = w["work_id"]
        targets = [(c, v) for c, v in cr.get(wid, {}).items()] + [("WLD", 1.0)]
        for c, v in targets:
            a = acc[(c, w["publication_year"])]
            a[0] += v
            a[1] += v if wid in ncs else 0.0
            a[2] += v * cit[wid]
            a[3] += v * ncs.get(wid, 0.0)
            a[4].append(cit[wid])
    out = []
    for (c, y), (p, pn, tcs, tncs, cs) in acc.items():
        cs = sorted(cs)
        m = len(cs)
        med = float(cs[m // 2]) if m % 2 else (cs[m // 2 - 1] + cs[m // 2]) / 2
        out.append(dict(country=c, year=y, p=p, p_norm=pn, tcs=tcs, tncs=tncs, median_citations=med,
                        mcs=tcs / p, mncs=tncs / pn if pn > 0 else None))
    return out


def oracle_international(world):
    ws = _docset(world)
    cr = credits(world, "whole", {})
    acc = defaultdict(lambda: [0, 0, 0, 0])
    for w in ws:
        cs = cr.get(w["work_id"])
        if not cs:
            continue
        k = len(cs)
        for c in [*cs, "WLD"]:
            a = acc[(c, w["publication_year"])]
            a[0] += 1
            a[1] += k >= 2
            a[2] += k == 2
            a[3] += k >= 3
    return [dict(country=c, year=y, p=a[0], p_international=a[1], p_bilateral=a[2], p_multilateral=a[3],
                 share=a[1] / a[0]) for (c, y), a in acc.items()]


def oracle_matrix(world):
    ws = _docset(world)
    cr = credits(world, "whole", MAP_CWTS)
    n_ab, p = defaultdict(int), defaultdict(int)
    for w in ws:
        cs = sorted(cr.get(w["work_id"], {}))
        y = w["publication_year"]
        for a in cs:
            p[(y, a)] += 1
            for b in cs:
                if a != b:
                    n_ab[(y, a, b)] += 1
    la, ly = defaultdict(int), defaultdict(int)
    for (y, a, _), n in n_ab.items():
        la[(y, a)] += n
        ly[y] += n
    return [dict(year=y, country_a=a, country_b=b, n_ab=n, p_a=p[(y, a)], p_b=p[(y, b)],
                 salton=n / math.sqrt(p[(y, a)] * p[(y, b)]), affinity=n * ly[y] / (la[(y, a)] * la[(y, b)]))
            for (y, a, b), n in n_ab.items()]


CASES = [
    ("work_credits", dict(counting="author"), lambda w: oracle_work_credits(w, "author")),
    ("work_credits", dict(counting="institution"), lambda w: oracle_work_credits(w, "institution")),
    ("papers", dict(counting="fractional", core="openalex"), lambda w: oracle_papers(w, "institution", True)),
    ("work_scores", dict(method="nistep", window=5, self_citations=False, complement=False),
     lambda w: oracle_work_scores(w, "nistep", 5, False)),
    ("top_papers", dict(pct=1, method="cwts", counting="country", level="subfield", complement=False),
     lambda w: oracle_top_papers(w, 1, "cwts", "country", "subfield_id")),
    ("impact", dict(counting="author_literal", complement=False), lambda w: oracle_impact(w, "author_literal")),
    # the complement rule (the default, METHODS §0.6) against DuckDB; its hand cases are in test_complement.py
    ("top_papers", dict(pct=10, method="nistep"), None),
    ("international_coauthorship", dict(country_map="oecd"), oracle_international),
    ("coauthorship_matrix", {}, oracle_matrix),
    ("domestic_international", dict(split_international=True), None),
    ("partners", dict(focus="JP", years="2012-2023"), None),
    ("partner_fields", dict(focus="US", years="2008-2023"), None),
    ("rankings", dict(lags="5,10"), None),
    ("venue_papers", dict(name_pattern="%aaai%", counting="author"), None),
    ("papers", dict(profile="cwts", counting="author_literal"), None),
]


def test_every_indicator_has_a_parity_case():
    assert {name for name, _, _ in CASES} == set(REGISTRY)


_DUCK: dict[tuple, pa.Table] = {}


def _duckdb_result(store, name, options):
    key = (name, repr(sorted(options.items())))
    if key not in _DUCK:
        eng = connect(store, backend="duckdb", threads=2)
        _DUCK[key] = run(eng, name, **options).table
    return _DUCK[key]


@pytest.mark.parametrize(("name", "options", "oracle"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_parity(backend, compute, shared_store, shared_world, name, options, oracle):
    got = compute(shared_store, name, **options).table
    keys = list(REGISTRY[name].keys)
    assert got.num_rows > 0, "the shared store should exercise every indicator"
    if oracle is not None:
        assert_tables_equal(got, _table(oracle(shared_world), got), keys=keys)
    if backend == "pyspark":
        assert_tables_equal(got, _duckdb_result(shared_store, name, options), keys=keys)
    elif oracle is None:
        pytest.skip("DuckDB is the reference engine for this case; checked by the pyspark run and by the "
                    "property tests")
