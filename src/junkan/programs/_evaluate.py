"""Portfolio indicators of programs against the national average and exact-matched non-program papers, with
seeded Poisson-bootstrap confidence intervals (docs/programs.md). Everything is one Ibis expression per output.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from junkan.engine import Engine, connect
from junkan.errors import ConfigError
from junkan.indicators import Scope, StoreTables
from junkan.programs._definitions import Program, load_programs
from junkan.programs._select import partner_table, program_works

__all__ = ["CLUSTERS", "METRICS", "ProgramsResult", "evaluate"]

#: per-work metrics; the program value is their mean over the program's evaluated papers
METRICS: dict[str, str] = {
    "top10": "Top 10% share (credit with ties as in the indicator core; PP_top10)",
    "top1": "Top 1% share (PP_top1)",
    "ncs": "mean normalised citation score (MNCS)",
    "international": "share of internationally co-authored papers (≥ 2 countries)",
    "foreign_authors": "share of authorships (with a country) without an affiliation in the country",
    "mobile_authors": "share of authorships whose author shows ≥ 2 countries over the store (mobility proxy)",
    "declared_partner": "share of papers co-authored with a declared partner country",
}
_BASE = ("top10", "top1", "ncs", "international", "foreign_authors", "mobile_authors")
DEFAULT_TEAM_BANDS = (1, 2, 4, 7, 11, 21)
#: bootstrap resampling units (docs/programs.md "Confidence intervals"); ``work`` = METHODS.md §7.2 step 6
CLUSTERS: dict[str, str] = {
    "work": "each paper is its own cluster (resample papers)",
    "award": "papers sharing their smallest work_awards.funder_award_id (grant/project) share a weight",
    "author": "papers with the same first author (authorships.author_id at position 0) share a weight",
    "institution": "papers whose first authorship's smallest institution id is the same share a weight",
}
# Poisson(1) cumulative probabilities P(K ≤ k), k = 0..8 (inverse-CDF draw from a hashed uniform).
_POISSON_CDF = (0.36787944117144233, 0.7357588823428847, 0.9196986029286058, 0.9810118431238462,
                0.9963401531726563, 0.9994058151824183, 0.9999167588507119, 0.9999897508033253,
                0.9999988747734474)
_HASH_MOD = 1_000_000_007


@dataclass
class ProgramsResult:
    """Indicators per program (and year), partner countries and provenance."""

    table: pa.Table
    papers: pa.Table
    partners: pa.Table
    provenance: dict[str, Any]

    def write(self, out_dir: str | os.PathLike[str]) -> Path:
        """Write ``indicators.csv``, ``papers.csv``, ``partners.csv`` and ``provenance.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(self.table, out / "indicators.csv")
        pacsv.write_csv(self.papers, out / "papers.csv")
        pacsv.write_csv(self.partners, out / "partners.csv")
        (out / "provenance.json").write_text(json.dumps(self.provenance, indent=2, ensure_ascii=False, default=str),
                                             encoding="utf-8")
        return out


def _div(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """``num / den``, NULL when ``den`` is 0 (no NaN or infinity reaches an aggregate)."""
    return ibis.cases((den > 0, num.cast("float64") / den), else_=ibis.null("float64"))


def _left(a: ir.Table, b: ir.Table, keys: list[str]) -> ir.Table:
    """Left join on ``keys`` keeping one copy of the keys and every other column of both sides."""
    j = a.join(b, keys, how="left")
    return j.select(*[a[k] for k in keys], *[a[c] for c in a.columns if c not in keys],
                    *[b[c] for c in b.columns if c not in keys])


def _band_expr(team: ir.IntegerValue, edges: Sequence[int]) -> ir.StringValue:
    cases = []
    for lo, hi in zip(edges, edges[1:]):
        label = str(lo) if hi - 1 == lo else f"{lo}-{hi - 1}"
        cases.append(((team >= lo) & (team < hi), ibis.literal(label)))
    return ibis.cases(*cases, else_=ibis.literal(f"{edges[-1]}+"))


def _poisson_weight(work_id: ir.StringValue, b: ir.IntegerValue, seed: int) -> ir.IntegerValue:
    h = (work_id + ibis.literal(f"|{seed}|") + b.cast("string")).hash()
    u = ((h % _HASH_MOD) + _HASH_MOD) % _HASH_MOD / _HASH_MOD
    cases = [(u < p, ibis.literal(k)) for k, p in enumerate(_POISSON_CDF)]
    return ibis.cases(*cases, else_=ibis.literal(len(_POISSON_CDF)))


def _cluster_keys(t: StoreTables, work_awards: ir.Table | None, cluster: str) -> ir.Table | None:
    """``work_id, ckey``: the bootstrap cluster of each work for ``cluster`` (None for ``work``: the work itself).
    Keys are prefixed by kind; works without one (no award, no author id, no institution) are their own cluster."""
    if cluster == "work":
        return None
    if cluster == "award":
        assert work_awards is not None
        wa = work_awards.filter(work_awards.funder_award_id.notnull() & (work_awards.funder_award_id != ""))
        g = wa.group_by("work_id").aggregate(k=wa.funder_award_id.min())
        return g.select("work_id", ckey=ibis.literal("award:") + g.k)
    if cluster == "author":
        a = t.authorships
        a = a.filter((a.author_position == 0) & a.author_id.notnull())
        g = a.group_by("work_id").aggregate(k=a.author_id.min())
        return g.select("work_id", ckey=ibis.literal("author:") + g.k)
    ai = t.authorship_institutions
    ai = ai.filter((ai.author_position == 0) & ai.institution_id.notnull())
    g = ai.group_by("work_id").aggregate(k=ai.institution_id.min())
    return g.select("work_id", ckey=ibis.literal("institution:") + g.k)


def _frame(sc: Scope, t: StoreTables, country: str, pct_method: str, edges: Sequence[int],
           clusters: ir.Table | None = None) -> tuple[ir.Table, ...]:
    """(docset, units-based work countries, frame F of evaluable national works with per-work metrics and the
    bootstrap cluster key ``ckey``)."""
    docset = sc.works(t)
    scored = sc.scored(t, tops={"top10": (10, pct_method), "top1": (1, pct_method)}, ncs=True)
    units = sc.units(t, docset)
    wc = units.select("work_id", "country").distinct()
    ws = wc.group_by("work_id").aggregate(n_countries=wc.country.nunique(),
                                          has_x=(wc.country == country).any())
    auth = t.authorships.semi_join(docset.select("work_id"), "work_id")
    team = auth.group_by("work_id").aggregate(team=auth.count())
    ac = units.group_by(["work_id", "author_position"]).aggregate(home=(units.country == country).any())
    # mobility: an author with units in >= 2 countries over the whole store (all years of the document set)
    units_all = sc.units(t, sc.works(t, years=False))
    aid = t.authorships.filter(t.authorships.author_id.notnull()).select("work_id", "author_position", "author_id")
    ua = units_all.join(aid, ["work_id", "author_position"])
    mob = ua.group_by("author_id").aggregate(n_c=ua.country.nunique())
    mob = mob.filter(mob.n_c >= 2).select("author_id", mobile=ibis.literal(1))
    ac = ac.join(aid, ["work_id", "author_position"], how="left").select("work_id", "author_position", "home",
                                                                         "author_id")
    ac = ac.join(mob, "author_id", how="left")
    fa = ac.group_by("work_id").aggregate(
        lead=ibis.cases(((ac.author_position == 0) & ac.home, 1), else_=0).max(),
        n_auth_c=ac.count(),
        n_foreign=ibis.cases((~ac.home, 1), else_=0).sum(),
        n_mobile=ac.mobile.fill_null(0).sum(),
    )
    f = scored.filter(scored.in_set).join(ws.filter(ws.has_x), "work_id").join(team, "work_id").join(fa, "work_id")
    f = f.select(
        "work_id",
        year=f.publication_year.cast("int64"),
        field_id=f.field_id.cast("int64"),
        band=_band_expr(f.team, edges) + ibis.cases((f.lead == 1, ibis.literal("/lead")), else_=ibis.literal("")),
        top10=f.top10.cast("float64"),
        top1=f.top1.cast("float64"),
        ncs=f.ncs.cast("float64"),
        international=ibis.cases((f.n_countries >= 2, 1.0), else_=0.0),
        foreign_authors=f.n_foreign.cast("float64") / f.n_auth_c,
        mobile_authors=f.n_mobile.cast("float64") / f.n_auth_c,
    )
    if clusters is None:
        f = f.mutate(ckey=f.work_id)
    else:
        f = _left(f, clusters, ["work_id"])
        f = f.mutate(ckey=f.ckey.fill_null(ibis.literal("work:") + f.work_id))
    return docset, wc, f


def _estimates(f: ir.Table, members: ir.Table, pflag: ir.Table, bootstrap: int, seed: int) -> ir.Table:
    """Per (program_id, b, year) and (program_id, b, year=NULL): value, matched value, control and national for
    every metric; ``b = -1`` is the point estimate (weights 1), ``b ≥ 0`` the Poisson-bootstrap replicates. The
    weight of a work is drawn from its cluster key ``ckey`` (``work_id`` when ``f`` has none), so the works of one
    cluster (award, first author, institution) are resampled together, in the program and among the controls."""
    reps = ibis.memtable(pa.table({"b": pa.array(range(-1, bootstrap), pa.int64())}))
    fw = f.cross_join(reps)
    key = fw.ckey if "ckey" in fw.columns else fw.work_id  # the cluster of each work (its own id by default)
    fw = fw.mutate(w=ibis.cases((fw.b < 0, 1), else_=_poisson_weight(key, fw.b, seed)).cast("float64"))
    fw = fw.filter(fw.w > 0)
    stratum = ["b", "year", "field_id", "band"]
    m = list(_BASE)
    sf = fw.group_by(stratum).aggregate(n=fw.w.sum(), **{f"s_{k}": (fw.w * fw[k]).sum() for k in m})
    pw = members.join(fw, "work_id")
    pw = pw.join(pflag.select("program_id", "work_id", dp=ibis.literal(1.0)), ["program_id", "work_id"], how="left")
    pw = pw.mutate(declared_partner=pw.dp.fill_null(0.0))
    mk = [*m, "declared_partner"]
    sp = pw.group_by(["program_id", *stratum]).aggregate(
        n_k=pw.w.sum(), **{f"k_{k}": (pw.w * pw[k]).sum() for k in mk})
    dw = pflag.join(fw, "work_id")
    sd = dw.group_by(["program_id", *stratum]).aggregate(s_declared_partner=dw.w.sum())
    j = sp.join(sf, stratum).join(sd, ["program_id", *stratum], how="left")
    j = j.select(*[c for c in j.columns if not c.endswith("_right")])
    j = j.mutate(s_declared_partner=j.s_declared_partner.fill_null(0.0), n_c=j.n - j.n_k)
    matched = j.n_c > 0
    contrib: dict[str, ir.Value] = {"n_m": ibis.cases((matched, j.n_k), else_=0.0)}
    for k in mk:
        contrib[f"t_{k}"] = ibis.cases((matched, j[f"k_{k}"]), else_=0.0)
        contrib[f"c_{k}"] = ibis.cases((matched, j.n_k * _div(j[f"s_{k}"] - j[f"k_{k}"], j.n_c)), else_=0.0)
    j = j.mutate(**contrib)
    sums = ["n_k", "n_m", *[f"k_{k}" for k in mk], *[f"t_{k}" for k in mk], *[f"c_{k}" for k in mk]]
    y = j.group_by(["program_id", "b", "year"]).aggregate(**{c: j[c].sum() for c in sums})
    nat = sf.group_by(["b", "year"]).aggregate(n_nat=sf.n.sum(), **{f"s_{k}": sf[f"s_{k}"].sum() for k in m})
    natd = sd.group_by(["program_id", "b", "year"]).aggregate(s_declared_partner=sd.s_declared_partner.sum())
    y = y.join(nat, ["b", "year"]).join(natd, ["program_id", "b", "year"], how="left")
    y = y.select(*[c for c in y.columns if not c.endswith("_right")])
    y = y.mutate(s_declared_partner=y.s_declared_partner.fill_null(0.0))
    y = y.mutate(**{f"nat_{k}": _div(y[f"s_{k}"], y.n_nat) for k in mk})
    # all years: sums over years; the national value is standardised to the program's year profile
    a = y.group_by(["program_id", "b"]).aggregate(
        **{c: y[c].sum() for c in sums}, **{f"nw_{k}": (y.n_k * y[f"nat_{k}"]).sum() for k in mk})
    a = a.mutate(year=ibis.literal(-1, "int64"),  # -1 = all years (NULL in the output)
                  **{f"nat_{k}": _div(a[f"nw_{k}"], a.n_k) for k in mk})
    cols = ["program_id", "b", "year", "n_k", "n_m"]
    out = []
    for tb in (y, a):
        sel: dict[str, ir.Value] = {}
        for k in mk:
            sel[f"value__{k}"] = _div(tb[f"k_{k}"], tb.n_k)
            sel[f"matched__{k}"] = _div(tb[f"t_{k}"], tb.n_m)
            sel[f"control__{k}"] = _div(tb[f"c_{k}"], tb.n_m)
            sel[f"national__{k}"] = tb[f"nat_{k}"]
        out.append(tb.select(*cols, **sel))
    return out[0].union(out[1])


def _long(est: ir.Table, level: float) -> ir.Table:
    stats = ("value", "matched", "control", "national")
    mk = [*_BASE, "declared_partner"]
    parts = []
    for s in stats:
        p = est.select("program_id", "b", "year", "n_k", "n_m", *[f"{s}__{k}" for k in mk])
        p = p.pivot_longer([f"{s}__{k}" for k in mk], names_to="metric", values_to=s)
        parts.append(p.mutate(metric=p.metric.replace(f"{s}__", "")))
    keys = ["program_id", "b", "year", "metric"]
    lng = parts[0]
    for p in parts[1:]:
        lng = lng.join(p.drop("n_k", "n_m"), keys)
        lng = lng.select(*[c for c in lng.columns if not c.endswith("_right")])
    lng = lng.mutate(diff_matched=lng.matched - lng.control, diff_national=lng.value - lng.national)
    point = lng.filter(lng.b < 0).drop("b")
    boot = lng.filter(lng.b >= 0)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    g = ["program_id", "year", "metric"]
    ci = boot.group_by(g).aggregate(
        value_lo=boot.value.quantile(lo), value_hi=boot.value.quantile(hi),
        diff_matched_lo=boot.diff_matched.quantile(lo), diff_matched_hi=boot.diff_matched.quantile(hi),
        diff_national_lo=boot.diff_national.quantile(lo), diff_national_hi=boot.diff_national.quantile(hi),
        diff_matched_se=boot.diff_matched.std(),
        replicates=boot.diff_matched.count(),
    )
    r = _left(point, ci, g)
    return r.select(
        "program_id", year=ibis.cases((r.year < 0, ibis.null("int64")), else_=r.year), metric=r.metric, papers_evaluated=r.n_k.round().cast("int64"),
        papers_matched=r.n_m.round().cast("int64"), value=r.value, value_lo=r.value_lo, value_hi=r.value_hi,
        national=r.national, diff_national=r.diff_national, diff_national_lo=r.diff_national_lo,
        diff_national_hi=r.diff_national_hi, matched_value=r.matched, control=r.control,
        diff_matched=r.diff_matched, diff_matched_lo=r.diff_matched_lo, diff_matched_hi=r.diff_matched_hi,
        diff_matched_se=r.diff_matched_se, replicates=r.replicates,
    )


def evaluate(
    engine: Engine | str | os.PathLike[str],
    programs: str | os.PathLike[str] | Sequence[Program],
    *,
    country: str = "JP",
    years: Any = None,
    profile: str = "nistep",
    country_map: Any = None,
    top_method: str = "cwts",
    level: str = "field",
    window: int | None = None,
    census_year: int | None = None,
    team_bands: Sequence[int] = DEFAULT_TEAM_BANDS,
    bootstrap: int = 500,
    seed: int = 0,
    confidence: float = 0.95,
    cluster: str = "work",
) -> ProgramsResult:
    """Evaluate ``programs`` (a YAML path or parsed :class:`Program` list) on ``engine`` (or a store path).

    Returns indicators per program × year (``year`` null = all years) × metric, against the national average of
    ``country`` and against exact-matched non-program papers (same year, field, team-size band, with ``country``),
    with seeded Poisson-bootstrap percentile intervals at ``confidence``; ``cluster`` chooses the resampling unit
    (:data:`CLUSTERS`: ``work``, ``award``, ``author``, ``institution``). See docs/programs.md.
    """
    t0 = time.perf_counter()
    if isinstance(programs, (str, os.PathLike)):
        path: str | None = str(programs)
        progs = load_programs(programs)
        digest = hashlib.sha256(Path(programs).read_bytes()).hexdigest()
    else:
        path, progs, digest = None, list(programs), None
    if not progs:
        raise ConfigError("no programs to evaluate")
    if not isinstance(bootstrap, int) or isinstance(bootstrap, bool) or bootstrap < 50:
        raise ConfigError(f"bootstrap must be an integer ≥ 50, got {bootstrap!r}")
    if not 0.5 <= float(confidence) < 1:
        raise ConfigError(f"confidence must be in [0.5, 1), got {confidence!r}")
    edges = tuple(int(e) for e in team_bands)
    if not edges or edges[0] != 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ConfigError(f"team_bands must be increasing lower bounds starting at 1, got {tuple(team_bands)!r}")
    if cluster not in CLUSTERS:
        raise ConfigError(f"unknown cluster {cluster!r}; choose one of {', '.join(CLUSTERS)}")
    if top_method not in ("cwts", "nistep", "nistep_exclusive"):
        raise ConfigError(f"unknown top_method {top_method!r}; choose cwts, nistep or nistep_exclusive")
    eng = engine if isinstance(engine, Engine) else connect(engine)
    sc = Scope(profile=profile, country_map=country_map, years=years, window=window, census_year=census_year,
               level=level)
    x = str(country).strip().upper()
    x = sc.country_map.get(x, x)
    for p in progs:
        if p.country and sc.country_map.get(p.country, p.country) != x:
            raise ConfigError(f"program {p.id!r} is defined for country {p.country}, evaluated for {x}. Hint: "
                              f"use --country {p.country} or evaluate it in a separate file")
    t = StoreTables.from_engine(eng)
    clusters = _cluster_keys(t, eng.table("work_awards") if cluster == "award" else None, cluster)
    docset, wc, f = _frame(sc, t, x, top_method, edges, clusters)
    sel = [program_works(p, docset=docset, work_funders=eng.table("work_funders"),
                         work_awards=eng.table("work_awards"), authorship_institutions=t.authorship_institutions,
                         institutions=t.institutions, work_countries=wc) for p in progs]
    members_all = sel[0]
    for s in sel[1:]:
        members_all = members_all.union(s)
    members_all = eng.con.create_table(f"_programs_members_{os.getpid()}", members_all, temp=True) \
        if eng.backend == "duckdb" else members_all
    fm = eng.con.create_table(f"_programs_frame_{os.getpid()}", f, temp=True) if eng.backend == "duckdb" else f
    members = members_all.semi_join(fm.select("work_id"), "work_id")
    partners = partner_table(progs)
    pflag = wc.join(partners, "country").select("program_id", "work_id").distinct().semi_join(
        fm.select("work_id"), "work_id")
    est = _estimates(fm, members, pflag, bootstrap, seed)
    table = eng.to_pyarrow(_long(est, float(confidence)))
    has_partners = pa.array([p.id for p in progs if p.declared_partners], pa.string())
    keep = pc.or_(pc.not_equal(table["metric"], "declared_partner"), pc.is_in(table["program_id"], has_partners))
    table = table.filter(keep)
    order = {k: i for i, k in enumerate(METRICS)}
    table = table.append_column("_m", pa.array([order[m] for m in table["metric"].to_pylist()], pa.int64()))
    table = table.sort_by([("program_id", "ascending"), ("year", "ascending"), ("_m", "ascending")]).drop(["_m"])

    # papers per program and year (all document-set papers, and those evaluated)
    dy = docset.select("work_id", year=docset.publication_year.cast("int64"))
    mj = members_all.join(dy, "work_id")
    pap = mj.group_by(["program_id", "year"]).aggregate(papers=mj.count())
    ev = members.join(fm.select("work_id", "year"), "work_id")
    pev = ev.group_by(["program_id", "year"]).aggregate(papers_evaluated=ev.count())
    pap = pap.join(pev, ["program_id", "year"], how="left")
    pap = pap.select("program_id", "year", "papers", papers_evaluated=pap.papers_evaluated.fill_null(0))
    papers = eng.to_pyarrow(pap).sort_by([("program_id", "ascending"), ("year", "ascending")])

    # partner countries: program papers with each co-author country, against the national share in the same years
    pj = members.join(wc, "work_id")
    pj = pj.filter(pj.country != x)
    n_prog = members.group_by("program_id").aggregate(n_prog=members.count())
    pc_ = pj.group_by(["program_id", "country"]).aggregate(papers=pj.count())
    pyears = members.join(fm.select("work_id", "year"), "work_id").select("program_id", "year").distinct()
    fy = fm.select("work_id", "year").join(pyears, "year")
    n_nat = fy.group_by("program_id").aggregate(n_nat=fy.count())
    fyc = fy.join(wc, "work_id")
    fyc = fyc.filter(fyc.country != x)
    nat_c = fyc.group_by(["program_id", "country"]).aggregate(national_papers=fyc.count())
    decl = partners.mutate(declared=ibis.literal(True))
    allc = pc_.select("program_id", "country").union(decl.select("program_id", "country")).distinct()
    r = _left(allc, pc_, ["program_id", "country"])
    r = _left(r, nat_c, ["program_id", "country"])
    r = _left(r, decl, ["program_id", "country"])
    r = _left(r, n_prog, ["program_id"])
    r = _left(r, n_nat, ["program_id"])
    papers_c = r.papers.fill_null(0)
    r = r.select("program_id", "country", declared=r.declared.fill_null(False), papers=papers_c,
                 share=papers_c.cast("float64") / r.n_prog,
                 national_share=r.national_papers.fill_null(0).cast("float64") / r.n_nat)
    partners_tbl = eng.to_pyarrow(r).sort_by([("program_id", "ascending"), ("papers", "descending"),
                                              ("country", "ascending")])
    if eng.backend == "duckdb":
        eng.con.drop_table(f"_programs_members_{os.getpid()}", force=True)
        eng.con.drop_table(f"_programs_frame_{os.getpid()}", force=True)

    provenance = {
        **eng.provenance,
        "analysis": "programs",
        "definitions_file": path,
        "definitions_sha256": digest,
        "programs": [{k: v for k, v in asdict(p).items() if k != "source"} | {"defined_at": p.source}
                     for p in progs],
        "country": x,
        "scope": sc.provenance(),
        "top_method": top_method,
        "matching": {"exact_on": ["year", "field_id", "team_size_band", f"first authorship affiliated in {x}",
                                 f"country {x} among the paper's countries"],
                     "team_bands": [*(f"{a}-{b - 1}" if b - 1 != a else str(a) for a, b in zip(edges, edges[1:])),
                                    f"{edges[-1]}+"],
                     "estimand": "mean over matched program papers of (metric − mean of the stratum's non-program "
                                 "papers)"},
        "bootstrap": {"kind": "Poisson(1) weights per cluster from hash(cluster key, seed, replicate)",
                      "cluster": cluster, "cluster_definition": CLUSTERS[cluster],
                      "replicates": bootstrap, "seed": seed, "confidence": confidence,
                      "interval": "percentile"},
        "metrics": METRICS,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return ProgramsResult(table=table, papers=papers, partners=partners_tbl, provenance=provenance)
