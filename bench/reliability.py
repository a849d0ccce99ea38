"""Reliability bench (issue 11): fuzzed readers at volume, repeated SIGKILLs, determinism at size, dashboard load.

    python bench/reliability.py                       # everything, the documented sizes (about 15-25 min on 2 cores)
    python bench/reliability.py --only fuzz-openalex,fuzz-exports --records 100000
    python bench/reliability.py --only sigkill --kill-works 60000 --kills 10
    python bench/reliability.py --only dashboard --works 50000 --clients 16 --seconds 60
    python bench/reliability.py --out figures.json    # also write the figures as JSON

Parts (each prints one JSON object; ``--out`` collects them):

- ``fuzz-openalex``: ``--records`` mutated OpenAlex records (tests/reliability/fuzz.py: real and synthetic records
  with fields replaced or deleted, bytes flipped, odd Unicode, huge numbers, deep nesting, duplicates, blank and
  garbage lines) in JSON Lines, gzip, truncated gzip and API pages, ingested in one run; the oracle checks every
  line (violations must be 0) and the accounting (read = kept + rejected).
- ``fuzz-exports``: ``--records`` records per reader (Scopus CSV, WoS tab-delimited, WoS plain text, OpenAlex web
  CSV), in files of 200, half with the structure intact (every record read, unmodified ones kept), half with bytes
  mutated; crashes (any exception but a file-level BadInputError) and oracle violations are counted. The cell values
  known to crash the readers (export_fuzz.KNOWN_CRASHES) are then tried alone and the crashing files counted.
- ``sigkill``: an ingest of ``--kill-works`` works in 12 snapshot parts into a store that holds a previous version,
  killed with SIGKILL ``--kills`` times at random moments (uniform over 2-98 % of an uninterrupted run), each time
  rerun; a reader thread opens, verifies and reads the store throughout. The final content hash must equal an
  uninterrupted run's.
- ``determinism``: a world of ``--works`` works (seed 1) ingested with 1 and 2 threads: the content hashes, and every
  indicator and mobility output computed on each (DuckDB, 2 threads), must be identical.
- ``dashboard``: the dashboard over that store (uvicorn on loopback), ``--clients`` concurrent clients for
  ``--seconds`` seconds over the JSON endpoints: requests, errors, p50/p95/max; then ``--hostile`` random hostile
  requests (tests/reliability/test_dashboard.py's vocabulary): 5xx answers must be 0.

Every random step is seeded (``--seed``). Load average before and after each part is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fuzzers live in tests/reliability (shared with the CI tests)
    sys.path.insert(0, str(ROOT))

PARTS = ("fuzz-openalex", "fuzz-exports", "sigkill", "determinism", "dashboard")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def fuzz_openalex(d: Path, records: int, seed: int) -> dict[str, Any]:
    from junkan.sources.openalex import ingest
    from tests.reliability.fuzz import check_ingest, fuzz_lines, fuzz_records, write_lines

    rng = random.Random(seed)
    per, files, plan = 5000, [], []
    n_pages = records // 10  # 10 % as API pages of 500 records
    n_lines = records - n_pages
    k = 0
    while k < n_lines:
        n = min(per, n_lines - k)
        lines = fuzz_lines(random.Random(rng.random()), n, start_id=1 + k)
        container = ("jsonl", "gz", "gz-truncated")[len(files) % 3]
        f = write_lines(d / "in" / f"part_{len(files):04d}.jsonl{'.gz' if container != 'jsonl' else ''}", lines,
                        gz=container != "jsonl", truncate_gz=rng.randint(1, 500) if container == "gz-truncated" else None)
        files.append(f)
        plan.append((f, lines, container != "gz-truncated"))
        k += n
    pages = []
    for j in range(0, n_pages, 500):
        recs = fuzz_records(random.Random(rng.random()), min(500, n_pages - j), start_id=10_000_000 + j)
        f = d / "in" / f"page_{j // 500:04d}.json"
        f.write_text(json.dumps({"meta": {}, "results": [r for r, _, _ in recs]}), encoding="utf-8")
        files.append(f)
        pages.append((f, recs))
    t0 = time.perf_counter()
    rep = ingest(files, d / "store", threads=2)
    elapsed = time.perf_counter() - t0
    violations: list[str] = []
    for f, lines, complete in plan:
        violations += [f"{f.name}: {v}" for v in check_ingest(lines, f, rep, complete=complete)]
    by_path = {i["path"]: i for i in rep.inputs}
    for f, recs in pages:
        i = by_path[str(f.resolve())]
        if i["read"] not in (len(recs), 1) or i["read"] != i["kept"] + i["rejected"]:  # 1: a page with NaN is not JSON
            violations.append(f"{f.name}: read {i['read']} kept {i['kept']} rejected {i['rejected']} of {len(recs)}")
    generated = sum(len(p[1]) for p in plan) + sum(len(p[1]) for p in pages)
    return {"part": "fuzz-openalex", "records_generated": generated, "files": len(files), "read": rep.read, "kept": rep.kept,
            "rejected": rep.rejected, "reconciles": rep.reconciles, "rejected_by_reason": rep.rejected_by_reason,
            "violations": len(violations), "first_violations": violations[:10], "seconds": round(elapsed, 1),
            "records_per_s": round(rep.read / elapsed)}


def fuzz_exports(d: Path, records: int, seed: int) -> list[dict[str, Any]]:
    import logging

    import tests.reliability.export_fuzz as ef
    from junkan.errors import BadInputError

    logging.getLogger("junkan").setLevel(logging.ERROR)
    out = []
    for name, fmt in ef.FORMATS.items():
        rng = random.Random(f"{seed}-{name}")
        crashes: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        violations: list[str] = []
        read = kept = rejected = files = 0
        t0 = time.perf_counter()
        k = 0
        while k < records:
            n = min(200, records - k)
            raw = files % 2 == 1
            data, expect = ef.fuzz_export(fmt, random.Random(rng.random()), n, raw=raw, start_id=1 + k)
            path = d / f"{name}-{files}{fmt.suffix}"
            path.write_bytes(data)
            files += 1
            k += n
            try:
                b = fmt.reader()(path)
            except BadInputError as exc:
                refused[str(exc).split(": ", 1)[-1][:60]] += 1
                continue
            except Exception as exc:  # noqa: BLE001 - a crash is what is counted here
                crashes[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                continue
            finally:
                path.unlink()
            read, kept, rejected = read + b.read, kept + b.kept, rejected + b.rejected.num_rows
            violations += [f"{name} file {files}: {v}" for v in ef.check_batch(b, path, None if raw else expect)]
        elapsed = time.perf_counter() - t0
        # the known crashing values, alone: how many files of 200 records they crash
        known: Counter[str] = Counter()
        saved = ef.KNOWN_CRASHES
        ef.KNOWN_CRASHES = ()
        try:
            for j in range(20):
                data, _ = ef.fuzz_export(fmt, random.Random(f"known-{j}"), 200)
                path = d / f"{name}-known{fmt.suffix}"
                path.write_bytes(data)
                try:
                    fmt.reader()(path)
                except BadInputError:
                    pass
                except Exception as exc:  # noqa: BLE001
                    known[type(exc).__name__] += 1
        finally:
            ef.KNOWN_CRASHES = saved
        out.append({"part": "fuzz-exports", "reader": name, "records_generated": records, "files": files, "read": read,
                    "kept": kept, "rejected": rejected, "crashes": sum(crashes.values()), "crash_kinds": dict(crashes),
                    "files_refused": dict(refused), "violations": len(violations), "first_violations": violations[:5],
                    "seconds": round(elapsed, 1), "records_per_s": round(records / elapsed),
                    "known_crash_values_files_crashed_of_20": dict(known)})
    return out


KILL_SCRIPT = "import sys; from junkan.sources.openalex import ingest; ingest(sys.argv[2:], sys.argv[1], threads=2)"


def sigkill(d: Path, works: int, kills: int, seed: int) -> dict[str, Any]:
    from junkan.sources.openalex import ingest
    from junkan.store import open_store
    from tests.sources.oa_records import work, write_jsonl

    base = write_jsonl(d / "base.jsonl", [work(i) for i in range(1, 2001)])
    per = works // 12
    for p in range(12):
        write_jsonl(d / "snap" / f"updated_date=2024-{1 + p // 4:02d}-01" / f"part_{p:03d}.gz",
                    [work(i, refs=(i - 1, i + 7), updated=f"2024-{1 + p // 4:02d}-01T00:00:00") for i in range(1000 + p * per, 1000 + (p + 1) * per)],
                    gz=True)
    ingest([base], d / "v1")
    shutil.copytree(d / "v1", d / "reference")
    shutil.copytree(d / "v1", d / "crashed")
    v1 = open_store(d / "v1")
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(d / "reference"), str(d / "snap")], check=True)
    duration = time.monotonic() - t0
    final = open_store(d / "reference").manifest["content_hash"]
    rng = random.Random(seed)
    polls, reader_errors, seen = [0], [], set()
    stop, lock = threading.Event(), threading.Lock()
    store = d / "crashed"

    def reader() -> None:  # opens, verifies and reads the published version all the time
        while not stop.is_set():
            with lock:
                try:
                    s = open_store(store)
                    s.verify()
                    seen.add(s.manifest["content_hash"])
                    polls[0] += 1
                except Exception as exc:  # noqa: BLE001
                    reader_errors.append(repr(exc))
            time.sleep(0.02)

    th = threading.Thread(target=reader)
    th.start()
    landed = finished = wrong = resumed = 0
    at = []
    try:
        for _ in range(kills):
            if open_store(store).manifest["content_hash"] == final:  # the last run completed: start again from v1
                with lock:
                    shutil.rmtree(store)
                    shutil.copytree(d / "v1", store)
            frac = rng.uniform(0.02, 0.98)
            resumed += (store / "work").exists()
            proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(store), str(d / "snap")])
            time.sleep(frac * duration)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                landed += 1
                at.append(round(frac, 2))
            proc.wait()
            s = open_store(store)
            s.verify()
            if s.version == v1.version:
                wrong += s.manifest["content_hash"] != v1.manifest["content_hash"]
            else:
                finished += 1
                wrong += s.manifest["content_hash"] != final
        rerun = ingest([d / "snap"], store)
    finally:
        stop.set()
        th.join()
    done = open_store(store)
    done.verify()
    return {"part": "sigkill", "works": per * 12, "uninterrupted_s": round(duration, 1), "kills_sent": landed,
            "kill_points_fraction": at, "runs_resuming_a_killed_one": resumed,
            "runs_that_finished_before_the_kill": finished, "wrong_hash_after_kill": wrong,
            "reader_polls": polls[0], "reader_errors": len(reader_errors), "first_reader_errors": reader_errors[:3],
            "hashes_seen_by_reader": len(seen), "final_hash_equals_uninterrupted": done.manifest["content_hash"] == final,
            "rerun_reconciles": rerun.reconciles, "unfinished_left": len(list((store / "versions").glob(".v*.tmp")))}


def _world(d: Path, works: int) -> tuple[Path, Path]:
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    if not (d / "s1" / "CURRENT").exists():
        simulate(d / "world", works=works, seed=1)
        ingest([d / "world" / "data"], d / "s1", threads=1)
        ingest([d / "world" / "data"], d / "s2", threads=2)
    return d / "s1", d / "s2"


def determinism(d: Path, works: int) -> dict[str, Any]:
    from junkan import indicators, mobility
    from junkan.engine import connect
    from junkan.store import open_store

    s1, s2 = _world(d, works)
    same_hash = open_store(s1).manifest["content_hash"] == open_store(s2).manifest["content_hash"]
    from junkan.testing import assert_tables_equal

    e1, e2, e3 = connect(s1, threads=1), connect(s2, threads=1), connect(s2, threads=2)
    differ, beyond, last_bits, maxrel = [], [], [], 0.0
    t0 = time.perf_counter()
    outputs = [(indicators, n) for n in indicators.REGISTRY] + [(mobility, n) for n in mobility.REGISTRY]
    for mod, name in outputs:
        spec = mod.REGISTRY[name]
        opts = {"name_pattern": "%Lecture Notes%"} if name == "venue_papers" else (
            {"focus": "JP"} if any(o.name == "focus" for o in spec.options) else {})
        a, b, c = (mod.run(e, name, **opts).table for e in (e1, e2, e3))
        label = f"{mod.__name__.rsplit('.', 1)[-1]} {name}"
        if not a.equals(b):  # twin stores, same thread count: must be bit for bit
            differ.append(label)
        if not a.equals(c):  # another thread count: floats summed in another order
            last_bits.append(label)
            keys = [k for k in spec.keys if k in a.column_names] or a.column_names
            try:
                assert_tables_equal(a, c, keys=keys, rtol=1e-12)
            except AssertionError as exc:
                beyond.append(f"{label}: {str(exc).splitlines()[0][:120]}")
            maxrel = max(maxrel, _max_rel(a, c, keys))
    return {"part": "determinism", "works": works, "content_hash_ingest_threads_1_vs_2_equal": same_hash,
            "outputs_compared": len(outputs), "outputs_differing_same_threads": differ,
            "outputs_with_float_last_bit_differences_threads_1_vs_2": last_bits,
            "outputs_differing_beyond_rtol_1e-12": beyond, "max_relative_difference": maxrel,
            "seconds": round(time.perf_counter() - t0, 1)}


def _max_rel(a: Any, b: Any, keys: list[str]) -> float:
    import numpy as np
    import pyarrow as pa

    if a.num_rows != b.num_rows or a.num_rows == 0:
        return float("nan") if a.num_rows != b.num_rows else 0.0
    a, b = a.sort_by([(k, "ascending") for k in keys]), b.sort_by([(k, "ascending") for k in keys])
    m = 0.0
    for col in a.column_names:
        if pa.types.is_floating(a.schema.field(col).type):
            x = a[col].to_numpy(zero_copy_only=False).astype(float)
            y = b[col].to_numpy(zero_copy_only=False).astype(float)
            ok = ~(np.isnan(x) | np.isnan(y))
            if ok.any():
                m = max(m, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(np.abs(x[ok]), 1e-300))))
    return m


def dashboard(d: Path, works: int, clients: int, seconds: float, hostile: int, seed: int) -> dict[str, Any]:
    from urllib.parse import quote

    from fastapi.testclient import TestClient

    from junkan.web import Dashboard, create_app
    from tests.reliability.test_dashboard import NASTY, PARAMS, load_test

    s1, _ = _world(d, works)
    dash = Dashboard(s1, cache_dir=d / "web-cache", threads=2)
    t0 = time.perf_counter()
    dash.precompute()
    pre = time.perf_counter() - t0
    res = load_test(dash, clients=clients, seconds=seconds)
    rng = random.Random(seed)
    client = TestClient(create_app(dashboard=dash), raise_server_exceptions=False)
    statuses: Counter[int] = Counter()
    bad = []
    bases = ["/", "/overview", "/api/meta", "/api/pages/overview", "/api/pages/mobility", "/download/", "/api/charts/", "/static/"]
    for _ in range(hostile):
        base = rng.choice(bases)
        if base.endswith("/") and base != "/":
            base += quote(rng.choice(NASTY).encode("utf-8", "surrogatepass"), safe="") + rng.choice(["", ".csv", ".json", ".png"])
        q = "&".join(f"{rng.choice(PARAMS)}={quote(rng.choice(NASTY).encode('utf-8', 'surrogatepass'), safe='')}"
                     for _ in range(rng.randint(0, 4)))
        url = base + ("?" + q if q else "")
        r = client.get(url, headers={"Accept": "text/html"} if rng.random() < 0.3 else {})
        statuses[r.status_code] += 1
        if r.status_code >= 500 or "Traceback" in r.text:
            bad.append(url)
    return {"part": "dashboard", "works": works, "precompute_s": round(pre, 1), **res,
            "hostile_requests": hostile, "hostile_statuses": dict(sorted(statuses.items())), "hostile_5xx_or_traceback": len(bad),
            "first_bad": bad[:5]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    ap.add_argument("--records", type=int, default=100_000, help="fuzzed records per reader (default 100000)")
    ap.add_argument("--kill-works", type=int, default=60_000, help="works ingested in the SIGKILL loop")
    ap.add_argument("--kills", type=int, default=10, help="SIGKILLs sent")
    ap.add_argument("--works", type=int, default=50_000, help="works of the simulated world (determinism, dashboard)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--hostile", type=int, default=5000, help="random hostile requests")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--out", type=Path, default=None, help="also write the figures here as JSON")
    a = ap.parse_args(argv)
    parts = [p.strip() for p in a.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        ap.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
    base = a.dir or Path(tempfile.mkdtemp(prefix="junkan-rel-"))
    base.mkdir(parents=True, exist_ok=True)
    figures: list[dict[str, Any]] = []
    try:
        for part in parts:
            d = base / part if part not in ("determinism", "dashboard") else base / "world"
            d.mkdir(parents=True, exist_ok=True)
            load0, t0 = _load(), time.perf_counter()
            if part == "fuzz-openalex":
                res: Any = fuzz_openalex(d, a.records, a.seed)
            elif part == "fuzz-exports":
                res = fuzz_exports(d, a.records, a.seed)
            elif part == "sigkill":
                res = sigkill(d, a.kill_works, a.kills, a.seed)
            elif part == "determinism":
                res = determinism(d, a.works)
            else:
                res = dashboard(d, a.works, a.clients, a.seconds, a.hostile, a.seed)
            for r in res if isinstance(res, list) else [res]:
                r.update(load_before=load0, load_after=_load(), part_wall_s=round(time.perf_counter() - t0, 1))
                figures.append(r)
                print(json.dumps(r, ensure_ascii=False), flush=True)
    finally:
        if a.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    if a.out:
        a.out.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
