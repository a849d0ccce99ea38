"""The measured steps of the harness. Each runs in a fresh child process (``python -m bench.steps STEP SIZE WORKDIR``)
and prints one JSON object as its last line; the parent (bench/harness.py) measures wall time and peak RSS of the
child's whole process tree and turns the metrics into figures.

Inputs are cached in WORKDIR by kind and size (``ind-<n>``: the flat indicator store of bench/indicators.py;
``ingest-<n>``: OpenAlex-shaped JSONL.gz of bench/ingest.py; ``mob-<n>``, ``map-<n>``, ``wos-<n>``), so a rerun
measures the same data. Every generator is deterministic (hash-based or seeded).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

THREADS = 2
STEPS: dict[str, Any] = {}


def _open_engine(root: Path, backend: str):
    """Connect to ``root``; on PySpark the session start-up is timed apart (returned as seconds)."""
    from junkan.engine import connect, spark_session

    if backend != "pyspark":
        return connect(root, threads=THREADS), 0.0
    t = time.perf_counter()
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t
    return connect(root, backend="pyspark", spark=spark), startup


def step(fn):
    STEPS[fn.__name__] = fn
    return fn


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_bytes(root: Path) -> int:
    vdir = root / "versions" / (root / "CURRENT").read_text().strip()
    return sum(p.stat().st_size for p in vdir.rglob("*.parquet"))


def store_uncompressed_bytes(root: Path) -> int:
    """Uncompressed size of the store's tables (Parquet row-group metadata): the data as held in memory."""
    vdir = root / "versions" / (root / "CURRENT").read_text().strip()
    total = 0
    for p in vdir.rglob("*.parquet"):
        md = pq.ParquetFile(p).metadata
        total += sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))
    return total


def _save(out: Path, tables: dict[str, pa.Table]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, t in tables.items():
        pq.write_table(t, out / f"{name}.parquet")


def load_outputs(out: Path) -> dict[str, pa.Table]:
    return {p.stem: pq.read_table(p) for p in sorted(out.glob("*.parquet"))}


# --------------------------------------------------------------------------------------------- indicator store


def ind_store(wd: Path, n: int) -> Path:
    from bench.indicators import generate

    root = wd / f"ind-{n}"
    if not (root / "CURRENT").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, n, threads=THREADS)
    return root


@step
def ind_gen(n: int, wd: Path, **_: Any) -> dict:
    t = time.perf_counter()
    root = ind_store(wd, n)
    return {"generate_s": time.perf_counter() - t, "data_mb": store_bytes(root) / 2**20,
            "uncompressed_mb": store_uncompressed_bytes(root) / 2**20}


def _run_suite(eng) -> dict[str, pa.Table]:
    from bench.indicators import JUNKAN_RUNS
    from junkan.indicators import run

    return {name: run(eng, name, **opts).table for name, opts in JUNKAN_RUNS.items()}


@step
def ind_junkan(n: int, wd: Path, memory_limit: str | None = None, tag: str = "junkan", **_: Any) -> dict:
    """The four-indicator suite of bench/indicators.py through junkan (Ibis on DuckDB), optionally memory-limited."""
    from junkan.engine import connect

    root = ind_store(wd, n)
    spill = wd / f"spill-{n}"
    shutil.rmtree(spill, ignore_errors=True)
    eng = connect(root, threads=THREADS, memory_limit=memory_limit, temp_directory=spill if memory_limit else None)
    # DuckDB's buffer-manager use (what memory_limit bounds), sampled every 5 ms from a second cursor
    cur, peak, stop = eng.con.con.cursor(), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], cur.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] or 0)
            time.sleep(0.005)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t = time.perf_counter()
    try:
        out = _run_suite(eng)
    finally:
        stop.set()
        th.join()
    secs = time.perf_counter() - t
    spilled = spill.exists() and memory_limit is not None
    eng.close()
    shutil.rmtree(spill, ignore_errors=True)
    _save(wd / f"out-{tag}-{n}", out)
    return {"seconds": secs, "rows": sum(x.num_rows for x in out.values()), "data_mb": store_bytes(root) / 2**20,
            "memory_limit": memory_limit, "duckdb_peak_mb": peak[0] / 2**20, "spilled": spilled,
            "peak_rss_self_mb": _rss_mb()}


@step
def ind_sql(n: int, wd: Path, **_: Any) -> dict:
    """The hand-written DuckDB SQL script of bench/indicators.py (shares its temp tables across the four)."""
    from bench.indicators import run_sql

    root = ind_store(wd, n)
    secs, out = run_sql(root, THREADS)
    _save(wd / f"out-sql-{n}", out)
    return {"seconds": secs, "peak_rss_self_mb": _rss_mb()}


@step
def ind_spark(n: int, wd: Path, **_: Any) -> dict:
    """The same suite on PySpark local[2]; session start-up is timed apart."""
    from junkan.engine import connect, spark_session

    root = ind_store(wd, n)
    t = time.perf_counter()
    spark = spark_session()
    spark.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t
    eng = connect(root, backend="pyspark", spark=spark)
    t = time.perf_counter()
    out = _run_suite(eng)
    secs = time.perf_counter() - t
    _save(wd / f"out-spark-{n}", out)
    spark.stop()
    return {"seconds": secs, "startup_s": startup}


# --------------------------------------------------------------------------------------------- ingest


@step
def ingest_gen(n: int, wd: Path, **_: Any) -> dict:
    from bench.ingest import generate

    data = wd / f"ingest-{n}" / "data"
    meta = wd / f"ingest-{n}" / "meta.json"
    if not meta.exists():
        shutil.rmtree(data, ignore_errors=True)
        t = time.perf_counter()
        raw = generate(data, n, max(2, -(-n // 50_000)))
        meta.write_text(json.dumps({"raw_mb": raw / 2**20, "generate_s": time.perf_counter() - t,
                                    "gz_mb": sum(f.stat().st_size for f in data.iterdir()) / 2**20}))
    return json.loads(meta.read_text())


@step
def ingest_duckdb(n: int, wd: Path, **_: Any) -> dict:
    """Baseline: DuckDB read_json with junkan's explicit columns, materialised (bench/ingest.py)."""
    import duckdb

    from junkan.sources.openalex_schema import WORK_SPEC, duckdb_columns

    files = sorted(str(p) for p in (wd / f"ingest-{n}" / "data").glob("*.gz"))
    con = duckdb.connect()
    con.execute(f"SET threads = {THREADS}")
    con.execute("SET enable_progress_bar = false")
    t = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_json(?, columns=" + repr(duckdb_columns(WORK_SPEC))
                + ", format='newline_delimited', maximum_object_size=268435456)", [files])
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    return {"seconds": time.perf_counter() - t, "rows": rows, "peak_rss_self_mb": _rss_mb()}


@step
def ingest_junkan(n: int, wd: Path, **_: Any) -> dict:
    from junkan.sources.openalex import ingest

    store = wd / f"ingest-{n}" / "store"
    shutil.rmtree(store, ignore_errors=True)
    t = time.perf_counter()
    rep = ingest([wd / f"ingest-{n}" / "data"], store, threads=THREADS)
    secs = time.perf_counter() - t
    shutil.rmtree(store, ignore_errors=True)
    return {"seconds": secs, "rows": rep.kept, "peak_rss_self_mb": _rss_mb(), "timings": rep.timings}


# --------------------------------------------------------------------------------------------- mobility


def _last_json(text: str) -> dict:
    """The last JSON object printed (one line, or an indented block ending with a line ``}``)."""
    lines = text.strip().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("{"):
            for j in range(len(lines), i, -1):
                try:
                    return json.loads("\n".join(lines[i:j]))
                except json.JSONDecodeError:
                    continue
    raise ValueError(f"no JSON object in the output: {text[-500:]!r}")


def _script(args: list[str]) -> dict:
    here = Path(__file__).resolve().parent
    res = subprocess.run([sys.executable, str(here / args[0]), *args[1:]], capture_output=True, text=True,
                         cwd=here.parent)
    if res.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stderr[-2000:]}")
    return _last_json(res.stdout)


@step
def mobility(n: int, wd: Path, **_: Any) -> dict:
    """bench/mobility.py with 3 authorships per work: trajectories + classes, then rates."""
    return _script(["mobility.py", "--authorships", str(3 * n), "--threads", str(THREADS)])


def mob_store(wd: Path, n: int) -> Path:
    from bench.mobility import generate

    root = wd / f"mob-{n}"
    if not (root / "CURRENT").exists():
        shutil.rmtree(root, ignore_errors=True)
        generate(root, 3 * n, THREADS)
    return root


@step
def mob_engine(n: int, wd: Path, backend: str = "duckdb", **_: Any) -> dict:
    """trajectories → classes on one backend (for the Spark comparison), written to Parquet."""
    from junkan.indicators.base import StoreTables
    from junkan.mobility import classes, trajectories

    root = mob_store(wd, n)
    eng, startup = _open_engine(root, backend)
    t = time.perf_counter()
    out = eng.to_pyarrow(classes(trajectories(StoreTables.from_engine(eng), profile="all")))
    secs = time.perf_counter() - t
    _save(wd / f"out-mob-{backend}-{n}", {"classes": out})
    return {"seconds": secs, "startup_s": startup, "rows": out.num_rows}


# --------------------------------------------------------------------------------------------- science map


@step
def mapping(n: int, wd: Path, **_: Any) -> dict:
    """bench/mapping.py on a planted world of about ``n`` works (1 core paper per 12 works, 10 citing)."""
    keep = wd / f"map-{n}"
    shutil.rmtree(keep, ignore_errors=True)
    res = _script(["mapping.py", "--core", str(max(100, n // 12)), "--citing", str(max(1000, n * 10 // 12)),
                   "--threads", str(THREADS), "--keep", str(keep)])
    shutil.rmtree(keep, ignore_errors=True)
    return res


def _planted(wd: Path, n: int) -> tuple[str, Path]:
    """The planted co-citation world of bench/mapping.py's shape at about ``n`` works: (top_pct, store root)."""
    from junkan.mapping.planted import planted_world

    root = wd / f"cocit-{n}"
    meta = wd / f"cocit-{n}.json"
    if not meta.exists():
        fronts = max(1, round(n / 12 / 8))
        pw = planted_world(n_areas=max(1, round(fronts / 2.5)), citing_per_front=max(5, round(n * 10 / 12 / fronts)),
                           ratio=1, seed=0, kinds=(1.0, 0.0, 0.0))
        shutil.rmtree(root, ignore_errors=True)
        pw.store(root)
        meta.write_text(json.dumps({"top_pct": str(pw.top_pct)}))
    return json.loads(meta.read_text())["top_pct"], root


@step
def cocit_engine(n: int, wd: Path, backend: str = "duckdb", **_: Any) -> dict:
    """Paper co-citation (citing links → pairs with Salton strengths) of the planted core on one backend."""
    import ibis

    from junkan.engine import connect
    from junkan.indicators.base import StoreTables
    from junkan.mapping.cocitation import citing_links, cocitation, core_papers

    top_pct, root = _planted(wd, n)
    window = (2010, 2017)
    core_path = wd / f"cocit-core-{n}.parquet"
    if not core_path.exists():  # the core is selected once, on DuckDB (the indicator parity suite covers Top x%)
        duck = connect(root, threads=THREADS)
        pq.write_table(core_papers(StoreTables.from_engine(duck), window=window, top_pct=top_pct).to_pyarrow()
                       .select(["work_id"]), core_path)
        duck.close()
    core = pq.read_table(core_path)
    eng, startup = _open_engine(root, backend)
    t = time.perf_counter()
    links = citing_links(StoreTables.from_engine(eng), ibis.memtable(core), window=window)
    pairs, cit = cocitation(links, min_cocit=2, min_strength=0.1)
    p, c = eng.to_pyarrow(pairs), eng.to_pyarrow(cit)
    secs = time.perf_counter() - t
    _save(wd / f"out-cocit-{backend}-{n}", {"pairs": p, "cit": c})
    return {"seconds": secs, "startup_s": startup, "pairs": p.num_rows, "core": core.num_rows}


# --------------------------------------------------------------------------------------------- dashboard


@step
def dashboard(n: int, wd: Path, seconds: float = 30.0, **_: Any) -> dict:
    """bench/dashboard.py (the dashboard owner's benchmark) at ``n`` works, 16 clients; its JSON without the
    per-endpoint detail. Skipped with a note when the script is not in the tree."""
    script = Path(__file__).resolve().parent / "dashboard.py"
    if not script.exists():
        return {"skipped": "bench/dashboard.py is not in the tree yet"}
    res = _script(["dashboard.py", "--works", str(n), "--clients", "16", "--seconds", str(seconds),
                   "--dir", str(wd / "dashboard"), "--threads", str(THREADS)])
    res.pop("endpoints", None)
    return res


# --------------------------------------------------------------------------------------------- peers


@step
def peer_pandas(n: int, wd: Path, **_: Any) -> dict:
    from bench.peers import pandas_peer

    secs_load, secs, out = pandas_peer(ind_store(wd, n))
    _save(wd / f"out-pandas-{n}", out)
    return {"seconds": secs + secs_load, "load_s": secs_load, "compute_s": secs, "peak_rss_self_mb": _rss_mb()}


@step
def peer_junkan(n: int, wd: Path, **_: Any) -> dict:
    from bench.peers import junkan_peer

    secs, out = junkan_peer(ind_store(wd, n))
    _save(wd / f"out-jpeer-{n}", out)
    return {"seconds": secs, "peak_rss_self_mb": _rss_mb()}


def wos_file(wd: Path, records: int) -> Path:
    from bench.peers import write_wos

    path = wd / f"wos-{records}.txt"
    if not path.exists():
        write_wos(path, records, seed=0)
    return path


@step
def mk_cocitation(n: int, wd: Path, **_: Any) -> dict:
    from bench.peers import metaknowledge_cocitation

    return {**metaknowledge_cocitation(wos_file(wd, n)), "peak_rss_self_mb": _rss_mb()}


@step
def junkan_wos_cocitation(n: int, wd: Path, **_: Any) -> dict:
    from bench.peers import junkan_wos_cocitation as run

    return {**run(wos_file(wd, n), wd / f"wos-store-{n}"), "peak_rss_self_mb": _rss_mb()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    name, n, wd = argv[0], int(argv[1]), Path(argv[2])
    opts = json.loads(argv[3]) if len(argv) > 3 else {}
    wd.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    res = STEPS[name](n, wd, **opts)
    print(json.dumps(res, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
