"""Benchmark: trajectories + classes for N authorships on DuckDB (issue 5 item 10: 10M in ≤ 1 minute on 2 cores).

    python bench/mobility.py --authorships 10000000 --threads 2 [--keep DIR]

The authorship-level input is generated with DuckDB SQL straight into a store version (Parquet): works spread over
2000–2023, three authorships per work, ~1M authors whose main economy follows a career (10 % move once, 3 % have a
second affiliation abroad on a paper, 2 % of authorships list a country without an institution). The timed part is
``trajectories(t, profile="all")`` → ``classes(...)`` written to Parquet, plus ``rates`` on the result, on a fresh
engine with ``threads`` cores. Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from junkan.engine import connect
from junkan.indicators.base import StoreTables
from junkan.mobility import classes, rates, trajectories
from junkan.model.schema import arrow_schema
from junkan.store import VersionWriter


def generate(root: Path, n_authorships: int, threads: int) -> float:
    t0 = time.perf_counter()
    n_works = n_authorships // 3
    n_authors = max(1000, n_authorships // 10)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    countries = ["US", "CN", "GB", "DE", "JP", "FR", "IN", "IT", "CA", "AU", "ES", "KR", "BR", "NL", "CH", "SE",
                 "PL", "TW", "IR", "TR", "BE", "DK", "AT", "IL", "NO", "FI", "PT", "SG", "MX", "ZA"]
    con.execute("CREATE TABLE cc AS SELECT unnest(?) AS c, generate_subscripts(?, 1) - 1 AS k", [countries, countries])
    nc = len(countries)
    w = VersionWriter(root)
    sql = {
        "works": f"""
            SELECT 'W' || i AS work_id, (2000 + hash(i) % 24)::INTEGER AS publication_year,
                   make_date((2000 + hash(i) % 24)::INTEGER, (1 + hash(i * 7) % 12)::INTEGER, 1) AS publication_date,
                   'article' AS type, 'S1' AS source_id, 'journal' AS source_type, false AS is_retracted,
                   false AS is_paratext, (10 + hash(i) % 26)::INTEGER AS field_id, 'test' AS data_source, 0 AS input_id
              FROM range({n_works}) r(i)""",
        "authorships": f"""
            SELECT 'W' || i AS work_id, p::INTEGER AS author_position,
                   'A' || (hash(i * 3 + p) % {n_authors}) AS author_id
              FROM range({n_works}) r(i), range(3) q(p)""",
    }
    for name, q in sql.items():
        cols = arrow_schema(name).names
        con.execute(f"CREATE TABLE {name} AS {q}")
        sel = ", ".join(c if c in [d[0] for d in con.execute(f"DESCRIBE {name}").fetchall()] else f"NULL AS {c}" for c in cols)
        con.execute(f"COPY (SELECT {sel} FROM {name}) TO '{w.path(name)}' (FORMAT parquet, COMPRESSION zstd)")
    # the author's country in the year of the work: home, or the destination after the move year (10 % move)
    con.execute("""
        CREATE TABLE ac AS
        SELECT a.work_id, a.author_position, a.author_id, w.publication_year AS y,
               CAST(substr(a.author_id, 2) AS BIGINT) AS n
          FROM authorships a JOIN works w USING (work_id)""")
    con.execute(f"""
        CREATE TABLE aic AS
        SELECT work_id, author_position, n, y,
               CASE WHEN n % 10 = 0 AND y >= 2000 + (n // 10) % 24 THEN (n // {nc}) % {nc} ELSE n % {nc} END AS k
          FROM ac""")
    con.execute(f"""
        COPY (
          SELECT work_id, author_position, 'I' || k || '_' || (n % 7) AS institution_id FROM aic WHERE hash(work_id) % 50 <> 0
          UNION ALL
          SELECT work_id, author_position, 'I' || ((k + 1 + n % 5) % {nc}) || '_0' FROM aic WHERE hash(work_id || 'x') % 33 = 0
        ) TO '{w.path("authorship_institutions")}' (FORMAT parquet, COMPRESSION zstd)""")
    con.execute(f"""
        COPY (SELECT aic.work_id, aic.author_position, cc.c AS country_code FROM aic JOIN cc USING (k)
               WHERE hash(work_id) % 50 = 0) TO '{w.path("authorship_countries")}' (FORMAT parquet, COMPRESSION zstd)""")
    con.execute(f"""
        COPY (SELECT 'I' || cc.k || '_' || j AS institution_id, NULL AS ror, 'Inst ' || cc.c || j AS display_name,
                     cc.c AS country_code, 'education' AS type, NULL::VARCHAR[] AS lineage
                FROM cc, range(7) r(j)) TO '{w.path("institutions")}' (FORMAT parquet, COMPRESSION zstd)""")
    w.publish({"inputs": [], "counts": {}, "benchmark": "bench/mobility.py"})
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authorships", type=int, default=10_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--keep", type=Path, default=None, help="Store folder to reuse/keep (default: a temp dir).")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="junkan-bench-mob-"))
    root = args.keep or tmp / "store"
    gen_s = None
    if not (root / "CURRENT").exists():
        gen_s = generate(root, args.authorships, args.threads)
    eng = connect(root, threads=args.threads, memory_limit=args.memory_limit)
    n_auth = pq.ParquetFile(eng.store.table_path("authorships")).metadata.num_rows
    t = StoreTables.from_engine(eng)
    t0, c0 = time.perf_counter(), time.process_time()
    tr = trajectories(t, profile="all")
    out = tmp / "classes.parquet"
    eng.con.to_parquet(classes(tr), out)
    t_classes, cpu_classes = time.perf_counter() - t0, time.process_time() - c0
    n_classes = pq.ParquetFile(out).metadata.num_rows
    t1 = time.perf_counter()
    eng.con.to_parquet(rates(classes(tr), trajectories=tr), tmp / "rates.parquet")
    t_rates = time.perf_counter() - t1
    print(json.dumps({
        "authorships": n_auth, "threads": args.threads, "generate_s": None if gen_s is None else round(gen_s, 1),
        "trajectories_classes_s": round(t_classes, 1), "trajectories_classes_cpu_s": round(cpu_classes, 1),
        "load_avg_1m": round(os.getloadavg()[0], 1), "class_rows": n_classes,
        "rates_with_padded_s": round(t_rates, 1), "cpu_count": os.cpu_count(),
    }))
    eng.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
