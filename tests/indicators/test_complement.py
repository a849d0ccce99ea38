"""CWTS complement rule for works without a primary topic (METHODS §0.6, ``complement=True``): hand-computed
cases, a Python oracle under hypothesis, and the effect on reference sets (``work_scores``)."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from indicator_world import work_row

from junkan.engine import connect
from junkan.indicators import run
from junkan.indicators._scope import complement_fields
from junkan.store import write_store

SCHEMA = pa.schema([("work_id", pa.string()), ("field_id", pa.int32()), ("subfield_id", pa.int32())])


def _fill(works: list[tuple[str, int | None, int | None]], refs: list[tuple[str, str]]) -> dict[str, tuple]:
    w = ibis.memtable(pa.table({"work_id": [x[0] for x in works], "field_id": [x[1] for x in works],
                                "subfield_id": [x[2] for x in works]}, schema=SCHEMA))
    r = ibis.memtable(pa.table({"work_id": [a for a, _ in refs], "cited_work_id": [b for _, b in refs]},
                               schema=pa.schema([("work_id", pa.string()), ("cited_work_id", pa.string())])))
    out = complement_fields(w, SimpleNamespace(works=w, references=r)).to_pyarrow().to_pylist()  # type: ignore[arg-type]
    return {x["work_id"]: (x["field_id"], x["subfield_id"]) for x in out}


def test_complement_by_hand() -> None:
    works = [("X", None, None), ("Y", None, None), ("Z", None, None), ("T", None, None), ("V", 11, 1101),
             ("R1", 23, 2301), ("R2", 23, 2302), ("R3", 27, 2701),
             ("C1", 27, 2705), ("C2", 27, 2705), ("C3", 11, 1101)]
    refs = [("X", "R1"), ("X", "R2"), ("X", "R3"), ("X", "X"),      # field 23 (2 of 3); subfields tie → 2701
            ("C1", "Y"), ("C2", "Y"), ("C3", "Y"),                  # Y cites nothing: its citers → 27 / 2705
            ("Z", "W_outside"),                                     # nothing known: stays null
            ("T", "Y"), ("T", "R3"),                                # Y's own null does not count: 27 / 2701
            ("V", "R1")]                                            # V has a topic: unchanged
    got = _fill(works, refs)
    assert got["X"] == (23, 2701)
    assert got["Y"] == (27, 2705)
    assert got["Z"] == (None, None)
    assert got["T"] == (27, 2701)
    assert got["V"] == (11, 1101) and got["R1"] == (23, 2301)


def _oracle(works, refs):
    known = {w: (f, s) for w, f, s in works}
    out = {}
    for w, f, s in works:
        vals = []
        for i, v in enumerate((f, s)):
            if v is not None:
                vals.append(v)
                continue
            cited = [known[b][i] for a, b in refs if a == w and b != w and b in known and known[b][i] is not None]
            citing = [known[a][i] for a, b in refs if b == w and a != w and a in known and known[a][i] is not None]
            pool = cited or citing
            if not pool:
                vals.append(None)
                continue
            c = Counter(pool)
            top = max(c.values())
            vals.append(max(k for k, n in c.items() if n == top))
        out[w] = tuple(vals)
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(st.one_of(st.none(), st.sampled_from([11, 23, 27])), min_size=2, max_size=9),
    subs=st.lists(st.one_of(st.none(), st.sampled_from([1, 2, 3])), min_size=9, max_size=9),
    edges=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=25, unique=True),
)
def test_complement_matches_oracle(fields, subs, edges) -> None:
    works = [(f"W{i}", f, None if f is None or subs[i] is None else f * 100 + subs[i]) for i, f in enumerate(fields)]
    refs = [(f"W{a}", f"W{b}") for a, b in edges]  # W9 may be outside the store
    got = _fill(works, refs)
    assert got == _oracle(works, refs)
    # invariant: works with a topic keep it
    assert all(got[w][0] == f for w, f, _ in works if f is not None)


def test_complement_puts_works_into_reference_sets(tmp_path) -> None:
    # N has no primary topic and cites two field-27 works: with the rule it joins the (27, 2020) reference set
    ws = [work_row("N", field_id=None, subfield_id=None, domain_id=None)]
    ws += [work_row(f"F{i}", field_id=27, subfield_id=2701) for i in range(3)]
    refs = [dict(work_id="N", cited_work_id="F0"), dict(work_id="N", cited_work_id="F1"),
            dict(work_id="F2", cited_work_id="N"), dict(work_id="F2", cited_work_id="F0")]
    auth = [dict(work_id=w["work_id"], author_position=0, author_id=f"a{w['work_id']}") for w in ws]
    write_store(tmp_path, dict(works=ws, authorships=auth, references=refs))
    eng = connect(tmp_path, threads=1)
    off = {r["work_id"]: r for r in run(eng, "work_scores", profile="all", complement=False).table.to_pylist()}
    on_ = run(eng, "work_scores", profile="all", complement=True)
    on = {r["work_id"]: r for r in on_.table.to_pylist()}
    assert off["N"]["in_set"] is False and on["N"]["in_set"] is True
    # set (27, 2020): F0 2 citations (N, F2), F1 1 (N), F2 0, N 1 (F2): mean 1 → NCS of N = 1, of F0 = 2
    assert on["N"]["ncs"] == pytest.approx(1.0) and on["F0"]["ncs"] == pytest.approx(2.0)
    assert off["F0"]["ncs"] == pytest.approx(2 / 1)  # without N: 2, 1, 0 → mean 1
    assert on_.provenance["reference_sets"]["complement"] is True
