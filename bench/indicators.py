"""Benchmark the indicator core (Ibis on DuckDB) against hand-written DuckDB SQL on a generated flat store.

    python bench/indicators.py --works 2000000                 # one size
    python bench/indicators.py --works 2000000 --scaling       # also N/10, prints the 10x scaling ratio
    python bench/indicators.py --works 200000 --suite          # also times every registered indicator
    python bench/indicators.py --works 2000000 --no-cache      # junkan without its per-engine cache (A/B)

The store is generated directly with DuckDB SQL (as STACK.md §2 did) into a junkan store version: works with
years 2000–2023, 26 skewed fields, ~3 authorships per work, 20,000 institutions in 60 countries (Zipf-like),
25 % foreign co-authors, 3 % authorships with a country but no institution, and ~4 references per work
(citations with many ties). Four indicators are computed both ways and compared value by value:

* ``papers``: institution-level fractional counting (NISTEP), by country and year;
* ``top_papers``: CWTS Top 10 % (field × year), whole counting;
* ``international_coauthorship``: whole counting, with world row;
* ``impact``: MNCS (subfield × year), whole counting, with world row.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from junkan.engine import connect
from junkan.indicators import REGISTRY, run
from junkan.model.countries import COUNTRY_NAMES
from junkan.model.schema import TABLES
from junkan.store import VersionWriter

COUNTRIES = [c for c in COUNTRY_NAMES if c not in ("WLD", "HK", "MO")][:60]
N_INST = 20_000


def _select_list(table: str, given: dict[str, str]) -> str:
    cols = []
    for c in TABLES[table].columns:
        t = c.type
        cols.append(f"CAST({given[c.name]} AS {t}) AS {c.name}" if c.name in given else f"CAST(NULL AS {t}) AS {c.name}")
    return ",\n  ".join(cols)


def generate(root: Path, n_works: int, *, threads: int = 2) -> None:
    """Write a store version with ``n_works`` synthetic works (deterministic: hash-based, no RNG state)."""
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET preserve_insertion_order = false")
    clist = ", ".join(f"'{c}'" for c in COUNTRIES)
    # u(i, salt) = uniform [0, 1) from a hash, reproducible on any machine
    con.execute("CREATE MACRO u(i, salt) AS (hash(i * 1000003 + salt) % 1000000) / 1000000.0")
    con.execute(f"CREATE TABLE countries AS SELECT unnest([{clist}]) AS cc, generate_subscripts([{clist}], 1) AS k")
    with VersionWriter(root) as w:
        def copy(table: str, sql: str) -> None:
            con.execute(f"COPY ({sql}) TO '{w.path(table)}' (FORMAT parquet, COMPRESSION zstd)")

        copy("institutions", f"""
            SELECT {_select_list('institutions', dict(
                institution_id="'I' || i", country_code="c.cc", display_name="'Institution ' || i"))}
            FROM range({N_INST}) r(i)
            JOIN countries c ON c.k = 1 + CAST(floor(60 * pow(u(i, 1), 2.5)) AS INTEGER)""")
        copy("sources", f"""
            SELECT {_select_list('sources', dict(source_id="'S' || i", display_name="'Source ' || i",
                                                 type="CASE WHEN i % 20 = 0 THEN 'conference' ELSE 'journal' END",
                                                 is_core="i % 3 <> 0"))}
            FROM range(5000) r(i)""")
        con.execute(f"""
            CREATE TABLE w AS
            SELECT i,
                   'W' || i AS work_id,
                   2000 + CAST(floor(24 * u(i, 2)) AS INTEGER) AS year,
                   CASE WHEN u(i, 3) < 0.88 THEN 'article' WHEN u(i, 3) < 0.95 THEN 'review' ELSE 'editorial' END AS type,
                   CAST(floor(5000 * pow(u(i, 4), 2)) AS INTEGER) AS src,
                   11 + CAST(floor(26 * pow(u(i, 5), 1.6)) AS INTEGER) AS field_id,
                   u(i, 6) < 0.01 AS is_paratext,
                   CAST(floor(N_INST_ * pow(u(i, 7), 1.5)) AS INTEGER) AS home,
                   1 + CAST(floor(5 * pow(u(i, 8), 1.3)) AS INTEGER) AS n_auth
            FROM range({n_works}) r(i)""".replace("N_INST_", str(N_INST)))
        copy("works", f"""
            SELECT {_select_list('works', dict(
                work_id="work_id", publication_year="year", type="type", source_id="'S' || src",
                source_type="CASE WHEN src % 20 = 0 THEN 'conference' ELSE 'journal' END",
                is_retracted="false", is_paratext="is_paratext", field_id="field_id",
                subfield_id="field_id * 100 + CAST(floor(8 * u(i, 9)) AS INTEGER)",
                domain_id="CASE WHEN field_id = 33 THEN 2 ELSE 3 END", data_source="'bench'", input_id="0"))}
            FROM w""")
        con.execute(f"""
            CREATE TABLE a AS
            SELECT w.i, w.work_id, p AS pos, w.home, 'A' || (hash(w.i * 31 + p) % {max(10, n_works * 3 // 2)}) AS author_id
            FROM w, range(5) r(p) WHERE p < w.n_auth""")
        copy("authorships", f"""
            SELECT {_select_list('authorships', dict(work_id="work_id", author_position="pos", author_id="author_id"))}
            FROM a""")
        # institution of an authorship: the work's home institution (nearby ids), 25 % a random foreign one; 5 % have
        # a second institution; 3 % have none (and get a country-only affiliation instead)
        con.execute(f"""
            CREATE TABLE ai AS
            SELECT work_id, pos,
                   'I' || CASE WHEN u(i * 7 + pos, 10) < 0.25 THEN CAST(floor({N_INST} * u(i * 7 + pos, 11)) AS INTEGER)
                               ELSE (home + pos) % {N_INST} END AS institution_id
            FROM a WHERE u(i * 7 + pos, 12) >= 0.03
            UNION ALL
            SELECT work_id, pos, 'I' || CAST(floor({N_INST} * u(i * 7 + pos, 13)) AS INTEGER)
            FROM a WHERE u(i * 7 + pos, 12) >= 0.03 AND u(i * 7 + pos, 14) < 0.05""")
        con.execute(f"CREATE TABLE inst AS SELECT * FROM read_parquet('{w.path('institutions')}')")
        copy("authorship_institutions", f"""
            SELECT DISTINCT {_select_list('authorship_institutions', dict(
                work_id="work_id", author_position="pos", institution_id="institution_id"))} FROM ai""")
        copy("authorship_countries", f"""
            SELECT DISTINCT {_select_list('authorship_countries', dict(
                work_id="work_id", author_position="pos", country_code="cc"))}
            FROM (SELECT ai.work_id, ai.pos, inst.country_code AS cc FROM ai JOIN inst USING (institution_id)
                  UNION ALL
                  SELECT a.work_id, a.pos, c.cc FROM a JOIN countries c
                    ON c.k = 1 + CAST(floor(60 * pow(u(a.i * 7 + a.pos, 15), 2.5)) AS INTEGER)
                  WHERE u(a.i * 7 + a.pos, 12) < 0.03)""")
        # references: 0–8 per work to uniformly chosen works (~4 per work; heavy ties among citation counts)
        copy("references", f"""
            SELECT DISTINCT {_select_list('references', dict(work_id="'W' || i", cited_work_id="'W' || j"))}
            FROM (SELECT i, CAST(floor({n_works} * pow(u(i * 11 + k, 16), 0.7)) AS BIGINT) AS j
                  FROM w, range(8) r(k) WHERE k < CAST(floor(9 * u(i, 17)) AS INTEGER))""")
        w.publish({"inputs": [{"source": "bench"}], "counts": {"read": n_works, "kept": n_works, "rejected": 0},
                   "simulated": True})
    con.close()


HAND_SQL = """
-- document set: NISTEP profile (article/review in a journal, not paratext/retracted, no social sciences but psychology)
CREATE TEMP TABLE d AS
SELECT work_id, publication_year AS y, field_id, subfield_id FROM works
WHERE type IN ('article', 'review') AND source_type = 'journal'
  AND coalesce(NOT is_paratext, true) AND coalesce(NOT is_retracted, true)
  AND (domain_id IS NULL OR domain_id <> 2 OR field_id = 32);
-- affiliation units: institutions with a country, plus one pseudo-unit per uncovered authorship country
CREATE TEMP TABLE iu AS
SELECT ai.work_id, ai.author_position AS pos, 'I:' || ai.institution_id AS unit_id,
       CASE upper(i.country_code) WHEN 'HK' THEN 'CN' WHEN 'MO' THEN 'CN' ELSE upper(i.country_code) END AS country
FROM authorship_institutions ai JOIN institutions i USING (institution_id)
WHERE i.country_code IS NOT NULL AND i.country_code <> '';
CREATE TEMP TABLE units AS
SELECT * FROM iu
UNION ALL
SELECT ac.work_id, ac.pos,
       'R:' || ac.country || ':' || CASE WHEN a.raw_affiliation_strings IS NULL OR len(a.raw_affiliation_strings) = 0
            THEN '#' || CAST(ac.pos AS VARCHAR) ELSE array_to_string(list_sort(a.raw_affiliation_strings), ' | ') END,
       ac.country
FROM (SELECT DISTINCT work_id, author_position AS pos,
             CASE upper(country_code) WHEN 'HK' THEN 'CN' WHEN 'MO' THEN 'CN' ELSE upper(country_code) END AS country
      FROM authorship_countries WHERE country_code IS NOT NULL AND country_code <> '') ac
LEFT JOIN authorships a ON a.work_id = ac.work_id AND a.author_position = ac.pos
WHERE NOT EXISTS (SELECT 1 FROM iu WHERE iu.work_id = ac.work_id AND iu.pos = ac.pos AND iu.country = ac.country);
CREATE TEMP TABLE wc AS
SELECT work_id, country, count(*) OVER (PARTITION BY work_id) AS k
FROM (SELECT DISTINCT work_id, country FROM units) s;
-- citations: citing universe article/review/book-chapter, not paratext, self-citations included, no window
CREATE TEMP TABLE cit AS
SELECT d.*, coalesce(c.n, 0) AS c
FROM d LEFT JOIN (
  SELECT r.cited_work_id, count(*) AS n FROM "references" r
  JOIN works q ON q.work_id = r.work_id
  WHERE r.work_id <> r.cited_work_id AND q.type IN ('article', 'review', 'book-chapter') AND coalesce(NOT q.is_paratext, true)
  GROUP BY 1) c ON c.cited_work_id = d.work_id;
-- CWTS top 10 % by field x year: integer comparisons
CREATE TEMP TABLE tiers AS
SELECT field_id, y, c, n_eq, n, n_ge - n_eq AS n_gt FROM (
  SELECT field_id, y, c, n_eq, sum(n_eq) OVER (PARTITION BY field_id, y) AS n,
         sum(n_eq) OVER (PARTITION BY field_id, y ORDER BY c DESC ROWS UNBOUNDED PRECEDING) AS n_ge
  FROM (SELECT field_id, y, c, count(*) AS n_eq FROM cit WHERE field_id IS NOT NULL GROUP BY ALL));
CREATE TEMP TABLE scored AS
SELECT cit.*, CASE WHEN 10 * t.n - 100 * t.n_gt <= 0 THEN 0.0 WHEN 10 * t.n - 100 * t.n_gt >= 100 * t.n_eq THEN 1.0
                   ELSE (10 * t.n - 100 * t.n_gt)::DOUBLE / (100 * t.n_eq) END AS top,
       CASE WHEN m.tcs = 0 THEN 1.0 ELSE (cit.c * m.n)::DOUBLE / m.tcs END AS ncs
FROM cit LEFT JOIN tiers t USING (field_id, y, c)
LEFT JOIN (SELECT subfield_id, y, sum(c) AS tcs, count(*) AS n FROM cit WHERE subfield_id IS NOT NULL GROUP BY ALL) m
  USING (subfield_id, y);
"""

# which temp tables of HAND_SQL each query needs (for the standalone, no-sharing timing)
NEEDS = {
    "papers": ("d", "iu", "units"),
    "top_papers": ("d", "iu", "units", "wc", "cit", "tiers", "scored"),
    "international_coauthorship": ("d", "iu", "units", "wc"),
    "impact": ("d", "iu", "units", "wc", "cit", "tiers", "scored"),
}


def _steps() -> dict[str, str]:
    """HAND_SQL split into its CREATE TEMP TABLE statements, by table name."""
    out = {}
    for stmt in HAND_SQL.split(";"):
        body = "\n".join(line for line in stmt.strip().splitlines() if not line.strip().startswith("--"))
        if body.strip():
            name = body.split("CREATE TEMP TABLE", 1)[1].split()[0]
            out[name] = body
    return out


HAND_QUERIES = {
    "papers": """
        WITH du AS (SELECT DISTINCT u.work_id, u.unit_id, u.country FROM units u SEMI JOIN d USING (work_id)),
        per AS (SELECT work_id, country, count(*) AS k FROM du GROUP BY ALL),
        wts AS (SELECT work_id, country, k::DOUBLE / sum(k) OVER (PARTITION BY work_id) AS w FROM per)
        SELECT country, y AS year, sum(w) AS p FROM wts JOIN d USING (work_id) GROUP BY ALL""",
    "top_papers": """
        SELECT country, y AS year, count(*)::DOUBLE AS p, sum(coalesce(top, 0)) AS p_top
        FROM wc JOIN scored USING (work_id) GROUP BY ALL""",
    "international_coauthorship": """
        SELECT country, y AS year, count(*) AS p, count(*) FILTER (WHERE k >= 2) AS p_international
        FROM wc JOIN d USING (work_id) GROUP BY ALL
        UNION ALL
        SELECT 'WLD', y, count(*), count(*) FILTER (WHERE k >= 2)
        FROM (SELECT DISTINCT work_id, k FROM wc) JOIN d USING (work_id) GROUP BY ALL""",
    "impact": """
        SELECT country, y AS year, sum(ncs) / count(ncs) AS mncs FROM wc JOIN scored USING (work_id) GROUP BY ALL
        UNION ALL
        SELECT 'WLD', y, sum(ncs) / count(ncs) FROM scored GROUP BY ALL""",
}

JUNKAN_RUNS = {
    "papers": dict(counting="fractional"),
    "top_papers": dict(method="cwts"),
    "international_coauthorship": {},
    "impact": {},
}
COMPARE = {"papers": ["p"], "top_papers": ["p", "p_top"], "international_coauthorship": ["p", "p_international"],
           "impact": ["mncs"]}


def run_junkan(root: Path, threads: int, cache: bool = True) -> tuple[float, dict]:
    eng = connect(root, backend="duckdb", threads=threads)
    eng.cache_intermediates = cache  # shared intermediates as temporary tables, once per engine (Engine.cached)
    out, t0 = {}, time.perf_counter()
    for name, opts in JUNKAN_RUNS.items():
        out[name] = run(eng, name, **opts).table
    elapsed = time.perf_counter() - t0
    eng.close()
    return elapsed, out


def run_sql(root: Path, threads: int) -> tuple[float, dict]:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    vdir = root / "versions" / (root / "CURRENT").read_text().strip()
    t0 = time.perf_counter()
    for name in TABLES:
        if (vdir / (name + ".parquet")).exists():  # stores written before a table was added lack its file
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet(\'{vdir / (name + ".parquet")}\')')
    con.execute(HAND_SQL)
    out = {name: con.execute(q).to_arrow_table() for name, q in HAND_QUERIES.items()}
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed, out


def run_sql_standalone(root: Path, threads: int) -> dict[str, float]:
    """Each query alone in a fresh connection, computing only the temp tables it needs (no sharing)."""
    steps = _steps()
    vdir = root / "versions" / (root / "CURRENT").read_text().strip()
    times = {}
    for name, q in HAND_QUERIES.items():
        con = duckdb.connect()
        con.execute(f"SET threads = {threads}")
        t0 = time.perf_counter()
        for tname in TABLES:
            if (vdir / (tname + ".parquet")).exists():
                con.execute(f'CREATE VIEW "{tname}" AS SELECT * FROM read_parquet(\'{vdir / (tname + ".parquet")}\')')
        for step in NEEDS[name]:
            con.execute(steps[step])
        con.execute(q).to_arrow_table()
        times[name] = time.perf_counter() - t0
        con.close()
    return times


def run_junkan_each(root: Path, threads: int) -> dict[str, float]:
    times = {}
    for name, opts in JUNKAN_RUNS.items():
        eng = connect(root, backend="duckdb", threads=threads)
        t0 = time.perf_counter()
        run(eng, name, **opts)
        times[name] = time.perf_counter() - t0
        eng.close()
    return times


def compare(j: dict, s: dict) -> int:
    """Value-by-value comparison (rel 1e-9); returns the number of compared values."""
    n = 0
    for name, cols in COMPARE.items():
        jr = {(r["country"], r["year"]): r for r in j[name].to_pylist()}
        sr = {(r["country"], r["year"]): r for r in s[name].to_pylist()}
        if jr.keys() != sr.keys():
            raise SystemExit(f"{name}: different rows ({len(jr)} vs {len(sr)})")
        for k, r in sr.items():
            for c in cols:
                a, b = jr[k][c], r[c]
                if not math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12):
                    raise SystemExit(f"{name} {k} {c}: junkan {a} != SQL {b}")
                n += 1
    return n


def bench(n_works: int, workdir: Path, threads: int, repeat: int, suite: bool, standalone: bool = True,
          cache: bool = True) -> dict:
    root = workdir / f"store-{n_works}"
    if not (root / "CURRENT").exists():
        t0 = time.perf_counter()
        generate(root, n_works, threads=threads)
        print(f"[{n_works:,} works] generated store in {time.perf_counter() - t0:.1f} s", flush=True)
    tj, ts = [], []
    for _ in range(repeat):
        t, jout = run_junkan(root, threads, cache)
        tj.append(t)
        t, sout = run_sql(root, threads)
        ts.append(t)
    checked = compare(jout, sout)
    res = {"n": n_works, "junkan": min(tj), "sql": min(ts), "checked": checked}
    print(f"[{n_works:,} works] junkan (Ibis→DuckDB{'' if cache else ', no cache'}) {min(tj):.2f} s | hand-written SQL script {min(ts):.2f} s | "
          f"ratio {min(tj) / min(ts):.2f} | {checked:,} values equal (rel 1e-9)", flush=True)
    # the script shares its temp tables between the four queries; junkan recomputes per indicator. Per indicator,
    # each side from scratch:
    if not standalone:
        return res
    je, se = run_junkan_each(root, threads), run_sql_standalone(root, threads)
    for name in HAND_QUERIES:
        print(f"    {name:28s} junkan {je[name]:6.2f} s | standalone SQL {se[name]:6.2f} s | "
              f"ratio {je[name] / se[name]:.2f}", flush=True)
    print(f"    {'sum':28s} junkan {sum(je.values()):6.2f} s | standalone SQL {sum(se.values()):6.2f} s | "
          f"ratio {sum(je.values()) / sum(se.values()):.2f}", flush=True)
    if suite:
        eng = connect(root, backend="duckdb", threads=threads)
        total = 0.0
        for name in REGISTRY:
            opts = {"partners": dict(focus="JP", years="2018-2023"), "partner_fields": dict(focus="JP", years="2023"),
                    "venue_papers": dict(sources="S20,S40")}.get(name, {})
            if name in ("work_credits", "work_scores"):
                opts = {**opts, "years": "2023"}
            t0 = time.perf_counter()
            r = run(eng, name, **opts)
            dt = time.perf_counter() - t0
            total += dt
            print(f"    {name:28s} {dt:7.2f} s  {r.table.num_rows:>9,} rows", flush=True)
        print(f"    {'suite total':28s} {total:7.2f} s", flush=True)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=2_000_000)
    ap.add_argument("--scaling", action="store_true", help="also run at works/10 and print the 10x scaling ratio")
    ap.add_argument("--suite", action="store_true", help="also time every registered indicator")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-standalone", dest="standalone", action="store_false",
                    help="skip the per-indicator from-scratch timings")
    ap.add_argument("--no-cache", dest="cache", action="store_false",
                    help="junkan without its per-engine cache of shared intermediates (A/B)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "junkan-bench")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    if args.scaling:
        results.append(bench(args.works // 10, args.workdir, args.threads, args.repeat, False, args.standalone,
                             args.cache))
    results.append(bench(args.works, args.workdir, args.threads, args.repeat, args.suite, args.standalone, args.cache))
    if args.scaling:
        small, big = results
        print(f"10x scaling: junkan {big['junkan'] / small['junkan']:.1f}x time, "
              f"SQL {big['sql'] / small['sql']:.1f}x time "
              f"({small['n']:,} → {big['n']:,} works)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
