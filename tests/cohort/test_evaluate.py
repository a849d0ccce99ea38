"""Resolution, metrics, benchmarks and DiD on a simulated world; the planted-effect validation (slow)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import ibis
import pyarrow.parquet as pq
import pytest

from junkan.cohort import read_cohort, resolve, evaluate
from junkan.engine import connect
from junkan.indicators import run

HEADER = "person_id,orcid,openalex_author_id,start,end\n"


def _world(root: Path, works: int, seed: int) -> Path:
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    simulate(root, works=works, seed=seed, workers=2)
    ingest([root / "data"], root / "store")
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _world(tmp_path_factory.mktemp("cohort-world"), 30_000, 1)


def test_resolution_rules(tmp_path: Path) -> None:
    auth = ibis.memtable(
        {
            "author_id": ["A1", "A2", "A3", "A4", "A5"],
            "orcid": ["0000-0002-1825-0097", None, "0000-0002-1694-233X", "0000-0002-1694-233X", "0000-0001-5109-3700"],
        }
    )
    fake = SimpleNamespace(table=lambda name: auth, to_pyarrow=lambda e: e.to_pyarrow())
    p = tmp_path / "c.csv"
    p.write_text(
        HEADER
        + "P1,0000-0002-1825-0097,A1,2010,2011\n"   # id found (ORCID agrees)
        + "P2,,A2,2010,2011\n"                      # id found
        + "P3,0000-0001-5109-3700,A9,2010,2011\n"   # id unknown -> ORCID -> A5
        + "P4,0000-0002-1694-233X,,2010,2011\n"     # ORCID on A3 and A4 -> ambiguous
        + "P5,,A99,2010,2011\n"                     # missing
        + "P6,0000-0002-1694-233X,A3,2010,2011\n",  # id wins; other id reported
    )
    c = read_cohort(p)
    assert [x.line for x in c.problems] == [7]  # duplicate ORCID of P4
    r = {x["person_id"]: x for x in resolve(fake, c).to_pylist()}  # type: ignore[arg-type]
    assert [(k, r[k]["status"], r[k]["method"], r[k]["author_id"]) for k in sorted(r)] == [
        ("P1", "resolved", "openalex_id", "A1"),
        ("P2", "resolved", "openalex_id", "A2"),
        ("P3", "resolved", "orcid", "A5"),
        ("P4", "ambiguous", None, None),
        ("P5", "missing", None, None),
    ]
    assert "A3, A4" in r["P4"]["note"] and "A99" in r["P5"]["note"]


def test_evaluate_against_oracles(world: Path) -> None:
    eng = connect(world / "store", threads=2)
    c = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    assert c.ok
    opts = dict(level="field", by_type=False, window=4)
    r = evaluate(eng, c, country="JP", k=3, controls=3, bootstrap=200, seed=7, **opts)

    # resolution equals the planted truth (short ids)
    truth = pq.read_table(world / "truth" / "cohorts.parquet").to_pylist()
    want = {t["person_id"]: t["author_id"].rsplit("/", 1)[-1] for t in truth if t["program"] == "JP-OVERSEAS"}
    got = {m["person_id"]: m["author_id"] for m in r.members.to_pylist()}
    assert got == want and set(r.members.column("status").to_pylist()) == {"resolved"}

    # by_phase from a Python oracle over the indicator core's work_scores
    ws = {x["work_id"]: x for x in run(eng, "work_scores", pct=10, method="cwts", window=4, level="field").table.to_pylist()}
    census = max(x["year"] for x in ws.values())
    a = eng.to_pyarrow(eng.table("authorships").select("work_id", "author_id")).to_pylist()
    by_author: dict[str, set[str]] = {}
    for x in a:
        if x["author_id"] and x["work_id"] in ws:
            by_author.setdefault(x["author_id"], set()).add(x["work_id"])
    phase_works: dict[str, set[str]] = {"before": set(), "during": set(), "after": set()}
    for m in r.members.to_pylist():
        s, e = m["start"], m["end"]
        for w in by_author.get(m["author_id"], ()):
            y = ws[w]["year"]
            ph = "before" if s - 3 <= y < s else "during" if s <= y <= e else "after" if e < y <= e + 3 else None
            if ph:
                phase_works[ph].add(w)
    bp = {x["phase"]: x for x in r.by_phase.to_pylist()}
    assert list(r.by_phase.column("phase").to_pylist()) == ["before", "during", "after"]
    for ph, works in phase_works.items():
        cit = [ws[w] for w in works if ws[w]["in_set"] and ws[w]["year"] + 3 <= census]
        assert bp[ph]["n"] == len(works)
        assert bp[ph]["n_cit"] == len(cit)
        assert bp[ph]["top_share"] == pytest.approx(sum(x["top"] for x in cit) / len(cit), rel=1e-9)
        assert bp[ph]["mncs"] == pytest.approx(sum(x["ncs"] for x in cit) / len(cit), rel=1e-9)

    # national intl share = the indicator core's international_coauthorship for JP
    ic = {x["year"]: x for x in run(eng, "international_coauthorship", country="JP").table.to_pylist() if x["country"] == "JP"}
    nat = r.national.to_pylist()
    assert len(nat) > 10
    for x in nat:
        assert x["n_country"] == ic[x["year"]]["p"]
        assert x["n_intl"] == ic[x["year"]]["p_international"]

    # controls: never members, at most 3 per member, within the caliper, nearest first
    ctl = r.controls.to_pylist()
    members = set(got.values())
    assert ctl and not members & {x["author_id"] for x in ctl}
    per: dict[str, list[dict]] = {}
    for x in ctl:
        per.setdefault(x["member_key"], []).append(x)
    prof = {m["person_id"]: m for m in r.members.to_pylist()}
    for mk, xs in per.items():
        assert 1 <= len(xs) <= 3
        assert [x["rank"] for x in xs] == list(range(1, len(xs) + 1))
        assert [x["distance"] for x in xs] == sorted(x["distance"] for x in xs)
        assert all(abs(x["c_first"] - prof[mk]["first_year"]) <= 2 and x["c_first"] < x["start"] for x in xs)
        assert prof[mk]["controls"] == len(xs)

    # DiD: seeded, the interval brackets the estimate, differences are consistent
    r2 = evaluate(eng, c, country="JP", k=3, controls=3, bootstrap=200, seed=7, **opts)
    # DuckDB's parallel float sums may differ in the last bits between runs: compare to 1e-9
    for x, y in zip(r.did.to_pylist(), r2.did.to_pylist(), strict=True):
        assert x["metric"] == y["metric"] and x["members"] == y["members"]
        for key in ("did", "ci_low", "ci_high", "member_before", "member_after", "control_before", "control_after"):
            assert x[key] == pytest.approx(y[key], rel=1e-9), key
    for d in r.did.to_pylist():
        assert d["ci_low"] <= d["did"] <= d["ci_high"]
        assert d["did"] == pytest.approx(
            (d["member_after"] - d["member_before"]) - (d["control_after"] - d["control_before"])
        )
    r3 = evaluate(eng, c, country="JP", k=3, controls=3, bootstrap=200, seed=8, **opts)
    assert r3.did.column("did").to_pylist() == pytest.approx(r.did.column("did").to_pylist(), rel=1e-9)
    assert r3.did.column("ci_low").to_pylist() != pytest.approx(r.did.column("ci_low").to_pylist(), rel=1e-6)


@pytest.mark.slow
def test_planted_effects_are_recovered(tmp_path: Path) -> None:
    """150k-work world: JP-OVERSEAS's planted extra foreign co-author (p = 0.30, from the start to the end of the
    career) shows in the intl-share DiD with a 90 % CI above 0; JP-NULL's interval contains 0. (At 30k works
    the overseas interval contains 0: too few members for power.)"""
    w = _world(tmp_path / "w", 150_000, 0)
    eng = connect(w / "store", threads=2)
    res = {}
    for prog in ("JP-OVERSEAS", "JP-NULL"):
        r = evaluate(eng, read_cohort(w / "cohorts" / f"{prog}.csv"), country="JP", bootstrap=1000, seed=0)
        res[prog] = {d["metric"]: d for d in r.did.to_pylist()}
    pos, null = res["JP-OVERSEAS"]["intl_share"], res["JP-NULL"]["intl_share"]
    assert pos["ci_low"] > 0, pos
    assert null["ci_low"] <= 0 <= null["ci_high"], null
    assert pos["did"] > null["did"] + 0.05
