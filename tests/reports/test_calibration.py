"""Calibration report: junkan's indicators on the ingested simulated world vs the simulator's own measure."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from junkan.engine import connect
from junkan.reports.calibration import calibration_report
from junkan.simulate import simulate
from junkan.simulate.report import measure_intl_shares
from junkan.sources.openalex import ingest


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cal") / "world"
    simulate(out, works=6000, seed=7)
    rep = ingest([out / "data"], out / "store")
    assert rep.rejected == 0 and rep.reconciles
    return out


def test_report_rows_and_independent_measure(world: Path) -> None:
    table = calibration_report(connect(world / "store"), world).to_pylist()
    intl = [r for r in table if r["target_name"] == "intl_coauthorship_share"]
    assert {r["country"] for r in intl} == {"JP", "US", "CN", "GB", "DE", "FR", "KR"}
    year = intl[0]["year"]
    # the simulator measures the same share straight from the generated JSON files, without junkan's store
    direct = measure_intl_shares(world, year)
    for r in intl:
        share, n = direct[r["country"]]
        assert r["measured"] is not None and n > 0
        assert math.isclose(r["measured"], share, rel_tol=1e-12), (r["country"], r["measured"], share)
        assert r["ok"] == (abs(r["measured"] - r["target"]) <= r["tolerance"])
    out = [r for r in table if r["target_name"] == "output_share" and r["measured"] is not None]
    assert out and all(0 < r["measured"] < 1 for r in out)
    assert all(r["source"] for r in table)
    mig = [r for r in table if r["target_name"] == "true_out_migration_rate"]
    assert mig and all(r["measured"] is not None and 0 <= r["measured"] < 1 for r in mig)
