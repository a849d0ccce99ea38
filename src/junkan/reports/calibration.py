"""Calibration report of a simulated world: every target next to what junkan's own indicators measure.

The targets (``truth/targets.parquet``, written by :mod:`junkan.simulate`) carry their published source and
tolerance. The measured values come from the store built by the ordinary ingest, through the indicator
registry — so the report checks the simulator and the indicator core against each other:

- ``intl_coauthorship_share``: ``international_coauthorship`` (whole counting, all document types, identity
  country map), the country's share in the target year (absolute tolerance);
- ``output_share``: ``papers`` with country-equal fractional counting, the country's share of the year's
  fractional total (relative tolerance; the target is the shape of the published researcher population).

- ``true_out_migration_rate`` and ``published_out_migration_rate_openalex``: ``junkan mobility rates``
  (MPIDR padded-population out-migration rate, the method of the published database), for the country and
  year (relative tolerance for the planted rate; the published OpenAlex rate is a reference without
  tolerance). Moves that no paper reveals cannot be measured, so the measured rate runs below the planted
  one (docs/mobility.md states the observability rule).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from junkan.engine import Engine
from junkan.errors import ConfigError

__all__ = ["calibration_report"]


def _within(measured: float | None, target: float, tolerance: float | None, kind: str) -> bool | None:
    if measured is None or tolerance is None or (isinstance(measured, float) and math.isnan(measured)):
        return None
    if kind == "relative":
        return abs(measured - target) <= tolerance * abs(target)
    return abs(measured - target) <= tolerance


def calibration_report(engine: Engine, world_dir: str | Path) -> pa.Table:
    """One row per calibration target: source, target, measured (by junkan's indicators), tolerance, ok."""
    from junkan.indicators import run

    targets_path = Path(world_dir) / "truth" / "targets.parquet"
    if not targets_path.exists():
        raise ConfigError(f"{targets_path} not found: is {world_dir} a junkan simulated world?")
    targets = pq.read_table(targets_path).to_pylist()
    measured: dict[tuple[str, str, int], float] = {}

    intl_years = sorted({t["year"] for t in targets if t["name"] == "intl_coauthorship_share"})
    for y in intl_years:
        res = run(engine, "international_coauthorship", profile="all", country_map="oecd", years=f"{y}-{y}")
        for r in res.table.to_pylist():
            measured[("intl_coauthorship_share", r["country"], r["year"])] = r["share"]

    out_years = sorted({t["year"] for t in targets if t["name"] == "output_share"})
    if out_years:
        res = run(engine, "papers", profile="all", country_map="oecd", counting="country",
                  years=f"{min(out_years)}-{max(out_years)}")
        t = res.table
        value_col = next(c for c in ("p", "papers", "value") if c in t.column_names)
        t = t.filter(pc.not_equal(t["country"], "WLD"))
        for y in out_years:
            ty = t.filter(pc.equal(t["year"], y))
            total = pc.sum(ty[value_col]).as_py() or 0.0
            for r in ty.to_pylist():
                measured[("output_share", r["country"], y)] = r[value_col] / total if total else float("nan")

    mig_names = ("true_out_migration_rate", "published_out_migration_rate_openalex")
    if any(t["name"] in mig_names for t in targets):
        from junkan.mobility import run as run_mobility

        res = run_mobility(engine, "rates", padded=True)
        for r in res.table.to_pylist():
            for name in mig_names:
                measured[(name, r["country"], r["year"])] = r.get("outflow_rate_padded")

    rows: list[dict[str, Any]] = []
    for tg in targets:
        m = measured.get((tg["name"], tg["country"], tg["year"]))
        rows.append(
            {
                "target_name": tg["name"],
                "country": tg["country"],
                "year": tg["year"],
                "target": tg["target"],
                "measured": m,
                "tolerance": tg["tolerance"],
                "tolerance_kind": tg["tolerance_kind"],
                "ok": _within(m, tg["target"], tg["tolerance"], tg["tolerance_kind"]),
                "source": tg["source"],
            }
        )
    schema = pa.schema([
        ("target_name", pa.string()), ("country", pa.string()), ("year", pa.int32()), ("target", pa.float64()),
        ("measured", pa.float64()), ("tolerance", pa.float64()), ("tolerance_kind", pa.string()), ("ok", pa.bool_()),
        ("source", pa.string()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)
