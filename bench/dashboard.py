"""Benchmark: dashboard JSON latency under concurrent loopback clients (issue 9: p95 ≤ 150 ms, 16 clients, 1M works).

    python bench/dashboard.py --works 1000000 --clients 16 --seconds 30 [--dir DIR] [--keep-cache]
    python bench/dashboard.py --works 200000 --seconds 10          # a quick run

Builds (or reuses) a simulated store of ``--works`` works under ``DIR/w<works>/`` (simulate + ingest, seed 1), starts
``junkan serve STORE --precompute`` in its own process on a free loopback port (so that the clients do not share an
interpreter with the server), waits until it answers, requests every JSON endpoint once, then runs ``--clients``
concurrent clients (httpx, asyncio, one connection each) that cycle through every JSON endpoint — /api/meta, every
page twin and every chart twin, for the default parameters in ja and en — for ``--seconds`` seconds. Prints one JSON
object on stdout: p50/p95/p99/max latency (ms) and errors per endpoint and overall, throughput, the time the
precompute took, and the machine load before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def build_store(root: Path, works: int) -> dict[str, float]:
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    out: dict[str, float] = {}
    if not (root / "world" / "simulation.json").exists():
        t0 = time.perf_counter()
        simulate(root / "world", works=works, seed=1)
        out["simulate_s"] = round(time.perf_counter() - t0, 1)
    if not (root / "store" / "CURRENT").exists():
        t0 = time.perf_counter()
        ingest([root / "world" / "data"], root / "store")
        out["ingest_s"] = round(time.perf_counter() - t0, 1)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list (the value below which ``q`` of the samples lie)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(-(-q * len(sorted_values) // 1)) - 1))
    return sorted_values[k]


def summarise(samples: list[float], errors: int) -> dict[str, Any]:
    v = sorted(samples)
    return {
        "n": len(v),
        "errors": errors,
        "p50_ms": round(quantile(v, 0.50) * 1000, 1),
        "p95_ms": round(quantile(v, 0.95) * 1000, 1),
        "p99_ms": round(quantile(v, 0.99) * 1000, 1),
        "max_ms": round(v[-1] * 1000, 1) if v else None,
    }


async def run_clients(
    base: str, urls: list[str], clients: int, seconds: float
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int], float]:
    lat: dict[str, list[float]] = {u: [] for u in urls}
    app: dict[str, list[float]] = {u: [] for u in urls}  # time inside the server app (Server-Timing header)
    err: dict[str, int] = {u: 0 for u in urls}
    deadline = time.perf_counter() + seconds

    async def client(i: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as c:
            k = i * 7919  # each client starts elsewhere in the endpoint list
            while time.perf_counter() < deadline:
                u = urls[k % len(urls)]
                k += 1
                t0 = time.perf_counter()
                try:
                    r = await c.get(u)
                    await r.aread()
                    ok = r.status_code == 200
                    timing = r.headers.get("server-timing", "")
                    if "dur=" in timing:
                        app[u].append(float(timing.split("dur=")[1].split(";")[0]) / 1000)
                except httpx.HTTPError:
                    ok = False
                dt = time.perf_counter() - t0
                lat[u].append(dt)
                if not ok:
                    err[u] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return lat, app, err, time.perf_counter() - t0


def _cpu(pid: int) -> tuple[float, float] | None:
    """CPU seconds (user + system) of the server process and of this (client) process."""
    try:
        import psutil
    except ImportError:
        return None
    s, c = psutil.Process(pid).cpu_times(), psutil.Process().cpu_times()
    return s.user + s.system, c.user + c.system


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--works", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "junkan-bench-dashboard")
    ap.add_argument("--keep-cache", action="store_true", help="reuse the result cache of an earlier run (default: start cold)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads of the server (default: all cores)")
    args = ap.parse_args()

    root = args.dir / f"w{args.works}"
    root.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"works": args.works, "clients": args.clients, "seconds": args.seconds, "cpus": os.cpu_count()}
    report.update(build_store(root, args.works))
    cache = root / "cache"
    if not args.keep_cache:
        shutil.rmtree(cache, ignore_errors=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "junkan", "-q", "serve", str(root / "store"), "--port", str(port),
           "--cache-dir", str(cache), "--precompute"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    report["load_before"] = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with code {server.returncode}: {server.stderr.read()[-2000:]}")
            try:
                if httpx.get(f"{base}/api/meta", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        report["precompute_s"] = round(time.perf_counter() - t0, 1)
        meta = httpx.get(f"{base}/api/meta").json()
        report["store_version"] = meta["store"]["store_version"]
        urls = []
        for lang in ("ja", "en"):
            q = f"?lang={lang}"
            urls.append(f"/api/meta{q}")
            urls += [f"/api/pages/{p['id']}{q}" for p in meta["pages"]]
            urls += [f"/api/charts/{c['id']}{q}" for c in meta["charts"]]
        statuses = {u: httpx.get(base + u, timeout=600).status_code for u in urls}  # warm (and check) every endpoint
        report["endpoint_status"] = {str(s): sum(1 for v in statuses.values() if v == s) for s in sorted(set(statuses.values()))}
        # charts this store cannot draw answer 422 by design; they are benchmarked too but not counted as errors
        cpu0 = _cpu(server.pid)
        lat, app, err, wall = asyncio.run(run_clients(base, urls, args.clients, args.seconds))
        cpu1 = _cpu(server.pid)
        if cpu0 and cpu1:
            n = sum(len(v) for v in lat.values()) or 1
            report["server_cpu_ms_per_request"] = round((cpu1[0] - cpu0[0]) / n * 1000, 2)
            report["client_cpu_ms_per_request"] = round((cpu1[1] - cpu0[1]) / n * 1000, 2)
        for u, s in statuses.items():
            if s == 422:
                err[u] = 0
        report["load_after"] = [round(x, 2) for x in os.getloadavg()]
        try:
            import psutil

            report["server_rss_mb"] = round(psutil.Process(server.pid).memory_info().rss / 2**20)
        except Exception:  # psutil missing or process gone: the figure is optional
            pass
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    everything = [x for v in lat.values() for x in v]
    report["requests"] = len(everything)
    report["throughput_rps"] = round(len(everything) / max(wall, 1e-9), 1)
    report["overall"] = summarise(everything, sum(err.values()))
    report["overall_in_server_app"] = summarise([x for v in app.values() for x in v], 0)
    report["worst_endpoint_p95_ms"] = max(summarise(v, 0)["p95_ms"] for v in lat.values() if v)
    report["endpoints"] = {u: {**summarise(v, err[u]), "app_p95_ms": summarise(app[u], 0)["p95_ms"]} for u, v in lat.items()}
    report["target"] = "p95 <= 150 ms per endpoint"
    report["met"] = report["worst_endpoint_p95_ms"] <= 150 and report["overall"]["errors"] == 0
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
