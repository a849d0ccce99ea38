"""The matched-control estimator on a hand-made frame (answers computed by hand), and the bootstrap weights."""

from __future__ import annotations

import ibis
import pyarrow as pa
import pytest

from junkan.programs._evaluate import _BASE, _estimates, _long, _poisson_weight


def _frame() -> ibis.Table:
    # stratum A (2020, field 11, band "2-3"): program works w1 (top10=1), w2 (0); controls w3 (0), w4 (0), w5 (1)
    # stratum B (2020, field 12, band "2-3"): program work w6 (1); no control → unmatched
    # stratum C (2021, field 11, band "2-3"): program work w7 (0); controls w8 (1), w9 (0)
    rows = {
        "work_id": ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"],
        "year": [2020, 2020, 2020, 2020, 2020, 2020, 2021, 2021, 2021],
        "field_id": [11, 11, 11, 11, 11, 12, 11, 11, 11],
        "band": ["2-3"] * 9,
        "top10": [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0],
    }
    for k in _BASE:
        if k != "top10":
            rows[k] = [0.5] * 9
    return ibis.memtable(pa.table(rows))


def test_matched_and_national_by_hand() -> None:
    f = _frame()
    members = ibis.memtable({"program_id": ["P"] * 4, "work_id": ["w1", "w2", "w6", "w7"]})
    pflag = ibis.memtable(pa.table({"program_id": pa.array(["P"]), "work_id": pa.array(["w8"])}))
    res = _long(_estimates(f, members, pflag, 60, 1), 0.95).to_pyarrow()
    rows = {(r["year"], r["metric"]): r for r in res.to_pylist()}
    a = rows[(None, "top10")]
    # value over all 4 program works: (1+0+1+0)/4
    assert a["value"] == pytest.approx(0.5)
    assert a["papers_evaluated"] == 4 and a["papers_matched"] == 3
    # matched program works w1, w2 (A), w7 (C): mean 1/3; controls: A → 1/3 (weight 2), C → 1/2 (weight 1)
    assert a["matched_value"] == pytest.approx(1 / 3)
    assert a["control"] == pytest.approx((2 * (1 / 3) + 0.5) / 3)
    assert a["diff_matched"] == pytest.approx(1 / 3 - (2 / 3 + 0.5) / 3)
    # national 2020: 4/6 of works top; 2021: 1/3; standardised to the program's years (3 works 2020, 1 in 2021)
    assert rows[(2020, "top10")]["national"] == pytest.approx(3 / 6)
    assert rows[(2021, "top10")]["national"] == pytest.approx(1 / 3)
    assert a["national"] == pytest.approx((3 * 0.5 + 1 * (1 / 3)) / 4)
    # declared partner: no program work flagged; control w8 (of w8, w9) in stratum C → C control mean 1/2
    d = rows[(None, "declared_partner")]
    assert d["value"] == 0.0 and d["control"] == pytest.approx((0 + 0 + 1 * 0.5) / 3)
    assert rows[(2021, "declared_partner")]["national"] == pytest.approx(1 / 3)
    # replicates where no matched program work is drawn (possible in a 4-work frame) have no estimate
    assert 40 <= a["replicates"] <= 60
    assert a["value_lo"] <= a["value"] <= a["value_hi"]


def test_poisson_weights_mean_one_and_seeded() -> None:
    t = ibis.memtable({"work_id": [f"W{i}" for i in range(20000)]})
    w = t.select(w0=_poisson_weight(t.work_id, ibis.literal(0), 5), w1=_poisson_weight(t.work_id, ibis.literal(1), 5),
                 w0b=_poisson_weight(t.work_id, ibis.literal(0), 5), w0s=_poisson_weight(t.work_id, ibis.literal(0), 6))
    r = w.aggregate(m=w.w0.mean(), v=w.w0.var(), same=(w.w0 == w.w0b).all(), eq_rep=(w.w0 == w.w1).mean(),
                    eq_seed=(w.w0 == w.w0s).mean()).to_pyarrow().to_pylist()[0]
    assert r["m"] == pytest.approx(1.0, abs=0.03) and r["v"] == pytest.approx(1.0, abs=0.05)
    assert r["same"] is True
    # different replicate / seed → independent draws (agreement of two Poisson(1) draws ≈ 0.31, not 1)
    assert r["eq_rep"] < 0.5 and r["eq_seed"] < 0.5
