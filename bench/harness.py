"""One benchmark harness (issue 10): every benchmark, peers side by side, larger than memory, Spark, targets.

    python -m bench                                  # 1M works (the documented default)
    python -m bench --sizes 1000000,10000000         # and 10M (scaling exponents between the sizes)
    python -m bench --sizes 100000,1000000,10000000 --spark-max 100000 --memory-fraction 0.3   # docs/benchmarks.md
    python -m bench --quick                          # 20k and 100k works: about 10 minutes on 2 cores
    python -m bench --only indicators,peers --sizes 200000

Each measured step runs in a fresh child process (``python -m bench.steps``); the parent records its wall time,
the peak RSS of the child's whole process tree (psutil, sampled every 50 ms; the Spark JVM included) and the
1-minute load average before and after. Results go to ``bench/results/<date>.json`` (small; committed) and the
generated section of ``docs/benchmarks.md`` (between ``<!-- bench:begin -->`` and ``<!-- bench:end -->``) is
rewritten with the tables, the targets (pass/fail), the scaling exponents (log-log slope of time against size)
and regressions against the previous results file beyond ``--threshold`` (default 25 %), flagged. Plots:
``docs/img/bench-times.svg`` and ``docs/img/bench-ratios.svg`` (Altair + vl-convert).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
IMG = ROOT / "docs" / "img"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
BENCHES = ("ingest", "indicators", "memory", "mobility", "mapping", "spark", "peers", "dashboard")
DEFAULT_SIZES = (1_000_000,)
QUICK_SIZES = (20_000, 100_000)
TARGET_MIN_SIZE = 1_000_000  # speed targets are stated at scale; below it fixed costs dominate (checked: "—")
TARGET_MIN_RECORDS = 20_000  # the metaknowledge ratio target (process start-up dominates below)
SCALING_MAX = math.log10(11)  # "about 10x time for 10x data": at most 11x, i.e. a log-log slope <= 1.041


@dataclass
class Figure:
    """One measured figure, optionally against a baseline and a target."""

    id: str  # stable across runs: the key of regression checks (with ``size``)
    bench: str
    size: int
    label: str
    value: float | None
    unit: str = "s"
    better: str = "lower"  # lower | higher (for regression flags)
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    ratio_label: str = ""
    target: str = ""
    ok: bool | None = None  # target met? None when there is no target at this size
    peak_rss_mb: float | None = None
    load: str = ""
    note: str = ""
    regression: str = ""  # filled by flag_regressions


# --------------------------------------------------------------------------------------------- running steps


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def run_step(name: str, n: int, wd: Path, opts: dict | None = None, *, timeout: float | None = None) -> dict:
    """Run ``bench.steps`` step ``name`` in a fresh process; its metrics plus wall, peak RSS (tree) and load."""
    import psutil

    cmd = [sys.executable, "-m", "bench.steps", name, str(n), str(wd), json.dumps(opts or {})]
    load0, t0 = loadavg(), time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        ps = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                rss = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err = f"timed out after {timeout} s\n{err}"
    done.set()
    th.join()
    base = {"step": name, "size": n, "opts": opts or {}, "wall_s": round(time.perf_counter() - t0, 3),
            "peak_rss_mb": round(peak[0] / 2**20, 1), "load_before": load0, "load_after": loadavg()}
    if proc.returncode != 0:
        return {**base, "status": "failed", "error": (err or out).strip()[-1500:]}
    try:
        metrics = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {**base, "status": "failed", "error": f"no JSON result; stdout ends {out[-300:]!r}"}
    if "skipped" in metrics:
        return {**base, "status": "skipped", "reason": metrics["skipped"]}
    return {**base, "status": "ok", "metrics": metrics}


def _load(*runs: dict) -> str:
    vals = [r[k] for r in runs for k in ("load_before", "load_after") if r and k in r]
    return f"{min(vals):.1f}–{max(vals):.1f}" if vals else ""


def _ok(run: dict | None) -> bool:
    return bool(run) and run.get("status") == "ok"


def _m(run: dict, key: str) -> Any:
    return run["metrics"].get(key)


# --------------------------------------------------------------------------------------------- benchmarks


@dataclass
class Context:
    wd: Path
    sizes: list[int]
    records: int  # Web of Science records for the metaknowledge comparison
    spark_max: int
    memory_fraction: float
    memory_floor_mb: int = 64
    progress: Callable[[str], None] = print
    map_max: int = 1_000_000  # largest size of the science map (its graph and layout are in memory)
    dashboard_max: int = 1_000_000  # largest size of the dashboard world (built and precomputed per run)
    runs: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def step(self, name: str, n: int, opts: dict | None = None) -> dict:
        label = f"{name} [{n:,}{''.join(f', {k}={v}' for k, v in (opts or {}).items())}]"
        self.progress(f"  {label} …")
        r = run_step(name, n, self.wd, opts)
        self.runs.append(r)
        msg = {"ok": f"{r['wall_s']:.1f} s, peak {r['peak_rss_mb']:,.0f} MiB",
               "skipped": f"skipped: {r.get('reason')}", "failed": f"FAILED: {r.get('error', '')[-300:]}"}[r["status"]]
        self.progress(f"  {label} {msg} (load {r['load_before']}→{r['load_after']})")
        if r["status"] != "ok":
            self.notes.append(f"`{name}` at {n:,}: {r['status']}: {r.get('reason') or r.get('error', '')[-300:]}")
        return r


def bench_ingest(ctx: Context, n: int) -> list[Figure]:
    if not _ok(ctx.step("ingest_gen", n)):
        return []
    d, j = ctx.step("ingest_duckdb", n), ctx.step("ingest_junkan", n)
    if not (_ok(d) and _ok(j)):
        return []
    ratio = _m(d, "seconds") / _m(j, "seconds")
    return [Figure("ingest.junkan", "ingest", n, "junkan ingest (OpenAlex JSONL.gz → store)", _m(j, "seconds"),
                   baseline=_m(d, "seconds"), baseline_label="DuckDB read_json", ratio=ratio,
                   ratio_label="baseline / junkan", target="ratio ≥ 0.8 (at ≥ 1M works)",
                   ok=ratio >= 0.8 if n >= TARGET_MIN_SIZE else None,
                   peak_rss_mb=j["peak_rss_mb"], load=_load(d, j),
                   note=f"DuckDB peak {d['peak_rss_mb']:,.0f} MiB; {_m(j, 'rows'):,} works{_ingest_phases(j)}")]


def _ingest_phases(j: dict) -> str:
    """Where the ingest's time went; read / (read + flatten) bounds the ratio even with a free merge."""
    t = j.get("timings") or {}
    if not t.get("read"):
        return ""
    return (f"; read {t['read']:.1f} + flatten {t['flatten']:.1f} thread-s, merge {t['merge']:.1f} s, "
            f"publish {t['publish']:.1f} s; bound read/(read+flatten) = {t['read'] / (t['read'] + t['flatten']):.2f}")


def _compare_outputs(ctx: Context, a: str, b: str, n: int, keys: Sequence[str]) -> str:
    """'' when the outputs of two steps are equal (junkan.testing contract), else the reason."""
    from bench.steps import load_outputs
    from junkan.testing import assert_tables_equal

    left, right = load_outputs(ctx.wd / f"out-{a}-{n}"), load_outputs(ctx.wd / f"out-{b}-{n}")
    try:
        assert left.keys() == right.keys(), (list(left), list(right))
        for name in left:
            assert_tables_equal(left[name], right[name], keys=list(keys))
    except AssertionError as exc:
        return f"{a} ≠ {b}: {str(exc)[:300]}"
    return ""


def bench_indicators(ctx: Context, n: int) -> list[Figure]:
    from bench.indicators import compare
    from bench.steps import load_outputs

    if not _ok(g := ctx.step("ind_gen", n)):
        return []
    j, s = ctx.step("ind_junkan", n), ctx.step("ind_sql", n)
    if not (_ok(j) and _ok(s)):
        return []
    try:
        checked = compare(load_outputs(ctx.wd / f"out-junkan-{n}"), load_outputs(ctx.wd / f"out-sql-{n}"))
        equal, note = True, f"{checked:,} values equal to the SQL (rel 1e-9)"
    except SystemExit as exc:
        equal, note = False, f"DIFFERENT from the SQL: {exc}"
    ratio = _m(j, "seconds") / _m(s, "seconds")
    return [Figure("indicators.suite", "indicators", n, "indicator suite (papers, top_papers, intl, impact)",
                   _m(j, "seconds"), baseline=_m(s, "seconds"), baseline_label="hand-written DuckDB SQL",
                   ratio=ratio, ratio_label="junkan / SQL", target="equal values; ratio ≤ 1.25 at ≥ 1M works",
                   ok=equal and (ratio <= 1.25 or n < TARGET_MIN_SIZE), peak_rss_mb=j["peak_rss_mb"], load=_load(j, s),
                   note=f"{note}; store {_m(g, 'data_mb'):,.0f} MiB Parquet; SQL peak {s['peak_rss_mb']:,.0f} MiB")]


def bench_memory(ctx: Context, n: int) -> list[Figure]:
    """The indicator suite with DuckDB's memory_limit well below the data size, spilling to a temp directory."""
    if not _ok(g := ctx.step("ind_gen", n)):
        return []
    free = next((r for r in reversed(ctx.runs) if r["step"] == "ind_junkan" and r["size"] == n and _ok(r)
                 and not r["opts"]), None) or ctx.step("ind_junkan", n)
    if not _ok(free):
        return []
    data_mb, mem_mb, duck_mb = _m(g, "data_mb"), _m(g, "uncompressed_mb"), _m(free, "duckdb_peak_mb")
    # ascending limits: below the data's uncompressed size first (the criterion), then fractions of what
    # DuckDB itself used unconstrained; the first that completes is reported, the failures are listed
    limits = sorted({max(ctx.memory_floor_mb, int(x)) for x in (mem_mb * ctx.memory_fraction, duck_mb / 4, duck_mb / 2)})
    target = "completes, identical results; limit < data uncompressed at ≥ 1M works"
    failed, lim, limit_mb, n_notes = [], None, None, len(ctx.notes)
    for limit_mb in limits:
        lim = ctx.step("ind_junkan", n, {"memory_limit": f"{limit_mb}MB", "tag": "memlimit"})
        if _ok(lim):
            break
        failed.append(f"{limit_mb} MB: {'out of memory' if 'Out of Memory' in lim.get('error', '') else 'failed'}")
    del ctx.notes[n_notes:]  # the failed attempts are listed in the figure's note
    sizes = (f"data {mem_mb:,.0f} MiB uncompressed ({data_mb:,.0f} MiB Parquet); DuckDB buffers unconstrained "
             f"{duck_mb:,.0f} MiB; peak RSS unconstrained {free['peak_rss_mb']:,.0f} MiB")
    tried = f"; failed at {', '.join(failed)}" if failed else ""
    if not _ok(lim):
        return [Figure("memory.suite", "memory", n, "indicator suite under memory_limit + temp directory", None,
                       target=target, ok=False, note=f"no tried limit completed{tried}; {sizes}")]
    diff = _compare_outputs(ctx, "junkan", "memlimit", n, ["country", "year"])
    return [Figure("memory.suite", "memory", n, f"indicator suite, memory_limit {limit_mb} MB + temp directory",
                   _m(lim, "seconds"), baseline=_m(free, "seconds"), baseline_label="no limit",
                   ratio=_m(lim, "seconds") / _m(free, "seconds"), ratio_label="limited / free", target=target,
                   ok=not diff and (limit_mb < mem_mb or n < TARGET_MIN_SIZE),
                   peak_rss_mb=lim["peak_rss_mb"], load=_load(lim),
                   note=diff or (f"identical results; spilled: {_m(lim, 'spilled')}; limit = {limit_mb / duck_mb:.0%} "
                                 f"of DuckDB's unconstrained use, {limit_mb / mem_mb:.0%} of the data{tried}; {sizes}"))]


def bench_mobility(ctx: Context, n: int) -> list[Figure]:
    r = ctx.step("mobility", n)
    if not _ok(r):
        return []
    secs, auth = _m(r, "trajectories_classes_s"), _m(r, "authorships")
    rate = auth / max(secs, 1e-9)
    return [Figure("mobility.classes", "mobility", n, "mobility: trajectories + classes", secs,
                   target="≥ 166,667 authorships/s (10M in ≤ 60 s) at ≥ 1M works",
                   ok=rate >= 10_000_000 / 60 if n >= TARGET_MIN_SIZE else None,
                   peak_rss_mb=r["peak_rss_mb"], load=_load(r),
                   note=f"{auth:,} authorships, {rate:,.0f}/s; rates {_m(r, 'rates_with_padded_s')} s"),
            Figure("mobility.rates", "mobility", n, "mobility: rates with padded population",
                   _m(r, "rates_with_padded_s"), peak_rss_mb=r["peak_rss_mb"], load=_load(r))]


def bench_mapping(ctx: Context, n: int) -> list[Figure]:
    r = ctx.step("mapping", n)
    if not _ok(r):
        return []
    works, secs = _m(r, "works"), _m(r, "wall_s")
    rate = works / max(secs, 1e-9)
    return [Figure("mapping.build", "mapping", n, "science map end to end (build_map)", secs,
                   target="≥ 10,000 works/s (1.2M works in ≤ 120 s) at ≥ 1M works",
                   ok=rate >= 10_000 if n >= TARGET_MIN_SIZE else None,
                   peak_rss_mb=r["peak_rss_mb"], load=_load(r),
                   note=f"{works:,} works, {_m(r, 'core_planted'):,} core, {_m(r, 'links'):,} links; "
                        f"NMI fronts {_m(r, 'nmi_fronts')}; {r['metrics'].get('summary', {}).get('areas', '?')} areas")]


def bench_spark(ctx: Context, n: int) -> list[Figure]:
    """Indicator suite, mobility and co-citation on PySpark local[2] against DuckDB: identical results, time."""
    if n > ctx.spark_max:
        ctx.notes.append(f"Spark not run at {n:,} works (above --spark-max {ctx.spark_max:,})")
        return []
    figs = []
    cases = [("indicators", "ind_gen", "ind_junkan", "ind_spark", {}, {}, ("junkan", "spark"), ["country", "year"]),
             ("mobility", None, "mob_engine", "mob_engine", {"backend": "duckdb"}, {"backend": "pyspark"},
              ("mob-duckdb", "mob-pyspark"), ["author_id", "year", "country", "class"]),
             ("co-citation", None, "cocit_engine", "cocit_engine", {"backend": "duckdb"}, {"backend": "pyspark"},
              ("cocit-duckdb", "cocit-pyspark"), None)]
    for label, gen, dstep, sstep, dopts, sopts, outs, keys in cases:
        if gen and not _ok(ctx.step(gen, n)):
            continue
        prev = next((r for r in reversed(ctx.runs) if r["step"] == dstep and r["size"] == n and _ok(r)
                     and r["opts"] == dopts), None)
        d = prev or ctx.step(dstep, n, dopts)
        s = ctx.step(sstep, n, sopts)
        if not (_ok(d) and _ok(s)):
            continue
        if keys is None:  # co-citation: two tables with their own keys
            diff = _compare_tables(ctx, outs, n, {"pairs": ["i", "j"], "cit": ["node"]})
        else:
            diff = _compare_outputs(ctx, *outs, n, keys)
        figs.append(Figure(f"spark.{label}", "spark", n, f"{label} on PySpark local[2]", _m(s, "seconds"),
                           baseline=_m(d, "seconds"), baseline_label="DuckDB", ratio=_m(s, "seconds") / _m(d, "seconds"),
                           ratio_label="Spark / DuckDB", target="identical results", ok=not diff,
                           peak_rss_mb=s["peak_rss_mb"], load=_load(d, s),
                           note=diff or f"identical results; session start-up {_m(s, 'startup_s'):.1f} s not timed"))
    return figs


def _compare_tables(ctx: Context, outs: tuple[str, str], n: int, keys: dict[str, list[str]]) -> str:
    from bench.steps import load_outputs
    from junkan.testing import assert_tables_equal

    a, b = (load_outputs(ctx.wd / f"out-{o}-{n}") for o in outs)
    try:
        for name, k in keys.items():
            assert_tables_equal(a[name], b[name], keys=k)
    except (AssertionError, KeyError) as exc:
        return f"{outs[0]} ≠ {outs[1]}: {str(exc)[:300]}"
    return ""


def bench_peers(ctx: Context, n: int) -> list[Figure]:
    from bench.peers import compare_peer
    from bench.steps import load_outputs

    figs = []
    if _ok(ctx.step("ind_gen", n)):
        p, j = ctx.step("peer_pandas", n), ctx.step("peer_junkan", n)
        if _ok(p) and _ok(j):
            try:
                checked = compare_peer(load_outputs(ctx.wd / f"out-jpeer-{n}"), load_outputs(ctx.wd / f"out-pandas-{n}"))
                ok, note = True, f"{checked:,} values equal"
            except AssertionError as exc:
                ok, note = False, f"DIFFERENT: {exc}"
            figs.append(Figure("peers.pandas", "peers", n, "country fractional counting + CWTS Top10% (junkan)",
                               _m(j, "seconds"), baseline=_m(p, "seconds"), baseline_label="pandas (load + compute)",
                               ratio=_m(p, "seconds") / _m(j, "seconds"), ratio_label="pandas / junkan",
                               target="equal values", ok=ok, peak_rss_mb=j["peak_rss_mb"], load=_load(p, j),
                               note=f"{note}; pandas load {_m(p, 'load_s'):.1f} s + compute "
                                    f"{_m(p, 'compute_s'):.1f} s, peak {p['peak_rss_mb']:,.0f} MiB"))
    return figs


def bench_metaknowledge(ctx: Context) -> list[Figure]:
    n = ctx.records
    mk, jk = ctx.step("mk_cocitation", n), ctx.step("junkan_wos_cocitation", n)
    if not _ok(mk):
        return []
    m = mk["metrics"]
    if not _ok(jk):
        return [Figure("peers.metaknowledge", "peers", n, "WoS → co-citation network, metaknowledge alone", m["seconds"],
                       target="junkan ≥ 10× faster, same nodes", ok=None, peak_rss_mb=mk["peak_rss_mb"], load=_load(mk),
                       note=f"junkan side not run ({jk.get('reason') or jk.get('error', '')[-200:]}); metaknowledge: "
                            f"{m['nodes']:,} nodes, {m['edges']:,} edges from {m['records']:,} records")]
    j = jk["metrics"]
    same = (j["nodes"], j["edges"]) == (m["nodes"], m["edges"])
    ratio = m["seconds"] / j["seconds"]
    return [Figure("peers.metaknowledge", "peers", n, "WoS file → co-citation network (junkan)", j["seconds"],
                   baseline=m["seconds"], baseline_label="metaknowledge networkCoCitation", ratio=ratio,
                   ratio_label="metaknowledge / junkan",
                   target="same nodes and edges; ratio ≥ 10 at ≥ 20k records",
                   ok=same and (ratio >= 10 or n < TARGET_MIN_RECORDS), peak_rss_mb=jk["peak_rss_mb"], load=_load(mk, jk),
                   note=f"nodes junkan {j['nodes']:,} / metaknowledge {m['nodes']:,}; edges {j['edges']:,} / "
                        f"{m['edges']:,}; {n:,} records; CPU s junkan {j['cpu_s']:.1f} (ingest {j['ingest_s']:.1f} s "
                        f"wall, co-citation {j['cocitation_s']:.1f} s) / metaknowledge {m['cpu_s']:.1f}, CPU ratio "
                        f"{m['cpu_s'] / max(j['cpu_s'], 1e-9):.1f}; metaknowledge peak {mk['peak_rss_mb']:,.0f} MiB; "
                        f"both timed in-process after imports; the junkan CLI adds {j.get('cli_startup_s', float('nan')):.1f} s "
                        "of start-up")]


def bench_dashboard(ctx: Context, n: int) -> list[Figure]:
    r = ctx.step("dashboard", n, {"seconds": 10.0 if n < 1_000_000 else 30.0})
    if not _ok(r):
        return []
    m = r["metrics"]
    worst, overall = m.get("worst_endpoint_p95_ms"), (m.get("overall") or {})
    return [Figure("dashboard.p95", "dashboard", int(m.get("works") or n),
                   f"dashboard p95 latency, worst endpoint ({m.get('clients')} clients)", worst, unit="ms",
                   target="p95 ≤ 150 ms per endpoint at 16 clients, no errors", ok=m.get("met"),
                   peak_rss_mb=m.get("server_rss_mb"), load=_load(r),
                   note=f"overall p50 {overall.get('p50_ms')} / p95 {overall.get('p95_ms')} ms, "
                        f"{m.get('throughput_rps')} req/s, {overall.get('errors')} errors, precompute "
                        f"{m.get('precompute_s')} s; peak RSS = server")]


# --------------------------------------------------------------------------------------------- analysis


def scaling(figures: Sequence[Figure]) -> list[dict]:
    """Log-log slope (least squares) of each timed figure over its sizes; 1.0 = linear in the data."""
    by: dict[str, list[Figure]] = {}
    for f in figures:
        if f.unit == "s" and f.value and f.size > 0:
            by.setdefault(f.id, []).append(f)
    out = []
    for fid, fs in sorted(by.items()):
        pts = sorted({f.size: f.value for f in fs}.items())
        if len(pts) < 2:
            continue
        xs, ys = [math.log10(s) for s, _ in pts], [math.log10(v) for _, v in pts]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
        row = {"id": fid, "sizes": [s for s, _ in pts], "exponent": round(slope, 3), "x10": round(10**slope, 2),
               "target": "", "ok": None}
        if fid == "indicators.suite":
            row.update(target=f"≤ {SCALING_MAX:.3f} (≤ 11× time for 10× data)", ok=slope <= SCALING_MAX)
        out.append(row)
    return out


def previous_results(results_dir: Path, exclude: Path | None = None) -> dict | None:
    files = sorted(p for p in results_dir.glob("*.json") if exclude is None or p.resolve() != exclude.resolve())
    return json.loads(files[-1].read_text()) if files else None


def flag_regressions(figures: Sequence[Figure], previous: dict | None, threshold: float) -> list[str]:
    """Mark figures worse than the previous results by more than ``threshold`` (relative); returns messages."""
    if not previous:
        return []
    prev = {(f["id"], f["size"]): f for f in previous.get("figures", [])}
    msgs = []
    for f in figures:
        p = prev.get((f.id, f.size))
        if p is None or f.value is None or not p.get("value"):
            continue
        change = f.value / p["value"] - 1
        worse = change > threshold if f.better == "lower" else change < -threshold
        if worse:
            f.regression = (f"⚠ {change:+.0%} vs {p['value']:.3g} on {previous.get('date', '?')[:16]} "
                            f"(load then {p.get('load') or '?'})")
            msgs.append(f"{f.id} at {f.size:,}: {f.regression}")
        else:
            f.regression = f"{change:+.0%}"
    return msgs


def _num(v: float | None, unit: str = "") -> str:
    if v is None:
        return "—"
    s = f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3f}"
    return f"{s} {unit}".strip()


def _pass(ok: bool | None) -> str:
    return {True: "✅ pass", False: "❌ FAIL", None: "—"}[ok]


def render_markdown(res: dict, img_prefix: str = "img/") -> str:
    """The generated section of docs/benchmarks.md (markers included) from one results dict."""
    figs = [Figure(**f) for f in res["figures"]]
    lines = [BEGIN, "", "## Harness results (generated by `python -m bench`; do not edit by hand)", "",
             f"Run {res['date'][:16]} UTC, commit `{res['commit'][:10]}`{' (uncommitted changes)' if res.get('dirty') else ''}, "
             f"`{res['command']}`; {res['machine']['cpus']} cores, {res['machine']['mem_gib']} GiB; sizes "
             f"{', '.join(f'{s:,}' for s in res['sizes'])} works. Load average (1/5/15 min) at the start "
             f"{res['uptime_before']}, at the end {res['uptime_after']}; every row gives the load during its own run. "
             f"Times are wall-clock seconds of the measured span (imports and data generation excluded); peak RSS is "
             f"the whole process tree of the step.", "",
             "| benchmark | size | figure | value | baseline | ratio | target | result | peak RSS | load | vs previous | notes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for f in figs:
        base = f"{_num(f.baseline, f.unit)} ({f.baseline_label})" if f.baseline is not None else "—"
        ratio = f"**{f.ratio:.2f}** ({f.ratio_label})" if f.ratio is not None else "—"
        lines.append(f"| {f.bench} | {f.size:,} | {f.label} | {_num(f.value, f.unit)} | {base} | {ratio} | "
                     f"{f.target or '—'} | {_pass(f.ok)} | {_num(f.peak_rss_mb, 'MiB')} | {f.load or '—'} | "
                     f"{f.regression or '—'} | {f.note.replace('|', '/')} |")
    lines += ["", "### Scaling (log-log slope of time against works; 1.0 = linear)", ""]
    if res["scaling"]:
        lines += ["| figure | sizes | exponent | time for 10× data | target | result |", "|---|---|---|---|---|---|"]
        for s in res["scaling"]:
            lines.append(f"| {s['id']} | {' → '.join(f'{x:,}' for x in s['sizes'])} | {s['exponent']:.3f} | "
                         f"{s['x10']:.1f}× | {s['target'] or '—'} | {_pass(s['ok'])} |")
    else:
        lines.append("Only one size was run: no exponent (pass two sizes, e.g. `--sizes 1000000,10000000`).")
    checks = [f for f in figs if f.ok is not None] + [s for s in res["scaling"] if s["ok"] is not None]
    n_pass = sum(1 for c in checks if (c.ok if isinstance(c, Figure) else c["ok"]))
    lines += ["", f"### Targets: {n_pass} of {len(checks)} met", ""]
    for f in figs:
        if f.ok is False:
            got = f"ratio {_num(f.ratio)}" if f.ratio is not None else _num(f.value, f.unit)
            lines.append(f"- ❌ {f.bench} at {f.size:,}: {f.label}: {f.target} (got {got}; {f.note[:160]}).")
    for s in res["scaling"]:
        if s["ok"] is False:
            lines.append(f"- ❌ scaling of {s['id']}: exponent {s['exponent']:.3f}, target {s['target']}.")
    lines += ["", f"### Regressions (worse than the previous results file by more than {res['threshold']:.0%})", ""]
    lines += [f"- {m}" for m in res["regressions"]] or [
        "None flagged." if res.get("previous") else "No previous results file: nothing to compare."]
    if res.get("previous"):
        lines.append(f"\nCompared with `{res['previous']}`.")
    if res["notes"]:
        lines += ["", "### Not run or failed", ""] + [f"- {' '.join(n.split())}" for n in res["notes"]]
    if res.get("plots"):
        lines += ["", "### Plots", ""] + [f"![{p}]({img_prefix}{p})" for p in res["plots"]]
    lines += ["", END]
    return "\n".join(lines)


def update_doc(doc: Path, section: str) -> None:
    """Replace the generated section of ``doc`` (the marker comments on lines of their own), or append it;
    hand-written text, including text that quotes the markers inline, is kept."""
    import re

    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pat = re.compile(rf"^{re.escape(BEGIN)}$.*?^{re.escape(END)}$", re.S | re.M)
    if pat.search(text):
        text = pat.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def plots(res: dict, out_dir: Path) -> list[str]:
    """Time against size (log-log, one line per timed figure) and ratios against their targets; SVG files."""
    import altair as alt
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    timed = [f for f in res["figures"] if f["unit"] == "s" and f["size"] > 0 and f["id"] != "peers.metaknowledge"]
    rows = [{"figure": f["id"], "bench": f["bench"], "side": "junkan", "works": f["size"], "seconds": f["value"]}
            for f in timed if f["value"]]
    rows += [{"figure": f"{f['id']} ({f['baseline_label']})", "bench": f["bench"], "side": "baseline / peer",
              "works": f["size"], "seconds": f["baseline"]} for f in timed if f["baseline"]]
    if rows:
        ch = alt.Chart(pd.DataFrame(rows)).mark_line(point=True).encode(
            x=alt.X("works:Q", scale=alt.Scale(type="log"), title="works / 論文数"),
            y=alt.Y("seconds:Q", scale=alt.Scale(type="log"), title="seconds / 秒"),
            color=alt.Color("bench:N", title="benchmark / ベンチマーク"),
            shape=alt.Shape("side:N", title="side / 区分"),
            detail="figure:N",
            tooltip=["figure", "works", "seconds"],
        ).properties(title=f"Time against data size / データ量と処理時間 ({res['date'][:10]}, commit {res['commit'][:7]})",
                     width=520, height=320)
        ch.save(str(out_dir / "bench-times.svg"))
        made.append("bench-times.svg")
    rr = [{"figure": f"{f['id']} @ {f['size']:,}", "ratio": f["ratio"], "meaning": f["ratio_label"]}
          for f in res["figures"] if f["ratio"] is not None]
    if rr:
        base = alt.Chart(pd.DataFrame(rr))
        dots = base.mark_circle(size=120).encode(
            y=alt.Y("figure:N", title=None, sort=None),
            x=alt.X("ratio:Q", scale=alt.Scale(type="log"), title="ratio (see meaning; 1 = parity) / 比（1 = 同等）"),
            color=alt.Color("meaning:N", title="ratio = / 比の定義"),
            tooltip=["figure", "ratio", "meaning"],
        )
        one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="gray").encode(x="x:Q")
        ch = (one + dots).properties(title="Ratios against baselines and peers / 基準・他ツールとの比", width=420)
        ch.save(str(out_dir / "bench-ratios.svg"))
        made.append("bench-ratios.svg")
    return made


# --------------------------------------------------------------------------------------------- main


def merge_results(results: Sequence[dict]) -> dict:
    """One results dict from several runs (e.g. a long run and a rerun of one benchmark): later figures replace
    earlier ones with the same id and size; steps, notes and regressions are concatenated; scaling recomputed."""
    out = dict(results[0])
    figs: dict[tuple[str, int], dict] = {}
    for r in results:
        for f in r.get("figures", []):
            figs[(f["id"], f["size"])] = f
    out["figures"] = list(figs.values())
    out["scaling"] = scaling([Figure(**f) for f in out["figures"]])
    for key in ("steps", "notes", "regressions"):
        out[key] = [x for r in results for x in r.get(key, [])]
    if len(results) > 1:
        out["command"] = " ; ".join(r["command"] for r in results)
        out["uptime_after"] = results[-1].get("uptime_after")
        out["sizes"] = sorted({s for r in results for s in r.get("sizes", [])})
        out["merged"] = [r["date"] for r in results]
    return out


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return ""


def _uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def run_all(only: Sequence[str], sizes: Sequence[int], ctx: Context,
            checkpoint: Callable[[list[Figure]], None] = lambda figs: None) -> list[Figure]:
    """Every selected benchmark, cheapest and most informative first; ``checkpoint(figures)`` after each group so
    that an interrupted run keeps what it measured."""
    figs: list[Figure] = []
    per_size = {"indicators": bench_indicators, "memory": bench_memory, "peers": bench_peers,
                "mobility": bench_mobility, "mapping": bench_mapping}
    for n in sizes:
        for name in ("indicators", "memory", "peers", "mobility", "mapping"):
            if name in only and not (name == "memory" and n != max(sizes)):
                if name == "mapping" and n > ctx.map_max:
                    ctx.notes.append(f"science map not run at {n:,} works (above --map-max {ctx.map_max:,}: the "
                                     "co-citation graph, Leiden and the layout are in memory, ~3.8 GB peak per 1M "
                                     "works measured, so 10M would need ~38 GB on this 23.5 GiB machine)")
                    continue
                ctx.progress(f"[{name} · {n:,} works]")
                figs += per_size[name](ctx, n)
                checkpoint(figs)
    if "peers" in only:
        ctx.progress(f"[peers · metaknowledge · {ctx.records:,} WoS records]")
        figs += bench_metaknowledge(ctx)
        checkpoint(figs)
    if "spark" in only:
        n = max((s for s in sizes if s <= ctx.spark_max), default=min(sizes))
        ctx.progress(f"[spark · {n:,} works]")
        figs += bench_spark(ctx, n)
        checkpoint(figs)
    if "ingest" in only:
        for n in sizes:
            ctx.progress(f"[ingest · {n:,} works]")
            figs += bench_ingest(ctx, n)
            checkpoint(figs)
    if "dashboard" in only:
        n = max((s for s in sizes if s <= ctx.dashboard_max), default=min(sizes))
        if n < max(sizes):
            ctx.notes.append(f"dashboard measured at {n:,} works (--dashboard-max {ctx.dashboard_max:,}: its world is "
                             "simulated, ingested and precomputed on every run)")
        ctx.progress(f"[dashboard · {n:,} works]")
        figs += bench_dashboard(ctx, n)
    return figs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", help="works per simulated world, comma-separated (default 1000000)")
    ap.add_argument("--only", default=",".join(BENCHES), help=f"benchmarks to run: {', '.join(BENCHES)}")
    ap.add_argument("--quick", action="store_true", help="20k and 100k works, 5k WoS records (about 10 minutes)")
    ap.add_argument("--records", type=int, help="WoS records for metaknowledge (default 20000; quick 5000)")
    ap.add_argument("--spark-max", type=int, default=None,
                    help="largest size run on Spark (default 1M; with --quick the smallest size)")
    ap.add_argument("--map-max", type=int, default=1_000_000,
                    help="largest size of the science map (default 1M; in-memory graph, ~3.8 GB per 1M works)")
    ap.add_argument("--dashboard-max", type=int, default=1_000_000,
                    help="largest size of the dashboard world (default 1M)")
    ap.add_argument("--memory-fraction", type=float, default=0.5,
                    help="memory_limit of the larger-than-memory run, as a fraction of the data's uncompressed size")
    ap.add_argument("--memory-floor", type=int, default=64, help="lowest memory_limit tried, MB (default 64)")
    ap.add_argument("--threshold", type=float, default=0.25, help="regression threshold (relative, default 0.25)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "junkan-bench-harness",
                    help="inputs are cached here by kind and size")
    ap.add_argument("--results-dir", type=Path, default=RESULTS)
    ap.add_argument("--doc", type=Path, default=DOC, help="markdown file whose generated section is rewritten")
    ap.add_argument("--no-doc", action="store_true", help="write the results file only")
    ap.add_argument("--clean", action="store_true", help="delete the work directory at the end")
    ap.add_argument("--render", type=Path, nargs="+", metavar="RESULTS.json",
                    help="run nothing: regenerate the doc section and plots from results files (several are merged "
                         "into the first: later figures replace earlier ones of the same id and size)")
    a = ap.parse_args(argv)
    if a.render:
        res = merge_results([json.loads(p.read_text()) for p in a.render])
        res["plots"] = plots(res, a.doc.parent / "img")
        update_doc(a.doc, render_markdown(res))
        a.render[0].write_text(json.dumps(res, indent=1, default=str) + "\n")
        return 0
    only = [x.strip() for x in a.only.split(",") if x.strip()]
    if unknown := set(only) - set(BENCHES):
        ap.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    sizes = sorted(int(s) for s in a.sizes.split(",")) if a.sizes else list(QUICK_SIZES if a.quick else DEFAULT_SIZES)
    records = a.records or (5_000 if a.quick else 20_000)
    spark_max = a.spark_max or (min(sizes) if a.quick else 1_000_000)
    a.workdir.mkdir(parents=True, exist_ok=True)

    def progress(msg: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)

    ctx = Context(a.workdir, sizes, records, spark_max, a.memory_fraction, a.memory_floor, progress,
                  map_max=a.map_max, dashboard_max=a.dashboard_max)
    now = dt.datetime.now(dt.UTC)
    res: dict[str, Any] = {
        "date": now.isoformat(timespec="seconds"), "commit": _git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "mem_gib": round(_mem_gib(), 1), "python": platform.python_version(),
                    "platform": platform.platform()},
        "versions": _versions(), "sizes": sizes, "records": records, "threshold": a.threshold,
        "uptime_before": _uptime(),
    }
    t0 = time.perf_counter()
    a.results_dir.mkdir(parents=True, exist_ok=True)
    out = a.results_dir / f"{now.strftime('%Y-%m-%dT%H%M')}.json"
    prev_file = sorted(p for p in a.results_dir.glob("*.json") if p.resolve() != out.resolve())
    previous = json.loads(prev_file[-1].read_text()) if prev_file else None
    res["previous"] = prev_file[-1].name if prev_file else None

    def write(figs: list[Figure], final: bool) -> None:
        res.update(uptime_after=_uptime(), total_s=round(time.perf_counter() - t0, 1), complete=final)
        res["regressions"] = flag_regressions(figs, previous, a.threshold)
        res["figures"] = [asdict(f) for f in figs]
        res["scaling"] = scaling(figs)
        res["notes"] = ctx.notes + ([] if final else ["run interrupted or still running: partial results"])
        res["steps"] = [{k: v for k, v in r.items() if k != "metrics"} | {"metrics": r.get("metrics")} for r in ctx.runs]
        res["plots"] = []
        if not a.no_doc:
            try:
                res["plots"] = plots(res, a.doc.parent / "img")
            except Exception as exc:  # noqa: BLE001 - a plot failure must not lose the measured results
                res["notes"].append(f"plots not made: {exc}")
            update_doc(a.doc, render_markdown(res))
        out.write_text(json.dumps(res, indent=1, default=str) + "\n")

    figs = run_all(only, sizes, ctx, checkpoint=lambda f: write(f, False))
    write(figs, True)
    progress(f"results: {out}; {len(figs)} figures, {len(res['regressions'])} regressions flagged, "
             f"{res['total_s']:.0f} s" + ("" if a.no_doc else f"; {a.doc} updated"))
    if a.clean:
        shutil.rmtree(a.workdir, ignore_errors=True)
    return 0


def _mem_gib() -> float:
    import psutil

    return psutil.virtual_memory().total / 2**30


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("junkan", "duckdb", "ibis-framework", "pyspark", "pyarrow", "pandas", "metaknowledge"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out
