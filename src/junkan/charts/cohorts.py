"""Cohort results (briefing p24-25): papers of a fellowship cohort before, during and after the fellowship,
next to the national average, and the difference in differences against matched controls
(:func:`junkan.cohort.evaluate`).

The cohort file comes from the store: a store built from a simulated world carries the world's folder in its
manifest (the ingest inputs), and the world ships ``cohorts/<COUNTRY>-OVERSEAS.csv``. For a real store, run
``junkan cohort evaluate COHORT.csv``; the chart says it is unavailable.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from junkan.charts._base import ChartParams, ChartUnavailable, rows
from junkan.charts._common import chart_provenance, finish, with_prov
from junkan.model.countries import country_name

if TYPE_CHECKING:
    from junkan.engine import Engine

#: Bootstrap draws of the DiD confidence interval (cohort.evaluate's default is 1000; the chart shows the point
#: estimates by phase, and the CI of the takeaway is stable at this size for the seeded bootstrap).
BOOTSTRAP = 1000
SEED = 0
METRICS = ("intl_share", "top_share")
_METRIC_LABELS = {"intl_share": ("国際共著率", "international co-authorship share"),
                  "top_share": ("Top10%論文割合", "share of Top10% papers")}
_PHASES = {"before": ("派遣前", "before"), "during": ("派遣中", "during"), "after": ("派遣後", "after")}


def cohort_file(engine: Engine, country: str, kind: str = "OVERSEAS") -> Path:
    """``<world>/cohorts/<COUNTRY>-<KIND>.csv`` (OVERSEAS: fellows sent abroad; INBOUND: fellows hosted) of the
    simulated world the store was built from."""
    manifest = engine.store.manifest
    worlds = set()
    for inp in manifest.get("inputs", []):
        for parent in Path(str(inp.get("path", ""))).parents:
            if (parent / "simulation.json").is_file():
                worlds.add(parent)
                break
    for w in sorted(worlds):
        f = w / "cohorts" / f"{country}-{kind}.csv"
        if f.is_file():
            return f
    raise ChartUnavailable(f"no cohort file for {country}: the store is not built from a simulated world with a "
                           f"{country}-{kind} cohort. Hint: junkan cohort evaluate COHORT.csv --country {country}")


def cohort_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.cohort import evaluate, read_cohort

    path = cohort_file(engine, p.country)
    cohort = read_cohort(path)
    res = evaluate(engine, cohort, country=p.country, bootstrap=BOOTSTRAP, seed=SEED)
    out = []
    for r in res.by_phase.to_pylist():
        for m in METRICS:
            # the members' shares carry their paper-bootstrap interval (METHODS §7.2 step 6; level phase_ci)
            out.append({"phase": r["phase"], "metric": m, "group": "members", "value": r[m], "papers": r["n"],
                        "ci_low": r.get(f"{m}_low"), "ci_high": r.get(f"{m}_high"),
                        "ci": res.provenance.get("phase_ci")})
            out.append({"phase": r["phase"], "metric": m, "group": "national", "value": r[f"national_{m}"], "papers": r["n"]})
    did = {r["metric"]: r for r in res.did.to_pylist()}
    for m in METRICS:
        d = did.get(m)
        if d:
            out.append({"phase": "did", "metric": m, "group": "did", "value": d["did"], "papers": d["members"],
                        "ci_low": d["ci_low"], "ci_high": d["ci_high"], "ci": d["ci"]})
    t = pa.Table.from_pylist(out, schema=pa.schema([
        ("phase", pa.string()), ("metric", pa.string()), ("group", pa.string()), ("value", pa.float64()),
        ("papers", pa.int64()), ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("ci", pa.float64())]))
    prov = dict(res.provenance)
    prov.update({k: v for k, v in engine.provenance.items() if k not in prov})
    return with_prov(t, chart_provenance(
        engine, prov, p, counting="cohort_papers", years=None, profile=res.provenance.get("profile", "nistep"), field=None,
        cohort={"file": str(path), "program": path.stem, "members": res.members.num_rows,
                "bootstrap": BOOTSTRAP, "seed": SEED},
        window_note={"ja": f"コホート {path.stem}（派遣前・中・後 各3年）", "en": f"cohort {path.stem} (3 years before/after)"}))


def cohort_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    groups = {"members": p.t("派遣者", "fellows"), "national": p.t("全国平均（同じ年）", "national average (same years)")}
    order = [p.t(*v) for v in _PHASES.values()]
    data = [{**r, "phase_label": p.t(*_PHASES[r["phase"]]), "group_label": groups[r["group"]],
             "metric_label": p.t(*_METRIC_LABELS[r["metric"]])} for r in rows(table) if r["group"] != "did"]
    base = alt.Chart(alt.Data(values=data)).encode(
        x=alt.X("phase_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("group_label:N", sort=list(groups.values())),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%")),
        color=alt.Color("group_label:N", title=None, sort=list(groups.values()),
                        scale=alt.Scale(range=["#d62728", "#9e9e9e"])),
        tooltip=["metric_label:N", "phase_label:N", "group_label:N", alt.Tooltip("value:Q", format=".1%"), "papers:Q",
                 alt.Tooltip("ci_low:Q", format=".1%"), alt.Tooltip("ci_high:Q", format=".1%")],
    )
    # the fellows' paper-bootstrap interval (the national average has none: it is all the country's papers)
    whiskers = base.transform_filter("isValid(datum.ci_low)").mark_rule(color="#333333").encode(
        y="ci_low:Q", y2="ci_high:Q",
    )
    chart = alt.layer(bars, whiskers).properties(width=260, height=240).facet(
        column=alt.Column("metric_label:N", title=None, sort=[p.t(*_METRIC_LABELS[m]) for m in METRICS]),
    ).resolve_scale(y="independent").properties(
        title=p.t(f"{country_name(p.country, 'ja')}の派遣研究者（コホート）の論文: 派遣前・中・後",
                  f"Papers of {country_name(p.country, 'en')}'s fellows before, during and after the fellowship"))
    return finish(chart)


def cohort_takeaway(table: pa.Table, p: ChartParams) -> str:
    d = {r["metric"]: r for r in table.to_pylist() if r["group"] == "did"}
    r = d.get("intl_share")
    if r is None or r["value"] is None:
        raise ChartUnavailable("no members with matched controls: no difference in differences")
    pts = r["value"] * 100
    lo, hi = (r["ci_low"] or 0) * 100, (r["ci_high"] or 0) * 100
    level = f"{(r['ci'] or 0.9) * 100:.0f}%"
    return p.t(f"国際共著率の差の差（派遣後−派遣前、対照群比）: {pts:+.1f}ポイント（{level}信頼区間 {lo:+.1f}〜{hi:+.1f}）",
               f"International co-authorship, difference in differences vs matched controls: {pts:+.1f} points "
               f"({level} CI {lo:+.1f} to {hi:+.1f})")


# ---------------------------------------------------------------------------------------------------------------
# hosts (briefing p25): the institutions hosting inbound fellows, before / during / after the stays, against the
# national averages of the country and of the US

#: the comparison country of the hosts chart (the briefing compares hosts with the US and Japan)
HOSTS_COMPARISON = "US"


def hosts_compute(engine: Engine, p: ChartParams) -> pa.Table:
    from junkan.cohort import evaluate, read_cohort

    path = cohort_file(engine, p.country, "INBOUND")
    res = evaluate(engine, read_cohort(path), country=p.country, bootstrap=0, seed=SEED,
                   comparison_country=HOSTS_COMPARISON)
    if res.hosts_by_phase is None or not res.hosts_by_phase.num_rows:
        raise ChartUnavailable(f"no host institution of {path.stem} resolves to an institution of the store")
    out = []
    for r in res.hosts_by_phase.to_pylist():
        for m in METRICS:
            for group, key in (("hosts", m), ("national", f"national_{m}"), ("comparison", f"comparison_{m}")):
                out.append({"phase": r["phase"], "metric": m, "group": group, "value": r[key], "papers": r["n"],
                            "hosts": r["hosts"]})
    t = pa.Table.from_pylist(out, schema=pa.schema([
        ("phase", pa.string()), ("metric", pa.string()), ("group", pa.string()), ("value", pa.float64()),
        ("papers", pa.int64()), ("hosts", pa.int64())]))
    prov = dict(res.provenance)
    prov.update({k: v for k, v in engine.provenance.items() if k not in prov})
    return with_prov(t, chart_provenance(
        engine, prov, p, counting="cohort_papers", years=None, profile=res.provenance.get("profile", "nistep"), field=None,
        cohort={"file": str(path), "program": path.stem, "members": res.members.num_rows,
                "hosts_resolved": res.provenance.get("hosts_resolved"), "comparison_country": HOSTS_COMPARISON},
        window_note={"ja": f"コホート {path.stem} の受入機関（受入前・中・後 各3年）",
                     "en": f"host institutions of cohort {path.stem} (3 years before/after)"}))


def hosts_spec(table: pa.Table, p: ChartParams) -> dict:
    import altair as alt

    groups = {"hosts": p.t("受入機関", "host institutions"),
              "national": p.t(f"{country_name(p.country, 'ja')}全体（同じ年）", f"{country_name(p.country, 'en')} (same years)"),
              "comparison": p.t(f"{country_name(HOSTS_COMPARISON, 'ja')}全体（同じ年）",
                                f"{country_name(HOSTS_COMPARISON, 'en')} (same years)")}
    phases = {"before": ("受入前", "before"), "during": ("受入中", "during"), "after": ("受入後", "after")}
    order = [p.t(*v) for v in phases.values()]
    data = [{**r, "phase_label": p.t(*phases[r["phase"]]), "group_label": groups[r["group"]],
             "metric_label": p.t(*_METRIC_LABELS[r["metric"]])} for r in rows(table)]
    chart = alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("phase_label:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("group_label:N", sort=list(groups.values())),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format="%")),
        color=alt.Color("group_label:N", title=None, sort=list(groups.values()),
                        scale=alt.Scale(range=["#1f77b4", "#9e9e9e", "#ff7f0e"])),
        tooltip=["metric_label:N", "phase_label:N", "group_label:N", alt.Tooltip("value:Q", format=".1%"), "papers:Q",
                 "hosts:Q"],
    ).properties(width=260, height=240).facet(
        column=alt.Column("metric_label:N", title=None, sort=[p.t(*_METRIC_LABELS[m]) for m in METRICS]),
    ).resolve_scale(y="independent").properties(
        title=p.t(f"{country_name(p.country, 'ja')}の招へい研究者の受入機関: 受入前・中・後（{country_name(HOSTS_COMPARISON, 'ja')}と比較）",
                  f"Institutions hosting {country_name(p.country, 'en')}'s inbound fellows, before, during and after "
                  f"(vs {country_name(HOSTS_COMPARISON, 'en')})"))
    return finish(chart)


def hosts_takeaway(table: pa.Table, p: ChartParams) -> str:
    d = {(r["phase"], r["group"]): r["value"] for r in table.to_pylist() if r["metric"] == "intl_share"}
    h, n = d.get(("during", "hosts")), d.get(("during", "national"))
    if h is None or n is None:
        raise ChartUnavailable("the host institutions have no papers during the stays")
    return p.t(f"受入中の受入機関の国際共著率: {h * 100:.1f}%（{country_name(p.country, 'ja')}全体 {n * 100:.1f}%）",
               f"International co-authorship of the host institutions during the stays: {h * 100:.1f}% "
               f"({country_name(p.country, 'en')} overall {n * 100:.1f}%)")
