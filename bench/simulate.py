"""Benchmark of ``junkan simulate``: works per second, CPU time and peak RSS of the whole process tree.

    .venv/bin/python bench/simulate.py                 # 200k and 1M works, all cores
    .venv/bin/python bench/simulate.py 150000          # one size
    .venv/bin/python bench/simulate.py 200000 -w 1     # one worker

Each size runs in a fresh child process (the timed span is the ``simulate()`` call, imports excluded); peak
RSS is sampled every 0.1 s over the child and its workers (psutil). The machine is shared, so each line also
carries what is needed to interpret the wall-clock figure:

* ``load_before``/``load_after``: 1-minute load average;
* ``cpu_s``: user+sys CPU seconds of the child and its workers, and ``works_per_cpu_s`` (less sensitive to
  other jobs than wall time: on an idle machine with 2 workers, works/s approaches 2 x works_per_cpu_s minus
  the serial world build);
* ``yardstick_zlib1_mb_s``: in the same run, single-process speed of zlib level 1 recompressing the first
  <= 64 MB of the generated works JSON (a measure of how fast this machine was at that moment).
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import psutil

CHILD = """
import sys, time
from junkan.simulate import simulate
t = time.perf_counter()
r = simulate(sys.argv[1], works=int(sys.argv[2]), seed=0, workers=int(sys.argv[3]))
print(time.perf_counter() - t, r.authors, r.references)
"""


def _yardstick(works_dir: Path, limit: int = 64 << 20) -> float:
    """zlib level-1 MB/s (CPU time) on the first ``limit`` bytes of the generated works."""
    raw = b""
    for p in sorted(works_dir.glob("updated_date=*/part_*.gz")):
        with gzip.open(p, "rb") as fh:
            raw += fh.read(limit - len(raw))
        if len(raw) >= limit:
            break
    c = time.process_time()
    co = zlib.compressobj(1, zlib.DEFLATED, 31)
    co.compress(raw)
    co.flush()
    return len(raw) / 2**20 / max(time.process_time() - c, 1e-9)


def run(works: int, workers: int) -> dict:
    out = tempfile.mkdtemp(prefix="junkan-bench-")
    try:
        load = os.getloadavg()[0]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, os.path.join(out, "w"), str(works), str(workers)],
                                stdout=subprocess.PIPE, text=True)
        ps = psutil.Process(proc.pid)
        peak = 0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        load_after = os.getloadavg()[0]
        secs, authors, refs = proc.stdout.read().split()
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
        yard = _yardstick(Path(out) / "w" / "data" / "works")
        return {"works": works, "workers": workers, "seconds": round(float(secs), 2), "process_wall": round(wall, 2),
                "works_per_s": round(works / float(secs)), "cpu_s": round(cpu, 2),
                "works_per_cpu_s": round(works / max(cpu, 1e-9)), "peak_rss_mb": round(peak / 2**20),
                "authors": int(authors), "references": int(refs), "output_mb": round(size / 2**20, 1),
                "load_before": round(load, 2), "load_after": round(load_after, 2),
                "yardstick_zlib1_mb_s": round(yard, 1)}
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[200_000, 1_000_000])
    ap.add_argument("-w", "--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    for n in a.sizes:
        print(json.dumps(run(n, a.workers)), flush=True)


if __name__ == "__main__":
    main()
