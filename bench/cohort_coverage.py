"""Coverage study of the cohort DiD intervals (issue 7; METHODS.md §7, docs/cohort.md §5).

    python bench/cohort_coverage.py run --seeds 40 --works 20000 --members 60 --out /tmp/cohort_coverage.jsonl
    python bench/cohort_coverage.py summarize /tmp/cohort_coverage.jsonl
    python bench/cohort_coverage.py run --seeds 12 --worlds planted --exclude-others --out /tmp/cohort_excl.jsonl
    python bench/cohort_coverage.py summarize /tmp/cohort_coverage.jsonl /tmp/cohort_excl.jsonl

For each seed, two simulated worlds (SIMULATED DATA, ``junkan.simulate``) are built, ingested and evaluated with
``junkan.cohort.evaluate`` (defaults, 90 % CIs):

* ``planted``: the default world, with ``JP-OVERSEAS`` (planted: extra foreign co-author p = 0.30, latent
  citation score +0.45 SD, from the start to the end of the career) and ``JP-NULL`` (no effect);
* ``off``: the same seed and parameters with JP-OVERSEAS's two effects set to 0. The world build (researchers,
  careers, members, start years, the stay abroad) does not use the effect sizes, so the members are the same
  people with the same fellowships (checked on ``truth/cohorts.parquet``); only the papers are redrawn.

The truth plants model parameters (a probability, a latent shift), not a value of the DiD's estimand (a change
in a pooled share). The planted value *in the DiD's units* is therefore measured as
``τ = mean over seeds of (DiD_planted − DiD_off)`` for JP-OVERSEAS: the expected change of the statistic caused by
the planted effects, same members and same selection. Coverage is the share of seeds whose planted-world 90 % CI
contains ``τ``; for the null cohorts (JP-NULL in both worlds, JP-OVERSEAS in the ``off`` world) the truth is 0
and ``1 − coverage`` is the false-positive rate. Binomial 95 % intervals are exact (Clopper–Pearson).

``--members M`` sets the members of JP-OVERSEAS and JP-NULL to ``M`` at the given size (the simulator scales
``members`` linearly with works); the default world would have 20 each at 20,000 works, of which ~14 find
controls, which studies small-sample behaviour more than the method.

Rows are appended to ``--out`` as JSON lines as each seed finishes (a run can be resumed: seeds already in the
file are skipped). ``summarize`` prints the coverage table (Markdown) and the diagnostics.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq

METRICS = ("intl_share", "top_share", "mncs", "papers_per_year")
#: world-label suffix of each interval method (percentile, the old default, has none)
INTERVAL_TAG = {"percentile": "", "studentized": "-t", "expanded": "-x", "jackknife": "-j"}
PLANTED = "JP-OVERSEAS"
NULL = "JP-NULL"


def _params(works: int, members: int | None, effects_off: bool):
    from junkan.simulate.params import DEFAULT_WORLD

    progs = []
    for p in DEFAULT_WORLD.programs:
        if members is not None and p.program_id in (PLANTED, NULL):
            p = replace(p, members=max(1, round(members * 150_000 / works)))
        if effects_off and p.program_id == PLANTED:
            p = replace(p, intl_boost=0.0, cite_boost=0.0)
        progs.append(p)
    return DEFAULT_WORLD.with_(programs=tuple(progs))


def _world(root: Path, seed: int, works: int, members: int | None, effects_off: bool) -> Path:
    """Simulate and ingest one world under ``root`` (reused when ``root/BUILT`` records the same parameters)."""
    from junkan.simulate import simulate
    from junkan.sources.openalex import ingest

    stamp = json.dumps({"seed": seed, "works": works, "members": members, "effects_off": effects_off})
    done = root / "BUILT"
    if done.exists() and done.read_text() == stamp:
        return root
    shutil.rmtree(root, ignore_errors=True)
    simulate(root, works=works, seed=seed, workers=2, params=_params(works, members, effects_off))
    ingest([root / "data"], root / "store")
    shutil.rmtree(root / "data", ignore_errors=True)  # the store, truth/ and cohorts/ are all an evaluation reads
    done.write_text(stamp)
    return root


def run_seed(seed: int, *, works: int, members: int | None, bootstrap: int, ci: float, threads: int,
             worlds: tuple[str, ...] = ("planted", "off"), exclude_others: bool = False,
             resample: str = "component", tag: str = "", intervals: tuple[str, ...] = ("percentile",),
             all_controls_only: bool = False, keep: Path | None = None, options: dict | None = None) -> list[dict]:
    from junkan.cohort import evaluate, read_cohort
    from junkan.engine import connect

    rows: list[dict] = []
    # --keep-worlds DIR: worlds are built once under DIR/<seed>/ and reused by later runs (other options, intervals)
    tmp = keep / str(seed) if keep is not None else Path(tempfile.mkdtemp(prefix=f"cohort-cov-{seed}-"))
    try:
        truth = {}
        for world, off in (("planted", False), ("off", True)):
            if world not in worlds:
                continue
            t0 = time.perf_counter()
            w = _world(tmp / world, seed, works, members, off)
            tr = pq.read_table(w / "truth" / "cohorts.parquet").to_pylist()
            truth[world] = sorted((x["program"], x["author_id"], x["start"], x["end"]) for x in tr
                                  if x["program"] in (PLANTED, NULL))
            eng = connect(w / "store", threads=threads)
            for prog in (PLANTED, NULL):
                c = read_cohort(w / "cohorts" / f"{prog}.csv")
                # --exclude-others: the members of every other programme are never controls (docs/cohort.md §5)
                others = [read_cohort(f) for f in sorted((w / "cohorts").glob("*.csv")) if f.stem != prog]
                variants = ((world, None), (f"{world}-excl", others))[int(exclude_others and not off):]
                for label, excl in variants[:1] if all_controls_only else variants:
                    # the same seed gives the same bootstrap draws: the intervals are compared on identical draws
                    for interval in intervals:
                        r = evaluate(eng, c, country="JP", bootstrap=bootstrap, seed=seed, ci=ci,
                                     exclude_controls=excl, resample=resample, interval=interval,
                                     **(options or {}))
                        for d in r.did.to_pylist():
                            rows.append({"seed": seed, "world": label + tag + INTERVAL_TAG[interval], "cohort": prog,
                                         "works": works, "members_in_file": c.members.num_rows, **d})
            if keep is None:
                shutil.rmtree(w, ignore_errors=True)
            rows_w = [x for x in rows if x["world"].split("/")[0] == world]
            for x in rows_w:
                x.setdefault("seconds", round(time.perf_counter() - t0, 1))
        if len(truth) == 2 and truth["planted"] != truth["off"]:
            raise AssertionError(f"seed {seed}: the effect-off world has other members; the pairing is broken")
    finally:
        if keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def _option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` of ``--option``: the value as JSON when it parses (numbers, true/false), else as a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise SystemExit(f"--option {text!r}: expected KEY=VALUE with an evaluate() keyword as KEY")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def cmd_run(a: argparse.Namespace) -> None:
    out = Path(a.out)
    done = set()
    if out.exists():
        done = {json.loads(x)["seed"] for x in out.read_text().splitlines() if x.strip()}
    seeds = [s for s in range(a.first_seed, a.first_seed + a.seeds) if s not in done]
    options = dict(_option(o) for o in a.option)
    print(f"{len(seeds)} seed(s) to run, {len(done)} already in {out}; load {os.getloadavg()}", file=sys.stderr)
    t_all = time.perf_counter()
    for i, s in enumerate(seeds, 1):
        t0 = time.perf_counter()
        rows = run_seed(s, works=a.works, members=a.members, bootstrap=a.bootstrap, ci=a.ci, threads=a.threads,
                        worlds=tuple(a.worlds.split(",")), exclude_others=a.exclude_others, resample=a.resample,
                        tag="" if a.resample == "member" else f"/{a.resample}", intervals=tuple(a.interval.split(",")),
                        all_controls_only=a.no_excl, keep=Path(a.keep_worlds) if a.keep_worlds else None,
                        options=options)
        with out.open("a") as fh:
            for r in rows:
                fh.write(json.dumps({**r, "options": options} if options else r) + "\n")
        print(f"[{i}/{len(seeds)}] seed {s}: {time.perf_counter() - t0:.1f} s; load {os.getloadavg()[0]:.2f}",
              file=sys.stderr)
    print(f"total {time.perf_counter() - t_all:.1f} s", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------------
# summary


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), summed in log space (``math.comb(n, i)`` overflows a float from n ≈ 1030)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    lp, lq, lgn = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    return min(1.0, sum(math.exp(lgn - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq)
                        for i in range(k + 1)))


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for k successes out of n (bisection on the binomial CDF)."""
    a = (1 - level) / 2

    def solve(f, lo=0.0, hi=1.0) -> float:
        for _ in range(80):
            mid = (lo + hi) / 2
            if f(mid):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2

    lower = 0.0 if k == 0 else solve(lambda p: 1 - _binom_cdf(k - 1, n, p) >= a)
    upper = 1.0 if k == n else solve(lambda p: _binom_cdf(k, n, p) <= a)
    return lower, upper


#: The metrics whose estimand the DiD targets (papers_per_year carries the simulator's selection on future activity).
POOLED_METRICS = ("intl_share", "top_share", "mncs")


def _method(world: str) -> tuple[str, str]:
    """(resampling, interval) of a world label such as ``planted``, ``off-excl/component`` or ``planted/component-x``."""
    base, _, res = world.partition("/")
    tail = res or base
    interval = next((name for name, tag in INTERVAL_TAG.items() if tag and tail.endswith(tag)), "percentile")
    return (res.removesuffix(INTERVAL_TAG[interval]) if res else "member"), interval


def summarize(rows: list[dict]) -> str:
    by: dict[tuple[str, str, str], dict[int, dict]] = {}
    for r in rows:
        by.setdefault((r["world"], r["cohort"], r["metric"]), {})[r["seed"]] = r
    seeds = sorted({r["seed"] for r in rows})
    level = rows[0]["ci"]
    z = statistics.NormalDist().inv_cdf((1 + level) / 2)
    out = [f"seeds: {len(seeds)} ({seeds[0]}–{seeds[-1]}), works {rows[0]['works']}, "
           f"bootstrap {rows[0]['bootstrap']}, CI level {level}", ""]
    members = [r["members"] for r in rows if r["metric"] == METRICS[0]]
    out.append(f"members in the DiD per cohort: median {statistics.median(members)}, min {min(members)}, "
               f"max {max(members)}")
    out.append("")
    out.append("| cohort (world) | metric | truth τ | mean DiD | SD of DiD over seeds | mean CI half-width / z "
               "| coverage of τ | 95 % CI of coverage | CI excludes 0 |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    truths: dict[str, tuple[float, float]] = {}
    # The point estimate does not depend on the resampling: τ comes from the member rows, else the component rows.
    worlds = {w for w, _c, _m in by}
    tau_tag = next((t for t in ("", "/component", "/component-x", "/component-t", "/component-j", "-x", "-t", "-j")
                    if "planted" + t in worlds),
                   "/component")
    excl_tag = next((t for t in ("/component", "/component-x", "/component-t", "/component-j")
                     if "planted-excl" + t in worlds),
                    "/component")
    for m in METRICS:
        on, off = by.get(("planted" + tau_tag, PLANTED, m), {}), by.get(("off" + tau_tag, PLANTED, m), {})
        diffs = [on[s]["did"] - off[s]["did"] for s in seeds
                 if s in on and s in off and on[s]["did"] is not None and off[s]["did"] is not None]
        if len(diffs) > 1:
            truths[m] = (statistics.mean(diffs), statistics.stdev(diffs) / math.sqrt(len(diffs)))
    truths_excl: dict[str, tuple[float, float]] = {}
    for m in METRICS:
        on, off = by.get(("planted-excl" + excl_tag, PLANTED, m), {}), by.get(("off-excl" + excl_tag, PLANTED, m), {})
        diffs = [on[s]["did"] - off[s]["did"] for s in seeds
                 if s in on and s in off and on[s]["did"] is not None and off[s]["did"] is not None]
        if len(diffs) > 1:
            truths_excl[m] = (statistics.mean(diffs), statistics.stdev(diffs) / math.sqrt(len(diffs)))
    pooled: dict[tuple[str, bool, bool], tuple[int, int]] = {}
    cases = [(w + tag, c, k) for tag in ("", "/component", "/component-t", "-t", "/component-x", "-x", "/component-j", "-j")
             for w, c, k in (("planted", PLANTED, "τ"), ("planted", NULL, "0"), ("off", PLANTED, "0"),
                             ("off", NULL, "0"), ("planted-excl", PLANTED, "τ"), ("planted-excl", NULL, "0"),
                             ("off-excl", PLANTED, "0"), ("off-excl", NULL, "0"))]
    for world, cohort, kind in cases:
        for m in METRICS:
            d = by.get((world, cohort, m), {})
            xs = [d[s] for s in seeds if s in d and d[s]["ci_low"] is not None]
            if not xs:
                continue
            if kind == "τ":
                # with other programmes excluded the controls differ: τ from the paired excl worlds
                t = truths_excl if "-excl" in world else truths
                if m not in t:
                    continue
                tau, se = t[m]
                tau_txt = f"{tau:+.4f} (±{se:.4f})"
            else:
                tau, tau_txt = 0.0, "0"
            k = sum(1 for x in xs if x["ci_low"] <= tau <= x["ci_high"])
            if m in POOLED_METRICS and not (world.split("/")[0] == "planted" and cohort == NULL and m == "intl_share"):
                res, interval = _method(world)
                key = (res, interval, "-excl" in world, kind == "τ")
                hits, total = pooled.get(key, (0, 0))
                pooled[key] = (hits + k, total + len(xs))
            lo, hi = clopper_pearson(k, len(xs))
            excl = sum(1 for x in xs if x["excludes_zero"])
            dids = [x["did"] for x in xs]
            half = statistics.mean((x["ci_high"] - x["ci_low"]) / 2 / z for x in xs)
            out.append(
                f"| {cohort} ({world}) | {m} | {tau_txt} | {statistics.mean(dids):+.4f} | {statistics.stdev(dids):.4f} "
                f"| {half:.4f} | {k}/{len(xs)} = {k / len(xs):.0%} | [{lo:.0%}, {hi:.0%}] | {excl}/{len(xs)} |"
            )
    if pooled:
        out += ["", "Pooled coverage (intl_share, top_share, mncs; JP-NULL's intl_share next to the planted fellows "
                    "left out as contaminated, see docs/cohort.md §5b):", "",
                "| resampling | interval | controls | truth | coverage | 95 % CI |", "|---|---|---|---|---|---|"]
        for (res, interval, excl, planted), (k, n) in sorted(pooled.items()):
            lo, hi = clopper_pearson(k, n)
            out.append(f"| {res} | {interval} | {'other programmes excluded' if excl else 'all'} | "
                       f"{'planted (τ)' if planted else 'null (0)'} | {k}/{n} = {k / n:.1%} | [{lo:.1%}, {hi:.1%}] |")
    # the planted intl effect in model terms: tau = 0.30 * q * (1 - pi0), pi0 = member after-share without effect
    if "intl_share" in truths:
        off = by.get(("off" + tau_tag, PLANTED, "intl_share"), {})
        pi0 = statistics.mean(off[s]["member_after"] for s in seeds if s in off and off[s]["member_after"] is not None)
        tau = truths["intl_share"][0]
        out += ["", f"intl_share: members' after-share without the effect π0 = {pi0:.3f}; τ / (0.30 (1 − π0)) = "
                    f"{tau / (0.30 * (1 - pi0)):.3f} (share of planted extra co-authors that make a domestic paper "
                    "international in C(p))"]
    return "\n".join(out)


def cmd_summarize(a: argparse.Namespace) -> None:
    rows = [json.loads(x) for f in a.file for x in Path(f).read_text().splitlines() if x.strip()]
    print(summarize(rows))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="simulate, ingest and evaluate S seeds (appends JSON lines to --out)")
    r.add_argument("--seeds", type=int, default=40)
    r.add_argument("--first-seed", type=int, default=1000)
    r.add_argument("--works", type=int, default=20_000)
    r.add_argument("--members", type=int, default=60, help="members of JP-OVERSEAS and JP-NULL (0: simulator default)")
    r.add_argument("--bootstrap", type=int, default=1000)
    r.add_argument("--ci", type=float, default=0.9)
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--out", default="cohort_coverage.jsonl")
    r.add_argument("--worlds", default="planted,off", help="worlds to build: planted, off or both (default)")
    r.add_argument("--resample", default="component", choices=("member", "component"),
                   help="bootstrap unit of the DiD (rows of 'component' get the world suffix '/component')")
    r.add_argument("--interval", default="expanded",
                   help="DiD interval(s), comma-separated: percentile, studentized, expanded, jackknife (each evaluated on "
                        "the same bootstrap draws; rows get the world suffix '', '-t', '-x', '-j', e.g. "
                        "'planted/component-x')")
    r.add_argument("--no-excl", action="store_true",
                   help="evaluate with all researchers eligible as controls only (by default each world is also "
                        "evaluated with the other programmes' members excluded, world suffix '-excl')")
    r.add_argument("--exclude-others", action="store_true",
                   help="in the planted world, evaluate each cohort with the members of every other programme "
                        "excluded from the controls instead (rows with world 'planted-excl')")
    r.add_argument("--keep-worlds", metavar="DIR",
                   help="build each seed's worlds once under DIR/<seed>/ and reuse them in later runs (about 3.5 MB a "
                        "world at 20,000 works); by default they are deleted after the seed")
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra keyword of junkan.cohort.evaluate (repeatable; recorded in each row as 'options'). "
                        "Write each variant to its own --out file")
    r.set_defaults(func=cmd_run)
    s = sub.add_parser("summarize", help="coverage table from a JSON-lines file")
    s.add_argument("file", nargs="+", help="JSON-lines files of runs (rows of the same seed and world: last wins)")
    s.set_defaults(func=cmd_summarize)
    a = ap.parse_args(argv)
    if getattr(a, "members", None) == 0:
        a.members = None
    a.func(a)


if __name__ == "__main__":
    main()
