"""The coverage study's summary on fake rows: world labels, truth from paired worlds, pooling per interval."""

from __future__ import annotations

import pytest

from bench.cohort_coverage import _method, _option, clopper_pearson, summarize


@pytest.mark.parametrize(("world", "method"), [
    ("planted", ("member", "percentile")),
    ("off-t", ("member", "studentized")),
    ("planted-excl", ("member", "percentile")),
    ("planted/component", ("component", "percentile")),
    ("off/component-t", ("component", "studentized")),
    ("planted-excl/component-x", ("component", "expanded")),
])
def test_world_labels_name_the_resampling_and_the_interval(world: str, method: tuple[str, str]) -> None:
    assert _method(world) == method


def _row(seed: int, world: str, cohort: str, metric: str, did: float, lo: float, hi: float) -> dict:
    return {"seed": seed, "world": world, "cohort": cohort, "metric": metric, "did": did, "ci_low": lo, "ci_high": hi,
            "works": 20000, "bootstrap": 100, "ci": 0.9, "members": 40, "member_after": 0.2,
            "excludes_zero": lo > 0 or hi < 0}


def test_summary_pools_each_interval_apart_with_the_paired_truth() -> None:
    rows = []
    for s in range(4):
        for tag, half in (("", 0.01), ("-x", 0.05)):
            # planted DiD = 0.10 + s/100, off DiD = s/100: τ = 0.10 exactly; narrow intervals miss it unless s = 0
            rows += [_row(s, "planted/component" + tag, "JP-OVERSEAS", "intl_share", 0.1 + s / 100,
                          0.1 + s / 100 - half, 0.1 + s / 100 + half),
                     _row(s, "off/component" + tag, "JP-OVERSEAS", "intl_share", s / 100, s / 100 - half, s / 100 + half)]
    text = summarize(rows)
    assert "| JP-OVERSEAS (planted/component) | intl_share | +0.1000 (±0.0000) |" in text
    # percentile rows: τ covered at s = 0, 1 (|s/100| ≤ 0.01); 0 covered at s = 0, 1; expanded: all 4 each
    assert "| component | percentile | all | planted (τ) | 2/4 = 50.0% |" in text
    assert "| component | percentile | all | null (0) | 2/4 = 50.0% |" in text
    assert "| component | expanded | all | planted (τ) | 4/4 = 100.0% |" in text
    lo, hi = clopper_pearson(4, 4)
    assert f"[{lo:.1%}, {hi:.1%}]" in text and hi == 1.0


def test_clopper_pearson_by_hand_and_for_large_pools() -> None:
    # k = n: the lower bound solves p^n = 0.025; k = 0: the upper bound solves (1 − p)^n = 0.025
    assert clopper_pearson(10, 10)[0] == pytest.approx(0.025 ** (1 / 10), abs=1e-6)
    assert clopper_pearson(0, 10)[1] == pytest.approx(1 - 0.025 ** (1 / 10), abs=1e-6)
    # 1,760 pooled intervals (two 80-seed runs) used to overflow math.comb → float; normal approximation ± 0.004
    lo, hi = clopper_pearson(1566, 1760)
    p, se = 1566 / 1760, (1566 / 1760 * (1 - 1566 / 1760) / 1760) ** 0.5
    assert lo == pytest.approx(p - 1.96 * se, abs=0.004) and hi == pytest.approx(p + 1.96 * se, abs=0.004)


def test_option_values_are_json_when_they_parse() -> None:
    assert _option("panel=balanced") == ("panel", "balanced")
    assert _option("controls=5") == ("controls", 5)
    assert _option("ci=0.95") == ("ci", 0.95)
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        _option("balanced")
