"""Resolution, metrics, benchmarks and DiD on a simulated world; the planted-effect validation (slow)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import ibis
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.cohort import read_cohort, resolve, evaluate
from junkan.engine import connect
from junkan.indicators import run

HEADER = "person_id,orcid,openalex_author_id,start,end\n"


def _phase(y: int, s: int, e: int, k: int = 3) -> str | None:
    """The oracle's phase of a paper of year ``y`` for a fellowship from ``s`` to ``e``."""
    return "before" if s - k <= y < s else "during" if s <= y <= e else "after" if e < y <= e + k else None


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
            ph = _phase(y, s, e)
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
        # paper-bootstrap 95 % intervals (METHODS §7.2 step 6) bracket the shares
        for m in ("top_share", "mncs", "intl_share", "intl_share_others"):
            assert bp[ph][f"{m}_low"] <= bp[ph][m] <= bp[ph][f"{m}_high"], (ph, m)

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
    # the paper bootstrap of the rows is seeded on papers in a fixed order: the same intervals every run
    assert r2.by_phase.column("top_share_low").to_pylist() == r.by_phase.column("top_share_low").to_pylist()
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


def test_balanced_panel_keeps_only_researchers_active_before_and_after(world: Path) -> None:
    """``panel="balanced"``: controls are matched among researchers with papers in both the member's before and
    after periods, and only members with papers in both (and ≥ 1 control) enter the DiD; checked against a Python
    oracle over the store. ``"all"`` does keep inactive controls and members, so the filter is not vacuous."""
    from junkan.errors import ConfigError

    eng = connect(world / "store", threads=2)
    c = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    # one-year periods, so that some members too lack papers before or after
    opts = dict(level="field", by_type=False, window=4, bootstrap=0, seed=1, k=1)
    bal = evaluate(eng, c, panel="balanced", **opts)
    base = evaluate(eng, c, **opts)
    ws = {x["work_id"] for x in run(eng, "work_scores", pct=10, method="cwts", window=4, level="field").table.to_pylist()}
    years = {x["work_id"]: x["publication_year"]
             for x in eng.to_pyarrow(eng.table("works").select("work_id", "publication_year")).to_pylist()}
    by_author: dict[str, set[int]] = {}
    for x in eng.to_pyarrow(eng.table("authorships").select("work_id", "author_id")).to_pylist():
        if x["author_id"] and x["work_id"] in ws:
            by_author.setdefault(x["author_id"], set()).add(years[x["work_id"]])

    def active(author: str, s: int, e: int) -> bool:
        ys = by_author.get(author, set())
        return s - 1 in ys and e + 1 in ys

    assert not all(active(x["author_id"], x["start"], x["end"]) for x in base.controls.to_pylist())
    ctl = bal.controls.to_pylist()
    assert ctl and all(active(x["author_id"], x["start"], x["end"]) for x in ctl)
    n_ctl = {m: sum(1 for x in ctl if x["member_key"] == m) for m in {x["member_key"] for x in ctl}}
    members = bal.members.to_pylist()
    for m in members:
        assert m["controls"] == n_ctl.get(m["person_id"], 0)
        assert m["in_did"] == (m["controls"] > 0 and active(m["author_id"], m["start"], m["end"])), m
    n_in = sum(m["in_did"] for m in members)
    assert any(m["controls"] > 0 and not m["in_did"] for m in members)
    assert 0 < n_in < sum(m["in_did"] for m in base.members.to_pylist())
    assert set(bal.did.column("members").to_pylist()) == {n_in} and bal.provenance["members_in_did"] == n_in
    assert bal.provenance["panel"] == "balanced" and base.provenance["panel"] == "all"
    with pytest.raises(ConfigError, match="panel"):
        evaluate(eng, c, panel="complete", **opts)


def _units_with_authors(eng) -> tuple[list[tuple[str, str | None, str | None]], dict[str, int]]:
    """(work, author id or None, country) of every affiliation unit of the default document set; work → year."""
    from junkan.indicators._scope import Scope
    from junkan.indicators.base import StoreTables

    t, sc = StoreTables.from_engine(eng), Scope()
    docset = sc.works(t)
    units = eng.to_pyarrow(sc.units(t, docset).select("work_id", "author_position", "country")).to_pylist()
    auth = {(x["work_id"], x["author_position"]): x["author_id"]
            for x in eng.to_pyarrow(t.authorships.select("work_id", "author_position", "author_id")).to_pylist()}
    year = {x["work_id"]: x["publication_year"]
            for x in eng.to_pyarrow(docset.select("work_id", "publication_year")).to_pylist()}
    return [(u["work_id"], auth.get((u["work_id"], u["author_position"])), u["country"]) for u in units], year


def test_intl_share_with_the_members_addresses_ignored(world: Path) -> None:
    """METHODS §7.3 variant: ``intl_share_others`` counts a cohort paper as international when the affiliation
    units of its authors who are not members name ≥ 2 countries (over papers where they name ≥ 1); oracle in
    Python per phase over the deduplicated paper sets. During the stays abroad it is below ``intl_share``."""
    eng = connect(world / "store", threads=2)
    c = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    r = evaluate(eng, c, bootstrap=0, seed=1)
    units, year = _units_with_authors(eng)
    members = {m["author_id"] for m in r.members.to_pylist() if m["status"] == "resolved"}
    others: dict[str, set[str]] = {}
    by_author: dict[str, set[str]] = {}
    for w, a, cc in units:
        if a not in members and cc:
            others.setdefault(w, set()).add(cc)
    for x in eng.to_pyarrow(eng.table("authorships").select("work_id", "author_id")).to_pylist():
        if x["author_id"] in members and x["work_id"] in year:
            by_author.setdefault(x["author_id"], set()).add(x["work_id"])
    phase_works: dict[str, set[str]] = {"before": set(), "during": set(), "after": set()}
    for m in r.members.to_pylist():
        s, e = m["start"], m["end"]
        for w in by_author.get(m["author_id"], ()):
            y = year[w]
            ph = _phase(y, s, e)
            if ph:
                phase_works[ph].add(w)
    bp = {x["phase"]: x for x in r.by_phase.to_pylist()}
    for ph, works in phase_works.items():
        known = [w for w in works if others.get(w)]
        intl = [w for w in known if len(others[w]) >= 2]
        assert (bp[ph]["n_country_others"], bp[ph]["n_intl_others"]) == (len(known), len(intl)), ph
        assert bp[ph]["intl_share_others"] == pytest.approx(len(intl) / len(known), rel=1e-12)
    assert bp["during"]["intl_share_others"] < bp["during"]["intl_share"]


def test_mobility_status_by_phase(world: Path) -> None:
    """Issue 7 item 3, mobility status: a member's location in a phase is the modal country of their own
    affiliation units on their papers of that phase (ties → first code); ``members_abroad`` counts located
    members located outside JP. Python oracle; JP-OVERSEAS's fellows are abroad during the stay."""
    eng = connect(world / "store", threads=2)
    c = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    r = evaluate(eng, c, bootstrap=0, seed=1)
    units, year = _units_with_authors(eng)
    members = {m["author_id"]: m for m in r.members.to_pylist() if m["status"] == "resolved"}
    where: dict[tuple[str, str], dict[str, set[str]]] = {}
    for w, a, cc in units:
        if a in members and cc:
            s, e, y = members[a]["start"], members[a]["end"], year[w]
            ph = _phase(y, s, e)
            if ph:
                where.setdefault((a, ph), {}).setdefault(cc, set()).add(w)
    bp = {x["phase"]: x for x in r.by_phase.to_pylist()}
    for ph in ("before", "during", "after"):
        loc = [min(v, key=lambda cc: (-len(v[cc]), cc)) for (a, q), v in where.items() if q == ph]
        abroad = sum(x != "JP" for x in loc)
        assert (bp[ph]["members_located"], bp[ph]["members_abroad"]) == (len(loc), abroad), ph
        assert bp[ph]["abroad_share"] == pytest.approx(abroad / len(loc), rel=1e-12)
    assert bp["during"]["abroad_share"] > 0.5 > bp["before"]["abroad_share"]


def test_match_country_base_requires_the_same_country_before_the_start(world: Path) -> None:
    """``match_country="base"``: a control's own affiliations on its latest papers before the member's start
    (modal country in that year, ties → first code) name the member's country; oracle in Python over the
    affiliation units. With the default (``home``) some controls are based elsewhere, so the rule is not vacuous."""
    from junkan.errors import ConfigError

    eng = connect(world / "store", threads=2)
    c = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    base = evaluate(eng, c, match_country="base", bootstrap=0, seed=1)
    home = evaluate(eng, c, bootstrap=0, seed=1)
    units, year = _units_with_authors(eng)
    own: dict[str, dict[int, dict[str, set[str]]]] = {}
    for w, a, cc in units:
        if a and cc:
            own.setdefault(a, {}).setdefault(year[w], {}).setdefault(cc, set()).add(w)

    def based(author: str, start: int) -> str | None:
        ys = [y for y in own.get(author, {}) if y < start]
        if not ys:
            return None
        counts = own[author][max(ys)]
        return min(counts, key=lambda cc: (-len(counts[cc]), cc))

    mem = {m["person_id"]: m for m in base.members.to_pylist()}
    assert all(m["base"] == based(m["author_id"], m["start"]) for m in mem.values())
    ctl = base.controls.to_pylist()
    assert ctl and all(based(x["author_id"], x["start"]) == mem[x["member_key"]]["base"] for x in ctl)
    assert any(based(x["author_id"], x["start"]) != mem[x["member_key"]]["base"] for x in home.controls.to_pylist())
    assert base.provenance["match_country"] == "base" and home.provenance["match_country"] == "home"
    with pytest.raises(ConfigError, match="match_country"):
        evaluate(eng, c, match_country="nationality", bootstrap=0)


def test_exclude_controls(world: Path) -> None:
    """Members of another programme can be excluded from the control pool (they carry their own effects)."""
    from junkan.errors import ConfigError

    eng = connect(world / "store", threads=2)
    null = read_cohort(world / "cohorts" / "JP-NULL.csv")
    other = read_cohort(world / "cohorts" / "JP-OVERSEAS.csv")
    other_ids = set(resolve(eng, other).column("author_id").to_pylist())
    base = evaluate(eng, null, bootstrap=0, seed=1)
    excl = evaluate(eng, null, bootstrap=0, seed=1, exclude_controls=[other])
    used = set(base.controls.column("author_id").to_pylist())
    assert used & other_ids  # members of the other (selected alike) programme are favoured as controls
    assert not set(excl.controls.column("author_id").to_pylist()) & other_ids
    assert excl.provenance["excluded_from_controls"] == len(other_ids)
    # ids work too, in URL form; a malformed id is an error
    from junkan.cohort._evaluate import _excluded_ids

    assert _excluded_ids(eng, [f"https://openalex.org/{a}" for a in other_ids]) == other_ids
    with pytest.raises(ConfigError, match="not an OpenAlex author id"):
        evaluate(eng, null, bootstrap=0, exclude_controls=["X1"])


def _unit_sums(rows: list[tuple[str, str, str, float, str, float, float]]):
    """rows: (member_key, author_id, role, weight, phase, n_intl, n_country); other sums 1."""
    import pyarrow as pa

    cols = list(zip(*rows, strict=True))
    n = len(rows)
    return pa.table({"member_key": cols[0], "author_id": cols[1], "role": cols[2], "weight": cols[3],
                     "phase": cols[4], "n_intl": cols[5], "n_country": cols[6], "n": [1.0] * n,
                     "years": [1.0] * n, "top": [0.0] * n, "n_cit": [1.0] * n, "ncs": [1.0] * n})


def _mean_rows(ds, base: float = 1.0) -> tuple[list, list[str]]:
    """Unit sums where member ``M{i+1}``'s share goes from ``base`` to ``base + d_i`` (denominator 1) and its one
    control stays flat, so the DiD is the mean of the ``d_i``: (rows for ``_unit_sums``, member keys)."""
    rows, keys = [], []
    for i, dv in enumerate(ds):
        mk = f"M{i + 1}"
        keys.append(mk)
        rows += [(mk, "A_" + mk, "member", 1.0, "before", base, 1.0), (mk, "A_" + mk, "member", 1.0, "after", base + dv, 1.0),
                 (mk, "C_" + mk, "control", 1.0, "before", base, 1.0), (mk, "C_" + mk, "control", 1.0, "after", base, 1.0)]
    return rows, keys


def test_did_by_hand_and_component_resampling() -> None:
    import numpy as np

    from junkan.cohort._evaluate import _components, _did

    # M1 and M2 share control C1 (one cluster); M3's controls are C3 and the member M4 (so M3 and M4 form one
    # cluster); M4's own control is C4
    rows = []
    for mk, ctl in (("M1", ["C1"]), ("M2", ["C1", "C2"]), ("M3", ["C3", "A_M4"]), ("M4", ["C4"])):
        aid = "A_" + mk
        rows += [(mk, aid, "member", 1.0, "before", 1.0, 4.0), (mk, aid, "member", 1.0, "after", 3.0, 4.0)]
        for c in ctl:
            rows += [(mk, c, "control", 1 / len(ctl), "before", 1.0, 4.0),
                     (mk, c, "control", 1 / len(ctl), "after", 2.0, 4.0)]
    us = _unit_sums(rows)
    members = ["M1", "M2", "M3", "M4"]
    assert _components(us, members).tolist() == [0, 0, 1, 1]
    d = {x["metric"]: x for x in _did(us, members, bootstrap=200, seed=1, ci=0.9).to_pylist()}["intl_share"]
    # members: 4/16 → 12/16; controls (weights 1/#controls, each member's group sums to 1): 4/16 → 8/16
    assert d["member_before"] == pytest.approx(0.25) and d["member_after"] == pytest.approx(0.75)
    assert d["control_before"] == pytest.approx(0.25) and d["control_after"] == pytest.approx(0.5)
    assert d["did"] == pytest.approx(0.25)
    # every unit has the same before/after values, so any resample gives the same DiD: a degenerate interval
    assert d["ci_low"] == pytest.approx(0.25) and d["ci_high"] == pytest.approx(0.25)
    # with distinct values per member the two resampling units give different (50 %) intervals; singletons agree
    rows2 = [(mk, a, r, w, ph, (x * (i + 1) if r == "member" and ph == "after" else x), c)
             for (mk, a, r, w, ph, x, c) in rows for i in [members.index(mk)]]
    us2 = _unit_sums(rows2)
    comp = _did(us2, members, bootstrap=300, seed=2, ci=0.5, resample="component").to_pylist()[3]
    memb = _did(us2, members, bootstrap=300, seed=2, ci=0.5, resample="member").to_pylist()[3]
    assert comp["did"] == pytest.approx(memb["did"]) and (comp["ci_low"], comp["ci_high"]) != (
        memb["ci_low"], memb["ci_high"])
    single = [r for r in rows2 if r[1] not in ("C1", "A_M4")]
    a = _did(_unit_sums(single), members, bootstrap=300, seed=2, ci=0.9, resample="component").to_pylist()[3]
    b = _did(_unit_sums(single), members, bootstrap=300, seed=2, ci=0.9, resample="member").to_pylist()[3]
    assert _components(_unit_sums(single), members).tolist() == [0, 1, 2, 3]
    assert a["ci_low"] == b["ci_low"] and a["ci_high"] == b["ci_high"] and np.isfinite(a["ci_low"])


def test_did_standard_error_by_hand_and_studentized_interval() -> None:
    """With every denominator 1 the DiD is the mean of the members' d_i = (m_after − m_before) − (c_after − c_before)
    and its linearised cluster SE is the textbook sd(d) / sqrt(G) (sample SD, divisor G − 1)."""
    import statistics

    from junkan.cohort._evaluate import _did

    d_vals = {"M1": 0.0, "M2": 1.0, "M3": 3.0, "M4": 4.0}  # member after − before; controls flat
    rows, _ = _mean_rows(d_vals.values())
    members = list(d_vals)
    t = {r["interval"]: r for r in (
        _did(_unit_sums(rows), members, bootstrap=400, seed=3, ci=0.9, interval=i).to_pylist()[3]
        for i in ("studentized", "percentile"))}
    st_, pc_ = t["studentized"], t["percentile"]
    assert st_["metric"] == "intl_share" and st_["clusters"] == 4 and st_["did"] == pytest.approx(2.0)
    # sd(0, 1, 3, 4) = sqrt(10/3); se = sqrt(10/3) / 2
    assert st_["se"] == pytest.approx(statistics.stdev(d_vals.values()) / 2, rel=1e-12)
    assert st_["se"] == pytest.approx((10 / 3) ** 0.5 / 2, rel=1e-12) and pc_["se"] == st_["se"]
    # the percentile interval lies within the range of the d_i; the bootstrap-t one is wider with 4 clusters
    assert 0.0 <= pc_["ci_low"] < 2.0 < pc_["ci_high"] <= 4.0
    assert st_["ci_low"] < pc_["ci_low"] and st_["ci_high"] > pc_["ci_high"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=12))
def test_did_se_is_the_standard_error_of_the_mean_with_unit_denominators(ds: list[float]) -> None:
    import statistics

    from junkan.cohort._evaluate import _did

    rows, keys = _mean_rows(ds, base=2.0)
    r = _did(_unit_sums(rows), keys, bootstrap=0, seed=0, ci=0.9).to_pylist()[3]
    assert r["did"] == pytest.approx(statistics.fmean(ds), abs=1e-12)
    assert r["se"] == pytest.approx(statistics.stdev(ds) / len(ds) ** 0.5, rel=1e-9, abs=1e-12)


def test_expanded_interval_uses_the_expanded_quantiles_of_the_same_draws() -> None:
    """The default interval (Hesterberg's expanded percentile) takes the same bootstrap DiDs as the percentile
    interval at the level ``expanded_level(ci, G)``: with G = 4 clusters and ci = 0.9 that is
    1 − 2 Φ(−sqrt(4/3) · 2.35336) = 1 − 2 Φ(−2.71743) = 0.99342, so it contains the percentile interval."""
    import numpy as np

    from junkan.cohort._evaluate import _did
    from junkan.cohort._stats import expanded_level

    d_vals = {"M1": 0.0, "M2": 1.0, "M3": 3.0, "M4": 4.0}
    rows, _ = _mean_rows(d_vals.values())
    members = list(d_vals)
    assert expanded_level(0.9, 4) == pytest.approx(0.99342, abs=1e-5)
    ex = _did(_unit_sums(rows), members, bootstrap=2000, seed=5, ci=0.9).to_pylist()[3]
    pc = _did(_unit_sums(rows), members, bootstrap=2000, seed=5, ci=0.9, interval="percentile").to_pylist()[3]
    assert ex["interval"] == "expanded" and pc["interval"] == "percentile" and ex["did"] == pc["did"] == 2.0
    # the bootstrap DiDs of the four clusters, redrawn with the same seed: the mean of 4 draws from {0, 1, 3, 4}
    rng = np.random.default_rng(5)
    draws = np.stack([np.bincount(rng.integers(0, 4, 4), minlength=4) for _ in range(2000)]) @ np.array([0, 1, 3, 4]) / 4
    lv = expanded_level(0.9, 4)
    assert (ex["ci_low"], ex["ci_high"]) == pytest.approx(tuple(np.quantile(draws, [(1 - lv) / 2, (1 + lv) / 2])))
    assert (pc["ci_low"], pc["ci_high"]) == pytest.approx(tuple(np.quantile(draws, [0.05, 0.95])))
    assert ex["ci_low"] < pc["ci_low"] and ex["ci_high"] > pc["ci_high"]
    # one cluster: no interval (a variance cannot be estimated from one unit); the percentile one is degenerate
    one = [r for r in rows if r[0] == "M2"]
    e1 = _did(_unit_sums(one), ["M2"], bootstrap=100, seed=0, ci=0.9).to_pylist()[3]
    assert e1["did"] == 1.0 and e1["ci_low"] is None and e1["ci_high"] is None and e1["excludes_zero"] is False


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=12), st.integers(0, 2**16))
def test_expanded_interval_contains_the_percentile_interval(ds: list[float], seed: int) -> None:
    from junkan.cohort._evaluate import _did

    rows, keys = _mean_rows(ds, base=2.0)
    ex = _did(_unit_sums(rows), keys, bootstrap=200, seed=seed, ci=0.9).to_pylist()[3]
    pc = _did(_unit_sums(rows), keys, bootstrap=200, seed=seed, ci=0.9, interval="percentile").to_pylist()[3]
    assert ex["ci_low"] <= pc["ci_low"] + 1e-12 and pc["ci_high"] <= ex["ci_high"] + 1e-12
    assert ex["ci_low"] <= ex["ci_high"]


def test_jackknife_interval_by_hand() -> None:
    """With unit denominators the DiD is the mean of the d_i, and the delete-one-cluster jackknife SE equals
    sd(d)/√G (= the linearised SE); the interval is DiD ± t_{0.95, G−1} · se_J. d = (0, 1, 3, 4): se_J =
    sqrt(10/3)/2 = 0.912871, t_{0.95, 3} = 2.353363, so [2 − 2.148317, 2 + 2.148317]."""
    from junkan.cohort._evaluate import _did

    d_vals = {"M1": 0.0, "M2": 1.0, "M3": 3.0, "M4": 4.0}
    rows, _ = _mean_rows(d_vals.values())
    r = _did(_unit_sums(rows), list(d_vals), bootstrap=10, seed=0, ci=0.9, interval="jackknife").to_pylist()[3]
    assert r["interval"] == "jackknife" and r["did"] == pytest.approx(2.0)
    assert r["ci_low"] == pytest.approx(2 - 2.353363 * 0.912871, abs=2e-6)
    assert r["ci_high"] == pytest.approx(2 + 2.353363 * 0.912871, abs=2e-6)
    # a ratio: member k has n_intl = k + 1 of n_country = 2(k + 1) after (share 0.5) and 1 of 4 before; the
    # jackknife deletes one member at a time and recomputes the pooled ratios
    rows2 = []
    for k, mk in enumerate(d_vals):
        rows2 += [(mk, "A_" + mk, "member", 1.0, "before", 1.0, 4.0),
                  (mk, "A_" + mk, "member", 1.0, "after", float(k + 1) * (k % 2 + 1) / 2, float(k + 1)),
                  (mk, "C_" + mk, "control", 1.0, "before", 1.0, 4.0), (mk, "C_" + mk, "control", 1.0, "after", 1.0, 4.0)]
    r2 = _did(_unit_sums(rows2), list(d_vals), bootstrap=10, seed=0, ci=0.9, interval="jackknife").to_pylist()[3]
    num = [float(k + 1) * (k % 2 + 1) / 2 for k in range(4)]
    den = [float(k + 1) for k in range(4)]

    def did_without(g: int | None) -> float:
        keep = [i for i in range(4) if i != g]
        return sum(num[i] for i in keep) / sum(den[i] for i in keep) - 0.25  # controls flat, members 0.25 before

    full = did_without(None)
    loo = [did_without(g) for g in range(4)]
    mean = sum(loo) / 4
    se_j = (3 / 4 * sum((x - mean) ** 2 for x in loo)) ** 0.5
    assert r2["did"] == pytest.approx(full, rel=1e-12)
    assert (r2["ci_low"], r2["ci_high"]) == pytest.approx((full - 2.3533634 * se_j, full + 2.3533634 * se_j), abs=1e-7)
    one = [r for r in rows if r[0] == "M2"]
    assert _did(_unit_sums(one), ["M2"], bootstrap=10, seed=0, ci=0.9, interval="jackknife").to_pylist()[3]["ci_low"] is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=12))
def test_jackknife_se_is_the_standard_error_of_the_mean_with_unit_denominators(ds: list[float]) -> None:
    import statistics

    from junkan.cohort._evaluate import _did
    from junkan.cohort._stats import t_quantile

    rows, keys = _mean_rows(ds, base=2.0)
    r = _did(_unit_sums(rows), keys, bootstrap=5, seed=0, ci=0.9,
             interval="jackknife").to_pylist()[3]
    half = t_quantile(0.95, len(ds) - 1) * statistics.stdev(ds) / len(ds) ** 0.5
    assert r["ci_high"] - r["did"] == pytest.approx(half, rel=1e-7, abs=1e-9)
    assert r["did"] - r["ci_low"] == pytest.approx(half, rel=1e-7, abs=1e-9)


def _papers(top: list[float], cit: list[bool] | None = None, group: str = "g"):
    import pyarrow as pa

    n = len(top)
    return pa.table({"phase": [group] * n, "cit_ok": cit or [True] * n, "top": top, "ncs": [2 * x for x in top],
                     "n_countries": [1 + int(x > 0.5) for x in top], "n_countries_others": [1] * n})


def test_paper_bootstrap_interval_has_the_binomial_width() -> None:
    """300 Top papers of 1,000 (p = 0.3): the 95 % interval's half-width is ≈ 1.96·√(p(1−p)/n) = 0.0284;
    ncs = 2·top gives twice the interval; the same seed gives the same interval."""
    from junkan.cohort._evaluate import _paper_intervals

    t = _papers([1.0] * 300 + [0.0] * 700)
    r = _paper_intervals(t, "phase", bootstrap=2000, seed=3, level=0.95)["g"]
    half = (r["top_share_high"] - r["top_share_low"]) / 2
    assert half == pytest.approx(1.96 * (0.3 * 0.7 / 1000) ** 0.5, rel=0.1)
    assert r["mncs_low"] == pytest.approx(2 * r["top_share_low"]) and r["mncs_high"] == pytest.approx(2 * r["top_share_high"])
    assert r["intl_share_low"] == pytest.approx(r["top_share_low"])  # international exactly when top here
    assert r["intl_share_others_low"] == r["intl_share_others_high"] == 0.0  # one country of others everywhere
    assert _paper_intervals(t, "phase", bootstrap=2000, seed=3, level=0.95)["g"] == r


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.25, 1.0]), min_size=1, max_size=40), st.integers(0, 2**16))
def test_paper_bootstrap_interval_brackets_the_share(top: list[float], seed: int) -> None:
    from junkan.cohort._evaluate import _paper_intervals

    r = _paper_intervals(_papers(top), "phase", bootstrap=300, seed=seed, level=0.95)["g"]
    share = sum(top) / len(top)
    assert min(top) <= r["top_share_low"] <= share + 1e-12 and share - 1e-12 <= r["top_share_high"] <= max(top)


def test_hosts_are_resolved_and_evaluated_by_phase(world: Path, tmp_path: Path) -> None:
    """Issue 7 item 3, hosts: ``host_institution`` names resolve within ``host_country`` (case and spacing
    ignored), ids resolve directly, unknown names are reported; ``hosts_by_phase`` counts the hosts' papers in
    each hosted fellow's phases (deduplicated), checked against a Python oracle."""
    import csv

    eng = connect(world / "store", threads=2)
    src = world / "cohorts" / "JP-INBOUND.csv"
    r = evaluate(eng, read_cohort(src), bootstrap=0, seed=1)
    inst = {x["institution_id"]: x for x in
            eng.to_pyarrow(eng.table("institutions").select("institution_id", "display_name", "country_code")).to_pylist()}
    mem = r.members.to_pylist()
    ok = [m for m in mem if m["host_status"] == "resolved"]
    assert ok and r.provenance["hosts_resolved"] == len(ok)
    for m in ok:
        name = inst[m["host_id"]]["display_name"]
        assert " ".join(name.split()).lower() == " ".join(m["host_institution"].split()).lower()
        cc = inst[m["host_id"]]["country_code"]
        assert cc == m["host_country"] or (cc is None and "no country" in m["host_note"])
    # oracle: the hosts' document-set papers by the hosted fellow's phase, deduplicated
    _units, year = _units_with_authors(eng)
    works_of: dict[str, set[str]] = {}
    for x in eng.to_pyarrow(eng.table("authorship_institutions").select("work_id", "institution_id")).to_pylist():
        if x["work_id"] in year:
            works_of.setdefault(x["institution_id"], set()).add(x["work_id"])
    phase_works: dict[str, set[str]] = {"before": set(), "during": set(), "after": set()}
    for m in ok:
        s, e = m["start"], m["end"]
        for w in works_of.get(m["host_id"], ()):
            y = year[w]
            ph = _phase(y, s, e)
            if ph:
                phase_works[ph].add(w)
    hp = {x["phase"]: x for x in r.hosts_by_phase.to_pylist()}
    assert {ph: hp[ph]["n"] for ph in hp} == {ph: len(ws) for ph, ws in phase_works.items() if ws}
    assert all(x["comparison_intl_share"] is not None for x in hp.values())
    assert r.provenance["comparison_country"] == "US" and "hosts_by_phase" in r.tables()
    # an institution id, an unknown name, no host, and a name the store gives no country (the simulator plants
    # such institutions): resolved with a note
    names: dict[str, list[str]] = {}
    for i in inst.values():
        names.setdefault(" ".join((i["display_name"] or "").split()).lower(), []).append(i["institution_id"])
    bare = next(i for i in inst.values() if i["country_code"] is None and i["display_name"]
                and len(names[" ".join(i["display_name"].split()).lower()]) == 1)
    rows = list(csv.DictReader(src.open(encoding="utf-8")))[:4]
    rows[0]["host_institution"], rows[1]["host_institution"], rows[2]["host_institution"] = (
        ok[0]["host_id"], "No Such  University", "")
    rows[3]["host_institution"], rows[3]["host_country"] = bare["display_name"].upper(), "JP"
    f = tmp_path / "hosts.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    got = [(m["host_status"], m["host_id"]) for m in evaluate(eng, read_cohort(f), bootstrap=0).members.to_pylist()]
    assert got == [("resolved", ok[0]["host_id"]), ("missing", None), ("none", None),
                   ("resolved", bare["institution_id"])]
