"""Calibration check of a generated world: targets (truth/targets.parquet) against values measured
directly from the generated files with DuckDB. A stop-gap until ``junkan simulate --report`` is built on
the indicator core."""

from __future__ import annotations

from pathlib import Path

import duckdb

__all__ = ["measure_intl_shares", "calibration_report"]

_WORKS_COLUMNS = (
    "{'id': 'VARCHAR', 'publication_year': 'INTEGER', "
    "'authorships': 'STRUCT(institutions STRUCT(country_code VARCHAR)[])[]'}"
)


def _con(threads: int = 2) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads={int(threads)}")
    con.execute("SET enable_progress_bar=false")
    return con


def measure_intl_shares(out_dir: str | Path, year: int, countries: list[str] | None = None,
                        last_year: int | None = None) -> dict[str, tuple[float, int]]:
    """Whole-counted international co-authorship share per country in ``year`` (to ``last_year`` if given):
    share of the country's works with >= 2 distinct non-null institution country codes.
    Returns {country: (share, n_works)}."""
    glob = str(Path(out_dir) / "data" / "works" / "*" / "*.gz")
    con = _con()
    rows = con.execute(
        f"""
        WITH w AS (
            SELECT id, publication_year AS y, authorships FROM read_json(?, format='newline_delimited',
                   compression='gzip', columns={_WORKS_COLUMNS}) WHERE publication_year BETWEEN ? AND ?
        ), wc AS (
            SELECT DISTINCT id, i.country_code AS c
            FROM (SELECT id, unnest(authorships) AS a FROM w) x, unnest(x.a.institutions) AS t(i)
            WHERE i.country_code IS NOT NULL
        ), k AS (SELECT id, count(*) AS k FROM wc GROUP BY id)
        SELECT wc.c, avg(CASE WHEN k.k >= 2 THEN 1.0 ELSE 0.0 END) AS share, count(*) AS n
        FROM wc JOIN k USING (id) GROUP BY wc.c ORDER BY wc.c
        """,
        [glob, int(year), int(last_year if last_year is not None else year)],
    ).fetchall()
    res = {c: (float(s), int(n)) for c, s, n in rows}
    if countries is not None:
        res = {c: res.get(c, (float("nan"), 0)) for c in countries}
    return res


def calibration_report(out_dir: str | Path) -> list[dict]:
    """One row per international co-authorship target: target, measured, difference, within tolerance."""
    out = Path(out_dir)
    con = _con()
    targets = con.execute(
        "SELECT name, country, year, target, tolerance, source FROM read_parquet(?) "
        "WHERE name = 'intl_coauthorship_share' ORDER BY target DESC",
        [str(out / "truth" / "targets.parquet")],
    ).fetchall()
    rows = []
    by_year: dict[int, dict] = {}
    for name, c, y, target, tol, source in targets:
        if y not in by_year:
            by_year[y] = measure_intl_shares(out, y)
        m, n = by_year[y].get(c, (float("nan"), 0))
        rows.append({"name": name, "country": c, "year": y, "target": target, "measured": m, "n_works": n,
                     "diff": m - target, "tolerance": tol, "ok": abs(m - target) <= tol, "source": source})
    return rows
