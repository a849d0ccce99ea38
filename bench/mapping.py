"""Science map end to end at scale: 100k core papers and 1M citing papers on 2 cores (target: ≤ 2 minutes).

Generates a planted co-citation world (:func:`junkan.mapping.planted.planted_world`, seeded) and publishes it
as a store, then, in a fresh child process limited to 2 threads, runs ``build_map`` end to end on DuckDB:
citations and Top x% of every work (indicator core), core selection, the citing-paper links, paper
co-citation with Salton strengths (DuckDB self-join), Leiden into fronts, front co-citation (DuckDB) and
Leiden into areas, area co-citation, country participation and shares, international rates, top terms,
Sci-GEO relation and the 2D layout. Reports the wall time of each step, the peak RSS of the child process
(sampled every 50 ms, plus ``ru_maxrss``) and the recovery of the planted fronts (NMI).

Scale: ``--core 100000 --citing 1000000`` (default). The world has ``ratio`` uncited background papers per
core paper in every field-year (default 1, so core = Top 50 %, ``top_pct = 100/(ratio+1)``): the Top x%
code path is the real one, over 1.2M works; a ratio of 99 (Top 1 %) would need 10M background works.

Run by hand:  python bench/mapping.py [--core 100000 --citing 1000000 --threads 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import threading
import time
from pathlib import Path


def _child(store: str, top_pct: str, window: tuple[int, int], threads: int, out: str, truth_path: str) -> None:
    import numpy as np
    import psutil
    import pyarrow.parquet as pq

    from junkan.engine import connect
    from junkan.mapping import build_map
    from junkan.mapping.planted import nmi

    proc = psutil.Process()
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    eng = connect(store, threads=threads)
    m = build_map(eng, window=window, top_pct=top_pct)
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    truth = pq.read_table(truth_path).to_pydict()
    tf = dict(zip(truth["work_id"], truth["front"], strict=True))
    p = m.papers.to_pydict()
    inf = [(tf[w], f) for w, f in zip(p["work_id"], p["front_id"], strict=True) if f is not None and w in tf]
    res = {
        "wall_s": round(wall, 2),
        "timings_s": m.timings,
        "peak_rss_gb_sampled": round(peak[0] / 1e9, 3),
        "ru_maxrss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3),
        "summary": m.summary(),
        "links_pairs": m.provenance["links_pairs"],
        "nmi_fronts": round(nmi(np.array([a for a, _ in inf]), np.array([b for _, b in inf])), 4) if inf else None,
        "core_in_fronts": len(inf),
    }
    Path(out).write_text(json.dumps(res, indent=1, default=str))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--core", type=int, default=100_000)
    ap.add_argument("--citing", type=int, default=1_000_000)
    ap.add_argument("--ratio", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="folder to keep the generated store in")
    args = ap.parse_args()

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from junkan.mapping.planted import planted_world

    fronts = max(1, round(args.core / 8))  # 6–10 core papers per front, 8 on average
    n_areas = max(1, round(fronts / 2.5))  # 2–3 fronts per area
    citing_per_front = max(5, round(args.citing / fronts))
    work = Path(args.keep or tempfile.mkdtemp(prefix="junkan-bench-map-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    pw = planted_world(n_areas=n_areas, citing_per_front=citing_per_front, ratio=args.ratio, seed=args.seed,
                       kinds=(1.0, 0.0, 0.0))  # every area alive over the whole window
    gen = time.perf_counter() - t
    t = time.perf_counter()
    pw.store(work / "store")
    write = time.perf_counter() - t
    truth = pw.truth.filter(pc.equal(pw.truth["role"], "core")).select(["work_id", "front"])
    pq.write_table(truth, work / "truth.parquet")
    n_core = truth.num_rows
    n_cit = pw.truth.num_rows - n_core
    print(f"planted world: {n_core:,} core papers, {n_cit:,} citing papers, {pw.tables['works'].num_rows:,} works, "
          f"{pw.tables['references'].num_rows:,} links; generated in {gen:.1f} s, store written in {write:.1f} s")
    window = (2010, 2017)
    out = work / "result.json"
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_child, args=(str(work / "store"), pw.top_pct, window, args.threads, str(out), str(work / "truth.parquet")))
    p.start()
    p.join()
    if p.exitcode != 0:
        raise SystemExit(f"benchmark child failed with exit code {p.exitcode}")
    res = json.loads(out.read_text())
    res.update({"core_planted": n_core, "citing_planted": n_cit, "works": pw.tables["works"].num_rows,
                "links": pw.tables["references"].num_rows, "threads": args.threads, "cpu_count": os.cpu_count()})
    print(json.dumps(res, indent=1))
    verdict = "OK" if res["wall_s"] <= 120 else "OVER"
    print(f"end to end: {res['wall_s']} s ({verdict} vs 120 s), peak RSS {res['peak_rss_gb_sampled']} GB, NMI fronts {res['nmi_fronts']}")


if __name__ == "__main__":
    main()
