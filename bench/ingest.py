"""Ingest throughput: junkan's OpenAlex ingest against DuckDB's raw read_json with explicit columns.

Generates OpenAlex-shaped JSONL.gz (the embedded real records as templates, with new ids, years and
countries; abstracts dropped so that records average about OpenAlex's real ~6 KB), then, in one run:

1. baseline: DuckDB ``read_json(files, columns={junkan's explicit schema})`` materialised into a table
   (threads = 2), i.e. the raw read that any ingest must at least do;
2. junkan: ``junkan.sources.openalex.ingest`` of the same files into a new store (validation, staging,
   merge, 14 canonical tables sorted by key, checksums, atomic publish).

Prints records/s for both, the ratio (baseline time / junkan time; target >= 0.8) and peak RSS of each
(measured in a fresh child process). Run by hand:  python bench/ingest.py --works 200000
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

TEMPLATE_DROP = ("abstract_inverted_index", "concepts", "mesh", "locations", "related_works", "counts_by_year", "keywords")


def _templates() -> list[dict]:
    from importlib import resources

    root = resources.files("junkan") / "data" / "openalex-sample"
    with gzip.open(Path(str(root / "openalexpro_works.jsonl.gz")), "rb") as f:
        recs = [json.loads(x) for x in f.read().split(b"\n") if x.strip()]
    with gzip.open(Path(str(root / "sample100_works.json.gz")), "rb") as f:
        recs += json.loads(f.read())
    for r in recs:
        for k in TEMPLATE_DROP:
            r.pop(k, None)
    return recs


COUNTRIES = ["US", "CN", "JP", "GB", "DE", "FR", "KR", "IN", "IT", "CA", "AU", "ES", "BR", "NL", "CH"]


def _write_part(args: tuple[Path, int, int]) -> int:
    path, start, n = args
    tpl = _templates()
    size = 0
    with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as f:
        for i in range(start, start + n):
            r = dict(tpl[i % len(tpl)])
            r["id"] = f"https://openalex.org/W{1_000_000_000 + i}"
            r["publication_year"] = 2000 + i % 24
            r["publication_date"] = f"{2000 + i % 24}-01-01"
            auths = []
            for k, a in enumerate(r.get("authorships") or []):
                a = dict(a)
                a["institutions"] = [dict(x, country_code=COUNTRIES[(i + k) % len(COUNTRIES)]) for x in a.get("institutions") or []]
                auths.append(a)
            r["authorships"] = auths
            r["referenced_works"] = [f"https://openalex.org/W{1_000_000_000 + (i * 7 + j) % (start + n)}" for j in range(len(r.get("referenced_works") or []))]
            line = orjson.dumps(r) + b"\n"
            size += len(line)
            f.write(line)
    return size


def generate(out: Path, works: int, parts: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    per = -(-works // parts)
    jobs = [(out / f"part_{p:03d}.gz", p * per, min(per, works - p * per)) for p in range(parts)]
    with mp.Pool(2) as pool:
        return sum(pool.map(_write_part, jobs))


CHILD = {
    "duckdb": """
import sys, time, duckdb, glob, resource
from junkan.sources.openalex_schema import WORK_SPEC, duckdb_columns
files = sorted(glob.glob(sys.argv[1] + '/*.gz'))
cols = duckdb_columns(WORK_SPEC)
con = duckdb.connect(); con.execute('SET threads = 2'); con.execute('SET enable_progress_bar = false')
t = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, columns=" + repr(cols) + ", format='newline_delimited', maximum_object_size=268435456)", [files])
n = con.execute('SELECT count(*) FROM t').fetchone()[0]
print(time.perf_counter() - t, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""",
    "junkan": """
import json, sys, time, resource
from junkan.sources.openalex import ingest
t = time.perf_counter()
rep = ingest([sys.argv[1]], sys.argv[2], threads=2)
print(json.dumps(rep.timings))
print(time.perf_counter() - t, rep.kept, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""",
}


def run_child(kind: str, data: Path, store: Path) -> tuple[float, int, float, dict[str, float]]:
    out = subprocess.run([sys.executable, "-c", CHILD[kind], str(data), str(store)], check=True, capture_output=True, text=True).stdout
    lines = out.strip().splitlines()
    secs, n, rss_kb = lines[-1].split()
    timings = json.loads(lines[-2]) if kind == "junkan" else {}
    return float(secs), int(n), int(rss_kb) / 1024, timings


def breakdown(t: dict[str, float]) -> str:
    """Where junkan's time went, and the ratio it could reach if the merge and the publish were free.

    ``read`` (thread-seconds parsing the JSON into DuckDB) is the baseline's own work; ``flatten`` writes the
    per-input canonical tables. On the same cores the ratio cannot exceed read / (read + flatten).
    """
    bound = t["read"] / (t["read"] + t["flatten"]) if t.get("read") else float("nan")
    return (f"phases: stage {t['stage']:.2f} s wall (read {t['read']:.2f} + flatten {t['flatten']:.2f} thread-s, "
            f"flatten = {t['flatten'] / t['read']:.2f}x read), merge {t['merge']:.2f} s, publish {t['publish']:.2f} s; "
            f"ratio bound with merge and publish free: {bound:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=200_000)
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--dir", type=Path, default=None)
    a = ap.parse_args()
    tmp = a.dir or Path(tempfile.mkdtemp(prefix="junkan-bench-ingest-"))
    data = tmp / "data"
    if not data.exists():
        t = time.perf_counter()
        raw = generate(data, a.works, a.parts)
        print(f"generated {a.works:,} works, {raw / 2**20:,.0f} MiB raw, "
              f"{sum(f.stat().st_size for f in data.iterdir()) / 2**20:,.0f} MiB gz in {time.perf_counter() - t:.1f} s")
    rows = []
    for r in range(a.repeat):
        shutil.rmtree(tmp / "store", ignore_errors=True)
        d = run_child("duckdb", data, tmp / "unused")
        j = run_child("junkan", data, tmp / "store")
        rows.append((d, j))
        print(f"run {r + 1}: duckdb read_json {d[0]:.2f} s ({d[1] / d[0]:,.0f} rec/s, peak {d[2]:,.0f} MiB) | "
              f"junkan ingest {j[0]:.2f} s ({j[1] / j[0]:,.0f} rec/s, peak {j[2]:,.0f} MiB) | ratio {d[0] / j[0]:.2f}x")
        print("       " + breakdown(j[3]))
    best_d = min(x[0][0] for x in rows)
    best_j = min(x[1][0] for x in rows)
    print(json.dumps({"works": a.works, "duckdb_s": round(best_d, 2), "junkan_s": round(best_j, 2),
                      "ratio": round(best_d / best_j, 3), "junkan_peak_mib": round(max(x[1][2] for x in rows)),
                      "duckdb_peak_mib": round(max(x[0][2] for x in rows)), "cpus": os.cpu_count(),
                      "junkan_timings": {k: round(v, 2) for k, v in min(rows, key=lambda x: x[1][0])[1][3].items()}}))
    if a.dir is None:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
