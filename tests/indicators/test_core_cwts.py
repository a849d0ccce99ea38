"""CWTS core-source algorithm (METHODS §0.7, ``core="cwts"``) on a hand-made store, on DuckDB and PySpark.

Sources (every work 2020 unless noted, English, one authorship, one institution):

* A: a1 US, a2 JP, a3 DE, a4 GB (2014). a1→b1, a2→b2, a3→a1 active; a4→(outside the store): 3/4 active.
* B: b1 US, b2 JP, b3 DE, b4 GB. b1→a1, b2→a2 active; b3, b4 cite outside: 2/4 = 50 % ≥ 40 %.
* N: n1..n4 (US, JP, DE, GB), all cite outside the store: 0 % active, dropped in the first round.
* M: m1..m4 (US, JP, DE, GB), cite n1..n4: active while N is selected (round 1), dropped in round 2.
* W: w1..w4 (US, JP, DE, GB). w1→a1 shares its author with a1 (author self-citation), w2 cites outside the store,
  w3→a3 active, w4→a4 is 6 years back (> 5): 1/4 = 25 % < 40 %, dropped.
* L: l1, l2 both KR (a national journal), l1→a1, l2→a2. Fails the international-scope test.
* Not candidates: e1 (source A, Japanese), e2 (source A, dataset), so they weigh nowhere.

Global distribution Q over the 22 candidates: US, JP, DE, GB 5/22 each, KR 2/22; threshold ln(22/5).
L: P = KR only, KL = ln(11) > ln(4.4): dropped. A: own US JP DE GB + citing b1 US, b2 JP, l1 KR, l2 KR, w1 US,
w3 DE, w4 GB (other sources) → US 3, JP 2, DE 2, GB 2, KR 2 of 11.
Active-reference rounds: {A, B, N, M, W} → {A, B, M} → {A, B} → stable.
"""

from __future__ import annotations

import math

import pytest
from indicator_world import work_row

from junkan.errors import ConfigError
from junkan.indicators import Scope, StoreTables
from junkan.indicators.base import affiliation_units, document_set
from junkan.indicators.core import _international_sources, cwts_candidates, cwts_core_sources
from junkan.store import write_store

CC = ("US", "JP", "DE", "GB")


def _tables(w2_cites: str = "W_out") -> dict[str, list[dict]]:
    works, auth, ai, refs = [], [], [], []

    def add(wid: str, src: str, cc: str, cites: list[str], *, year: int = 2020, author: str | None = None, **kw):
        works.append(work_row(wid, source_id=src, publication_year=year, language=kw.pop("language", "en"), **kw))
        auth.append(dict(work_id=wid, author_position=0, author_id=author or f"au_{wid}"))
        ai.append(dict(work_id=wid, author_position=0, institution_id=f"I_{cc}"))
        refs.extend(dict(work_id=wid, cited_work_id=c) for c in cites)

    for i, cc in enumerate(CC, 1):
        add(f"a{i}", "A", cc, {1: ["b1"], 2: ["b2"], 3: ["a1"], 4: ["W_out"]}[i], year=2014 if i == 4 else 2020,
            author="au_a1" if i == 1 else None)
        add(f"b{i}", "B", cc, {1: ["a1"], 2: ["a2"], 3: ["W_out"], 4: ["W_out"]}[i])
        add(f"n{i}", "N", cc, ["W_out"])
        add(f"m{i}", "M", cc, [f"n{i}"])
        add(f"w{i}", "W", cc, {1: ["a1"], 2: [w2_cites], 3: ["a3"], 4: ["a4"]}[i], author="au_a1" if i == 1 else None)
    add("l1", "L", "KR", ["a1"])
    add("l2", "L", "KR", ["a2"])
    add("e1", "A", "JP", ["a1"], language="ja")
    add("e2", "A", "US", ["a1"], type="dataset")
    inst = [dict(institution_id=f"I_{c}", country_code=c) for c in (*CC, "KR")]
    sources = [dict(source_id=s, display_name=f"Source {s}", type="journal", is_core=False) for s in "ABNMWL"]
    return dict(works=works, authorships=auth, authorship_institutions=ai, institutions=inst, references=refs,
                sources=sources)


@pytest.fixture(scope="module")
def core_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("core_cwts")
    write_store(path, _tables())
    return path


def test_core_sources_by_hand(core_store) -> None:
    from junkan.engine import connect

    t = StoreTables.from_engine(connect(core_store, threads=1))
    units = affiliation_units(t, country_map={})
    cand = cwts_candidates(t, units).to_pyarrow().column("work_id").to_pylist()
    assert len(cand) == 22 and "e1" not in cand and "e2" not in cand
    step6 = {r["source_id"]: r for r in _international_sources(t, cwts_candidates(t, units), units).to_pyarrow()
             .to_pylist()}
    assert set(step6) == {"A", "B", "N", "M", "W"}  # L (all KR) fails the scope test
    q = {"US": 5 / 22, "JP": 5 / 22, "DE": 5 / 22, "GB": 5 / 22, "KR": 2 / 22}
    p_a = {"US": 3 / 11, "JP": 2 / 11, "DE": 2 / 11, "GB": 2 / 11, "KR": 2 / 11}
    assert step6["A"]["kl"] == pytest.approx(sum(p * math.log(p / q[c]) for c, p in p_a.items()), rel=1e-9)
    assert step6["A"]["threshold"] == pytest.approx(math.log(22 / 5), rel=1e-9)
    assert math.log(11) > math.log(22 / 5)  # L's KL: a point mass on KR
    # step 6 counts citing works of other sources: one JP citation of l1 (from a source of its own) makes L pass
    # (P_L = KR 2/3, JP 1/3: KL = 1.456 < ln 4.4 = 1.482); see test_citing_works_count_in_the_scope_test
    assert cwts_core_sources(t) == ("A", "B")
    # a stricter share drops B (2/4 active) and M; then only a3→a1 of A's citations counts (1/4): nothing is left
    assert cwts_core_sources(t, share=0.6) == ()
    assert cwts_core_sources(t, share=0.5) == ("A", "B")
    # a looser one keeps W (1/4) but not N (0/4), and M goes with N
    assert cwts_core_sources(t, share=0.25) == ("A", "B", "W")
    # a wider citation window makes w4 → a4 (6 years) active: W has 2/4
    assert cwts_core_sources(t, cit_window=6) == ("A", "B", "W")


def test_core_option_of_the_document_set(core_store, open_engine) -> None:
    t = StoreTables.from_engine(open_engine(core_store))
    ids = sorted(document_set(t, profile="all", core="cwts").to_pyarrow().column("work_id").to_pylist())
    assert ids == ["a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"]  # e1/e2 are in A but not core works
    sc = Scope(profile="nistep", core="cwts", years="2020")
    assert sc.provenance()["core"] == "cwts"
    got = sorted(sc.works(t).to_pyarrow().column("work_id").to_pylist())
    assert got == ["a1", "a2", "a3", "b1", "b2", "b3", "b4"]
    with pytest.raises(ConfigError, match="cwts"):
        document_set(t, core="wos")


def test_citing_works_count_in_the_scope_test(tmp_path) -> None:
    from junkan.engine import connect

    write_store(tmp_path, _tables(w2_cites="l1"))  # w2 (source W, JP) now cites l1
    t = StoreTables.from_engine(connect(tmp_path, threads=1))
    units = affiliation_units(t, country_map={})
    step6 = {r["source_id"]: r["kl"] for r in _international_sources(t, cwts_candidates(t, units), units)
             .to_pyarrow().to_pylist()}
    kl_l = (2 / 3) * math.log((2 / 3) / (2 / 22)) + (1 / 3) * math.log((1 / 3) / (5 / 22))
    assert step6["L"] == pytest.approx(kl_l, rel=1e-9) and kl_l < math.log(22 / 5)
    # L's own works cite A (2/2 active): it stays in the core; and w2 → l1 is now an active reference, so W has
    # 2/4 (w2, w3) and stays too
    assert cwts_core_sources(t) == ("A", "B", "L", "W")
