"""Cohort evaluation (METHODS.md §7): resolution, per-phase metrics, national benchmark, matched controls, DiD."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from junkan.cohort._read import Cohort, normalize_author_id
from junkan.cohort._stats import expanded_level, t_quantile
from junkan.engine import Engine
from junkan.errors import ConfigError
from junkan.indicators._scope import Scope
from junkan.indicators.base import StoreTables, work_countries

__all__ = ["METRICS", "CohortResult", "evaluate", "resolve"]

#: metric -> (numerator column, denominator column) of the per-unit phase sums
METRICS = {
    "papers_per_year": ("n", "years"),
    "top_share": ("top", "n_cit"),
    "mncs": ("ncs", "n_cit"),
    "intl_share": ("n_intl", "n_country"),
}
PHASES = ("before", "during", "after")
#: DiD interval methods (docs/cohort.md §4 and §5b); the first is the default
INTERVALS = ("expanded", "percentile", "studentized", "jackknife")
#: which members and controls enter the DiD (docs/cohort.md §4); the first is the default
PANELS = ("all", "balanced")
#: the country a control must share with its member (docs/cohort.md §4); the first is the default
MATCH_COUNTRY = ("home", "base")


@dataclass
class CohortResult:
    """Arrow tables of a cohort evaluation plus the resolved options (``provenance``)."""

    members: pa.Table
    by_phase: pa.Table
    by_relative_year: pa.Table
    national: pa.Table
    did: pa.Table
    controls: pa.Table
    problems: pa.Table
    provenance: dict[str, Any] = field(default_factory=dict)
    hosts_by_phase: pa.Table | None = None
    hosts_by_relative_year: pa.Table | None = None

    def tables(self) -> dict[str, pa.Table]:
        out = {
            "members": self.members,
            "by_phase": self.by_phase,
            "by_relative_year": self.by_relative_year,
            "national": self.national,
            "did": self.did,
            "controls": self.controls,
            "problems": self.problems,
        }
        if self.hosts_by_phase is not None:
            out["hosts_by_phase"] = self.hosts_by_phase
        if self.hosts_by_relative_year is not None:
            out["hosts_by_relative_year"] = self.hosts_by_relative_year
        return out


# ---------------------------------------------------------------------------------------------------------------
# resolution


def resolve(engine: Engine, cohort: Cohort) -> pa.Table:
    """Map cohort members to store author ids: the OpenAlex author id first (if the store has it), else the ORCID via
    ``authorships.orcid``. An ORCID carried by several author ids is ``ambiguous``; nothing is guessed.

    Columns: the cohort columns, ``status`` (``resolved``/``ambiguous``/``missing``), ``method``
    (``openalex_id``/``orcid``/null), ``author_id`` (resolved id or null), ``candidates`` (author ids seen for the
    ORCID), ``note``.
    """
    m = cohort.members
    a = engine.table("authorships")
    aids = [x for x in m.column("openalex_author_id").to_pylist() if x]
    orcids = [x for x in m.column("orcid").to_pylist() if x]
    known: set[str] = set()
    if aids:
        q = a.filter(a.author_id.isin(aids)).select("author_id").distinct()
        known = set(engine.to_pyarrow(q).column("author_id").to_pylist())
    by_orcid: dict[str, list[str]] = {}
    if orcids:
        q = a.filter(a.orcid.isin(orcids) & a.author_id.notnull()).select("orcid", "author_id").distinct()
        r = engine.to_pyarrow(q)
        for o, aid in zip(r.column("orcid").to_pylist(), r.column("author_id").to_pylist(), strict=True):
            by_orcid.setdefault(o, []).append(aid)
    status, method, resolved, cands, notes = [], [], [], [], []
    for aid, o in zip(m.column("openalex_author_id").to_pylist(), m.column("orcid").to_pylist(), strict=True):
        c = sorted(by_orcid.get(o, [])) if o else []
        cands.append(c)
        if aid and aid in known:
            status.append("resolved")
            method.append("openalex_id")
            resolved.append(aid)
            extra = [x for x in c if x != aid]
            notes.append(f"ORCID also on {', '.join(extra)} (not merged)" if extra else None)
        elif o and len(c) == 1:
            status.append("resolved")
            method.append("orcid")
            resolved.append(c[0])
            notes.append(f"author id {aid} not in the store; resolved by ORCID" if aid else None)
        elif o and len(c) > 1:
            status.append("ambiguous")
            method.append(None)
            resolved.append(None)
            notes.append(f"ORCID {o} is on {len(c)} author ids: {', '.join(c)}")
        else:
            status.append("missing")
            method.append(None)
            resolved.append(None)
            why = []
            if aid:
                why.append(f"author id {aid} not in the store")
            if o:
                why.append(f"ORCID {o} not in the store")
            notes.append("; ".join(why))
    return (
        m.append_column("status", pa.array(status, pa.string()))
        .append_column("method", pa.array(method, pa.string()))
        .append_column("author_id", pa.array(resolved, pa.string()))
        .append_column("candidates", pa.array(cands, pa.list_(pa.string())))
        .append_column("note", pa.array(notes, pa.string()))
    )


def _norm_name(value: str) -> str:
    return " ".join(value.split()).lower()


def resolve_hosts(engine: Engine, cohort: Cohort) -> pa.Table:
    """Map each member's ``host_institution`` to a store institution id: an OpenAlex institution id (``I123`` or
    URL) or a ROR id (``0abcdefgh`` or URL) when it is one, else the display name (case and spacing ignored)
    among the institutions of ``host_country`` (all countries when it is empty; else, failing that, among those
    the store gives no country, with a note). Several matches are
    ``ambiguous``, none ``missing``; nothing is guessed. Columns: ``person_id``, ``host_id``, ``host_status``
    (``resolved``/``ambiguous``/``missing``/``none`` without a host), ``host_note``."""
    m = cohort.members
    inst = engine.table("institutions")
    hosts = m.column("host_institution").to_pylist()
    countries = m.column("host_country").to_pylist()
    kind: list[tuple[str, str] | None] = []
    for h in hosts:
        v = (h or "").strip()
        low = v.lower()
        if not v:
            kind.append(None)
        elif re.fullmatch(r"(https?://openalex\.org/)?i\d+", low):
            kind.append(("id", "I" + low.rsplit("/", 1)[-1][1:]))
        elif re.fullmatch(r"(https?://ror\.org/)?0[a-z0-9]{6}\d{2}", low):
            kind.append(("ror", low.rsplit("/", 1)[-1]))
        else:
            kind.append(("name", _norm_name(v)))
    ids = sorted({k[1] for k in kind if k and k[0] == "id"})
    rors = sorted({k[1] for k in kind if k and k[0] == "ror"})
    names = sorted({k[1] for k in kind if k and k[0] == "name"})
    found: list[dict] = []
    if ids or rors or names:
        cond = ibis.literal(False)
        if ids:
            cond |= inst.institution_id.isin(ids)
        if rors:
            cond |= inst.ror.lower().isin(rors)
        if names:
            # candidates by normalised lower-case name in the engine (not .strip(): on Spark Ibis renders it as
            # TRIM(' \t\n\r\v\f' FROM …), which also trims the letters v and f); Python normalises the names the same way
            norm = inst.display_name.lower().re_replace("[ \t\n\r]+", " ").re_replace("^ | $", "")
            cond |= norm.isin(names)
        q = inst.filter(cond).select("institution_id", "ror", "display_name", "country_code").distinct()
        found = engine.to_pyarrow(q).to_pylist()
    by_id = {r["institution_id"]: r for r in found}
    by_ror: dict[str, list[str]] = {}
    by_name: dict[str, list[dict]] = {}
    for r in found:
        if r["ror"]:
            by_ror.setdefault(r["ror"].lower(), []).append(r["institution_id"])
        if r["display_name"]:
            by_name.setdefault(_norm_name(r["display_name"]), []).append(r)
    rows: list[tuple[str | None, str, str | None]] = []  # (host id, status, note) per member
    for k, c, h in zip(kind, countries, hosts, strict=True):
        if k is None:
            rows.append((None, "none", None))
            continue
        if k[0] == "id":
            hit = [k[1]] if k[1] in by_id else []
        elif k[0] == "ror":
            hit = sorted(set(by_ror.get(k[1], [])))
        else:
            named = by_name.get(k[1], [])
            hit = sorted({r["institution_id"] for r in named if not c or r["country_code"] == c})
            if c and not hit:  # the store may not know the country: an institution without one does not contradict
                hit = sorted({r["institution_id"] for r in named if r["country_code"] is None})
                if len(hit) == 1:
                    rows.append((hit[0], "resolved", f"host {h!r}: the store gives the institution no country"))
                    continue
        if len(hit) == 1:
            rows.append((hit[0], "resolved", None))
        elif hit:
            rows.append((None, "ambiguous", f"host {h!r} matches {len(hit)} institutions: {', '.join(hit[:5])}"))
        else:
            where = f" in {c}" if c else ""
            rows.append((None, "missing", f"host {h!r} not found among the store's institutions{where}"))
    out_id, status, notes = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
    return pa.table({"person_id": m.column("person_id"), "host_id": pa.array(out_id, pa.string()),
                     "host_status": pa.array(status, pa.string()), "host_note": pa.array(notes, pa.string())})


def _excluded_ids(engine: Engine, exclude: Any) -> set[str]:
    """Author ids never used as controls: from author ids and/or cohorts (their resolved members)."""
    if exclude is None:
        return set()
    items = [exclude] if isinstance(exclude, (str, Cohort)) else list(exclude)
    out: set[str] = set()
    for x in items:
        if isinstance(x, Cohort):
            r = resolve(engine, x)
            out |= {a for a in r.column("author_id").to_pylist() if a}
            continue
        aid = normalize_author_id(str(x))
        if aid is None:
            raise ConfigError(f"exclude_controls: {x!r} is not an OpenAlex author id (A…) or a Cohort")
        out.add(aid)
    return out


# ---------------------------------------------------------------------------------------------------------------
# building blocks (Ibis)


def _work_table(t: StoreTables, sc: Scope, *, pct: Any, method: str, country: str, census: int) -> ir.Table:
    """Document-set works: ``work_id, year, field_id, cit_ok, top, ncs, n_countries, has_x``.

    ``cit_ok``: has a reference set and a complete citation window (year + window − 1 ≤ census)."""
    s = sc.scored(t, tops={"top": (pct, method)}, ncs=True)
    wc = work_countries(sc.units(t, sc.works(t)))
    per = wc.group_by("work_id").aggregate(
        n_countries=wc.country.nunique(),
        has_x=(wc.country == country).cast("int64").max(),
    )
    j = s.left_join(per, s.work_id == per.work_id)
    win = sc.window or 1
    cit_ok = j.in_set & (j.publication_year + (win - 1) <= census)
    return j.select(
        work_id=j.work_id,
        year=j.publication_year,
        field_id=j.field_id,
        cit_ok=cit_ok,
        top=ibis.cases((cit_ok, j.top.cast("float64")), else_=ibis.literal(0.0)),
        ncs=ibis.cases((cit_ok, j.ncs.cast("float64")), else_=ibis.literal(0.0)),
        n_countries=j.n_countries.fill_null(0),
        has_x=j.has_x.fill_null(0),
    )


def _sums(tbl: ir.Table, keys: list[str]) -> ir.Table:
    """Per ``keys``: ``n`` works, ``n_cit``, ``top``, ``ncs``, ``n_country`` (works with ≥ 1 country), ``n_intl``."""
    return tbl.group_by(keys).aggregate(
        n=tbl.work_id.count(),
        n_cit=tbl.cit_ok.cast("int64").sum(),
        top=tbl.top.sum(),
        ncs=tbl.ncs.sum(),
        n_country=(tbl.n_countries >= 1).cast("int64").sum(),
        n_intl=(tbl.n_countries >= 2).cast("int64").sum(),
    )


def _rates(tbl: ir.Table, prefix: str = "") -> dict[str, ir.Value]:
    def div(a: ir.Value, b: ir.Value) -> ir.Value:
        return ibis.cases((b > 0, a.cast("float64") / b.cast("float64")), else_=ibis.null("float64"))

    return {
        f"{prefix}top_share": div(tbl.top, tbl.n_cit),
        f"{prefix}mncs": div(tbl.ncs, tbl.n_cit),
        f"{prefix}intl_share": div(tbl.n_intl, tbl.n_country),
    }


def _profiles(aw: ir.Table, own_units: ir.Table, key: str) -> ir.Table:
    """Per ``key`` (author or member): ``first_year``, ``main_field`` (modal field, ties → smallest id) and
    ``home`` (modal country of the own affiliations in the first three publication years, ties → first code)."""
    first = aw.group_by(key).aggregate(first_year=aw.year.min())
    fc = aw.group_by([key, "field_id"]).aggregate(k=aw.work_id.nunique())
    fc = fc.filter(fc.field_id.notnull())
    fc = fc.mutate(r=ibis.row_number().over(group_by=fc[key], order_by=[ibis.desc(fc.k), fc.field_id]))
    fld = fc.filter(fc.r == 0).select(key, main_field="field_id")
    u = own_units.join(first, key)
    u = u.filter(u.year <= u.first_year + 2)
    hc = u.group_by([key, "country"]).aggregate(k=u.work_id.nunique())
    hc = hc.mutate(r=ibis.row_number().over(group_by=hc[key], order_by=[ibis.desc(hc.k), hc.country]))
    home = hc.filter(hc.r == 0).select(key, home="country")
    out = first.left_join(fld, key).drop(f"{key}_right")
    out = out.left_join(home, key).drop(f"{key}_right")
    return out


def _modal_country(own_units: ir.Table, keys: list[str], *, latest: bool = True) -> ir.Table:
    """Per ``keys``: the modal country of ``own_units`` (distinct works per country; ties → first code), in
    their latest year if ``latest``, else over all their rows."""
    if latest:
        last = own_units.year.max().over(group_by=[own_units[x] for x in keys])
        own_units = own_units.mutate(last=last)
        own_units = own_units.filter(own_units.year == own_units["last"])
    c = own_units.group_by([*keys, "country"]).aggregate(k=own_units.work_id.nunique())
    c = c.mutate(r=ibis.row_number().over(group_by=[c[x] for x in keys], order_by=[ibis.desc(c.k), c.country]))
    return c.filter(c.r == 0).select(*keys, base="country")


#: shares of the cohort-level tables (``by_phase``, ``by_relative_year``) that get paper-bootstrap intervals
PAPER_RATIOS = ("top_share", "mncs", "intl_share", "intl_share_others")


def _paper_intervals(papers: pa.Table, group: str, *, bootstrap: int, seed: int, level: float) -> dict[Any, dict]:
    """Percentile bootstrap intervals (METHODS §7.2 step 6: resample papers) of the ratios in
    :data:`PAPER_RATIOS`, per value of ``group``: each draw resamples the row's papers with replacement
    (multinomial counts) and recomputes ``Σ num / Σ den``. Draws whose denominator is 0 are skipped."""
    d = papers.to_pydict()
    cit = np.array(d["cit_ok"], dtype=bool)
    nc, no = np.array(d["n_countries"], dtype=np.int64), np.array(d["n_countries_others"], dtype=np.int64)
    parts = {
        "top_share": (np.where(cit, np.array(d["top"], dtype=float), 0.0), cit.astype(float)),
        "mncs": (np.where(cit, np.array(d["ncs"], dtype=float), 0.0), cit.astype(float)),
        "intl_share": ((nc >= 2).astype(float), (nc >= 1).astype(float)),
        "intl_share_others": ((no >= 2).astype(float), (no >= 1).astype(float)),
    }
    rows_of: dict[Any, list[int]] = {}
    for i, g in enumerate(d[group]):
        rows_of.setdefault(g, []).append(i)
    rng = np.random.default_rng(seed)
    out: dict[Any, dict] = {}
    for g in sorted(rows_of, key=lambda v: (v is None, v)):
        idx = np.array(rows_of[g], dtype=np.int64)
        n = len(idx)
        vals = np.empty((len(PAPER_RATIOS), bootstrap))
        step = max(1, 2_000_000 // max(n, 1))  # draws per block: at most ~2M counts in memory
        for b0 in range(0, bootstrap, step):
            cnt = rng.multinomial(n, np.full(n, 1.0 / n), size=min(step, bootstrap - b0)).astype(float)
            for j, m in enumerate(PAPER_RATIOS):
                nu, de = cnt @ parts[m][0][idx], cnt @ parts[m][1][idx]
                with np.errstate(invalid="ignore", divide="ignore"):
                    vals[j, b0:b0 + len(cnt)] = np.where(de > 0, nu / np.where(de > 0, de, 1), np.nan)
        row = {}
        for j, m in enumerate(PAPER_RATIOS):
            v = vals[j][np.isfinite(vals[j])]
            lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2]) if v.size else (np.nan, np.nan)
            row[f"{m}_low"], row[f"{m}_high"] = float(lo), float(hi)
        out[g] = row
    return out


def _rows_of(tbl: ir.Table, group: str, k: int) -> ir.Table:
    """The rows of ``tbl`` that enter a cohort-level table: a phase, or relative years from −k to E−S+k."""
    if group == "phase":
        return tbl.filter(tbl.phase.notnull())
    return tbl.filter((tbl.rel_year >= -k) & (tbl.year <= tbl.end + k))


def _benchmark_means(papers: ir.Table, group: str, rates: dict[str, str]) -> ir.Table:
    """Per ``group``: the mean over the row's papers of a benchmark rate of each paper's (field-)year, for every
    ``{output prefix: rate column prefix}``: Top share and MNCS over papers with a citation window, the
    international share over papers with a country."""
    out = {}
    for name, pre in rates.items():
        for m, ok in (("top_share", papers.cit_ok), ("mncs", papers.cit_ok), ("intl_share", papers.n_countries >= 1)):
            out[f"{name}_{m}"] = ibis.cases((ok, papers[f"{pre}{m}"]), else_=ibis.null("float64")).mean()
    return papers.group_by(group).aggregate(**out)


def _in_phase_order(tbl: pa.Table) -> pa.Table:
    order = {p: i for i, p in enumerate(PHASES)}
    return tbl.take(sorted(range(tbl.num_rows), key=lambda i: order[tbl.column("phase")[i].as_py()]))


def _phase_expr(year: ir.IntegerValue, start: ir.IntegerValue, end: ir.IntegerValue, k: int) -> ir.StringValue:
    return ibis.cases(
        ((year >= start - k) & (year < start), ibis.literal("before")),
        ((year >= start) & (year <= end), ibis.literal("during")),
        ((year > end) & (year <= end + k), ibis.literal("after")),
        else_=ibis.null("string"),
    )


# ---------------------------------------------------------------------------------------------------------------
# DiD with a cluster bootstrap over members


def _components(unit_sums: pa.Table, members: list[str]) -> np.ndarray:
    """Cluster index (0..k−1, in order of first appearance) of each member: members are linked when they share an
    author id among their units (a control used by several members, or a member who is another's control)."""
    parent = list(range(len(members)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    idx = {m: i for i, m in enumerate(members)}
    first: dict[str, int] = {}
    for mk, aid in zip(unit_sums.column("member_key").to_pylist(), unit_sums.column("author_id").to_pylist(),
                       strict=True):
        i = idx[mk]
        j = first.setdefault(aid, i)
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = [find(i) for i in range(len(members))]
    label: dict[int, int] = {}
    return np.array([label.setdefault(r, len(label)) for r in roots], dtype=np.int64)


def _did(
    unit_sums: pa.Table,
    members: list[str],
    *,
    bootstrap: int,
    seed: int,
    ci: float,
    resample: str = "component",
    interval: str = "expanded",
) -> pa.Table:
    """Difference in differences of pooled ratios, members vs their controls (each member's controls weighted
    1/#controls), after − before, with a cluster bootstrap over members (a member is resampled with its controls).

    ``resample="component"``: members that share a control author (or are one another's controls) form one
    cluster, and clusters are resampled (members whose control groups overlap are not independent);
    ``"member"``: every member is its own cluster.

    ``se``: cluster-robust standard error of the DiD by linearisation (delta method). With ``G`` clusters and
    cluster sums ``N_g``, ``D_g`` of each of the four ratios ``R = ΣN/ΣD`` (member/control × before/after, signs
    ``s`` = +, −, −, +), the DiD's influence of cluster ``g`` is ``ψ_g = Σ s (N_g − R·D_g) / ΣD`` and
    ``se² = G/(G−1) · Σ_g ψ_g²``.

    ``interval="expanded"`` (default): Hesterberg's (2015) expanded percentile interval; the quantiles of the
    bootstrap DiDs at ``(1 ∓ ci')/2`` with ``ci'`` = :func:`junkan.cohort._stats.expanded_level` of ``ci`` and the
    ``G`` clusters (``Φ⁻¹((1−ci')/2) = −√(G/(G−1)) · t_{(1−ci)/2, G−1}``), which undoes the percentile interval's
    small-sample narrowness (0.90 becomes 0.912 at G = 40, 0.916 at G = 30); no interval with ``G < 2``.
    ``"percentile"``: the plain quantiles at ``(1 ∓ ci)/2`` (the default until 2026-11-29; it covered 89.2 % in
    the coverage study, docs/cohort.md §5b). ``"jackknife"``: ``DiD ± t_{(1+ci)/2, G−1} · se_J`` with the
    delete-one-cluster jackknife ``se_J² = (G−1)/G · Σ_g (DiD_(−g) − mean)²`` (CV3 of MacKinnon, Nielsen & Webb
    2023, conservative where single clusters are influential); the bootstrap draws are not used, but
    ``bootstrap=0`` still means no interval. ``"studentized"``: bootstrap-t;
    each draw b gives ``t_b = (DiD_b − DiD) / se_b`` with ``se_b`` the same formula on the draw, and the interval
    is ``[DiD − q_hi(t)·se, DiD − q_lo(t)·se]``. In theory second-order accurate (Hall 1992); in the coverage
    study (docs/cohort.md §5b) it was wider yet covered less often than the percentile interval, so it is an
    option, not the default."""
    idx = {m: i for i, m in enumerate(members)}
    n = len(members)
    groups = _components(unit_sums, members) if resample == "component" else np.arange(n)
    cols = ("n", "years", "top", "n_cit", "ncs", "n_intl", "n_country")
    # arrays[role][phase][col] -> (n,) member-level sums
    arr = {r: {ph: {c: np.zeros(n) for c in cols} for ph in ("before", "after")} for r in ("member", "control")}
    d = unit_sums.to_pydict()
    for i in range(unit_sums.num_rows):
        ph = d["phase"][i]
        if ph not in ("before", "after"):
            continue
        j = idx[d["member_key"][i]]
        w = float(d["weight"][i])
        a = arr[d["role"][i]][ph]
        for c in cols:
            a[c][j] += w * float(d[c][i] or 0.0)
    rng = np.random.default_rng(seed)
    n_g = int(groups.max()) + 1 if n else 0
    g_counts = (
        np.stack([np.bincount(rng.integers(0, n_g, n_g), minlength=n_g) for _ in range(bootstrap)])
        if n and bootstrap > 0 else None
    )
    counts = g_counts[:, groups] if g_counts is not None else None
    # cluster-level sums (G,) of every role × phase × column, for the linearised standard errors
    g_sum = {r: {ph: {c: np.bincount(groups, weights=arr[r][ph][c], minlength=n_g) if n else np.zeros(0)
                      for c in cols} for ph in ("before", "after")} for r in ("member", "control")}
    terms = (("member", "after", 1.0), ("member", "before", -1.0), ("control", "after", -1.0), ("control", "before", 1.0))
    rows: dict[str, list[Any]] = {k: [] for k in (
        "metric", "members", "clusters", "member_before", "member_after", "control_before", "control_after",
        "member_change", "control_change", "did", "se", "ci_low", "ci_high", "ci", "interval", "bootstrap",
        "excludes_zero",
    )}
    for metric, (num, den) in METRICS.items():

        def ratio(role: str, ph: str, weights: np.ndarray | None = None) -> Any:
            a = arr[role][ph]
            if weights is None:
                nu, de = a[num].sum(), a[den].sum()
                return nu / de if de > 0 else float("nan")
            nu, de = weights @ a[num], weights @ a[den]
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(de > 0, nu / np.where(de > 0, de, 1), np.nan)

        def se_of(w: np.ndarray) -> Any:
            """Linearised cluster-robust SE of the DiD for cluster multiplicities ``w`` ((G,) or (B, G))."""
            w2 = np.atleast_2d(w).astype(float)
            psi = np.zeros_like(w2)
            ok = np.ones(w2.shape[0], dtype=bool)
            for role, ph, sign in terms:
                nu_g, de_g = g_sum[role][ph][num], g_sum[role][ph][den]
                nu, de = w2 @ nu_g, w2 @ de_g
                ok &= de > 0
                safe = np.where(de > 0, de, 1.0)
                psi += sign * (nu_g[None, :] - (nu / safe)[:, None] * de_g[None, :]) / safe[:, None]
            m_eff = w2.sum(axis=1)  # G in every draw; the factor uses it
            with np.errstate(invalid="ignore", divide="ignore"):
                var = m_eff / (m_eff - 1) * (w2 * psi**2).sum(axis=1)
            out = np.where(ok & (m_eff > 1), np.sqrt(var), np.nan)
            return out if np.ndim(w) == 2 else float(out[0])

        mb, ma, cb, ca = ratio("member", "before"), ratio("member", "after"), ratio("control", "before"), ratio("control", "after")
        did = (ma - mb) - (ca - cb)
        se = se_of(np.ones(n_g)) if n_g else float("nan")
        lo = hi = float("nan")
        if counts is not None and bootstrap > 0:
            bd = (ratio("member", "after", counts) - ratio("member", "before", counts)) - (
                ratio("control", "after", counts) - ratio("control", "before", counts)
            )
            if interval in ("percentile", "expanded"):
                bd = bd[np.isfinite(bd)]
                level = ci if interval == "percentile" else (expanded_level(ci, n_g) if n_g >= 2 else float("nan"))
                if bd.size and np.isfinite(level):
                    lo, hi = (float(x) for x in np.quantile(bd, [(1 - level) / 2, (1 + level) / 2]))
            elif interval == "jackknife":
                if np.isfinite(did) and n_g >= 2:
                    # the four ratios without cluster g, from totals minus cluster sums: O(G), no G × n matrix
                    jd = np.zeros(n_g)
                    for role, ph, sign in terms:
                        nu_g, de_g = g_sum[role][ph][num], g_sum[role][ph][den]
                        de_loo = de_g.sum() - de_g
                        with np.errstate(invalid="ignore", divide="ignore"):
                            jd += sign * np.where(de_loo > 0, (nu_g.sum() - nu_g) / np.where(de_loo > 0, de_loo, 1), np.nan)
                    if np.all(np.isfinite(jd)):
                        se_j = float(np.sqrt((n_g - 1) / n_g * np.sum((jd - jd.mean()) ** 2)))
                        q = t_quantile((1 + ci) / 2, n_g - 1)
                        lo, hi = float(did - q * se_j), float(did + q * se_j)
            elif np.isfinite(did) and se == 0:  # every cluster contributes alike: every draw gives the DiD
                lo = hi = float(did)
            elif np.isfinite(did) and np.isfinite(se) and se > 0:
                se_b = se_of(g_counts)
                with np.errstate(invalid="ignore", divide="ignore"):
                    tb = (bd - did) / se_b
                tb = tb[np.isfinite(tb)]  # a draw with one cluster or an empty denominator has no t
                if tb.size:
                    q_lo, q_hi = np.quantile(tb, [(1 - ci) / 2, (1 + ci) / 2])
                    lo, hi = float(did - q_hi * se), float(did - q_lo * se)
        for k, v in (
            ("metric", metric), ("members", n), ("clusters", n_g), ("member_before", mb), ("member_after", ma),
            ("control_before", cb), ("control_after", ca), ("member_change", ma - mb), ("control_change", ca - cb),
            ("did", did), ("se", se), ("ci_low", lo), ("ci_high", hi), ("ci", ci), ("interval", interval),
            ("bootstrap", bootstrap), ("excludes_zero", bool(np.isfinite(lo) and (lo > 0 or hi < 0))),
        ):
            rows[k].append(None if isinstance(v, float) and not np.isfinite(v) else v)
    return pa.table(rows)


# ---------------------------------------------------------------------------------------------------------------
# evaluate


def evaluate(
    engine: Engine,
    cohort: Cohort,
    *,
    country: str = "JP",
    k: int = 3,
    controls: int = 3,
    caliper: int = 2,
    bootstrap: int = 1000,
    seed: int = 0,
    ci: float = 0.9,
    pct: Any = 10,
    method: str = "cwts",
    profile: str = "nistep",
    level: str = "subfield",
    by_type: bool = True,
    window: int = 4,
    census_year: int | None = None,
    self_citations: bool | None = None,
    exclude_controls: Any = None,
    resample: str = "component",
    interval: str = "expanded",
    panel: str = "all",
    match_country: str = "home",
    phase_ci: float = 0.95,
    comparison_country: str = "US",
) -> CohortResult:
    """Evaluate ``cohort`` on ``engine``'s store against ``country``'s national average and matched controls.

    Phases per member with fellowship start ``S`` and end ``E``: before ``[S−k, S−1]``, during ``[S, E]``, after
    ``[E+1, E+k]``. Top x% (``pct``, ``method``) and NCS come from the indicator core (``work_scores`` semantics;
    reference sets ``level`` × year (× type), fixed citation ``window``); only works whose window ends by the
    census year (default: the last publication year in the store) enter Top/MNCS. ``exclude_controls``: author
    ids (``A123`` or URL form) or :class:`Cohort` objects whose members are never controls, e.g. the members of the
    other programmes (their own effects would contaminate the control trend). ``panel="balanced"``: only members
    and controls with at least one paper in both the before and the after period enter the DiD (controls are
    matched among such candidates), so each side's before and after ratios pool the same researchers;
    ``"all"`` keeps every member and control. ``match_country="home"`` (default): member and control share the
    modal own-affiliation country of their first three publication years; ``"base"``: in addition, the
    country of their own affiliations on their latest papers before ``S`` (modal in that year) is the same, so
    both are based in the country when the fellowship starts. ``phase_ci``: level of the paper-bootstrap
    intervals of the shares in ``by_phase`` and ``by_relative_year`` (METHODS §7.2 step 6; ``ci`` is the DiD's).
    Hosts (:func:`resolve_hosts`) get ``hosts_by_phase`` and ``hosts_by_relative_year``, with the national
    averages of ``country`` and ``comparison_country``. See ``docs/cohort.md``.
    """
    if k < 1:
        raise ConfigError(f"k {k}: the before/after periods are at least 1 year")
    if controls < 0:
        raise ConfigError(f"controls {controls}: expected ≥ 0")
    if not 0 < ci < 1:
        raise ConfigError(f"ci {ci}: expected a level in (0, 1), e.g. 0.9")
    if not 0 < phase_ci < 1:
        raise ConfigError(f"phase_ci {phase_ci}: expected a level in (0, 1), e.g. 0.95")
    if bootstrap < 0:
        raise ConfigError(f"bootstrap {bootstrap}: expected ≥ 0")
    if resample not in ("component", "member"):
        raise ConfigError(f"resample {resample!r}: expected 'component' (default) or 'member'")
    if match_country not in MATCH_COUNTRY:
        raise ConfigError(f"match_country {match_country!r}: expected one of {', '.join(MATCH_COUNTRY)} (default 'home')")
    if panel not in PANELS:
        raise ConfigError(f"panel {panel!r}: expected one of {', '.join(PANELS)} (default 'all')")
    if interval not in INTERVALS:
        raise ConfigError(f"interval {interval!r}: expected one of {', '.join(INTERVALS)} (default 'expanded')")
    country = country.strip().upper()
    excluded = _excluded_ids(engine, exclude_controls)
    t = StoreTables.from_engine(engine)
    sc = Scope(profile=profile, level=level, by_type=by_type, window=window, self_citations=self_citations)
    yr = engine.to_pyarrow(
        t.works.aggregate(lo=t.works.publication_year.min(), hi=t.works.publication_year.max())
    ).to_pylist()[0]
    y_min, y_max = int(yr["lo"]), int(yr["hi"])
    census = int(census_year) if census_year is not None else y_max
    country = sc.country_map.get(country, country)

    res = resolve(engine, cohort)
    ok = pc.equal(res.column("status"), "resolved")
    rm = res.filter(ok)
    mem_keys = rm.column("person_id").to_pylist()
    mem = ibis.memtable(
        {
            "member_key": mem_keys,
            "author_id": rm.column("author_id").to_pylist(),
            "start": rm.column("start").to_pylist(),
            "end": rm.column("end").to_pylist(),
        },
        schema={"member_key": "string", "author_id": "string", "start": "int64", "end": "int64"},
    )

    W = _work_table(t, sc, pct=pct, method=method, country=country, census=census).cache()
    a = t.authorships.filter(t.authorships.author_id.notnull())
    aw = a.select("work_id", "author_id").distinct().join(W.select("work_id", "year", "field_id"), "work_id").cache()
    units = sc.units(t, sc.works(t))
    own = (
        units.join(a.select("work_id", "author_position", "author_id"), ["work_id", "author_position"])
        .select("author_id", "work_id", "country")
        .distinct()
    )
    own = own.join(W.select("work_id", "year"), "work_id")

    # national rates (country X, every document-set work with X in C(p))
    wx = W.filter(W.has_x == 1)
    nat_y = _sums(wx, ["year"])
    national = engine.to_pyarrow(nat_y.mutate(**_rates(nat_y)).order_by("year"))
    nat_fy = _sums(wx, ["field_id", "year"])
    nat_fy = nat_fy.select("field_id", "year", **_rates(nat_fy, "r_"))
    nat_y_r = nat_y.select("year", **_rates(nat_y, "y_"))

    # member works and phases (member paper sets; cohort-level sets are deduplicated below)
    mw = mem.join(aw, "author_id").select("member_key", "work_id", "year", "field_id", "start", "end")
    mw = mw.distinct()
    mw = mw.mutate(phase=_phase_expr(mw.year, mw.start, mw.end, k), rel_year=mw.year - mw.start)
    mwj = mw.join(W.drop("year", "field_id"), "work_id")
    # METHODS §7.3: a fellow abroad makes papers with only domestic co-authors international. Variant with the
    # members' own addresses ignored: n_countries_others = countries of the affiliation units of the authors
    # who are not members of the cohort (units without an author id count as others).
    cw = mw.select("work_id").distinct()
    ou = units.select("work_id", "author_position", "country").join(cw, "work_id")
    ou = ou.left_join(a.select("work_id", "author_position", "author_id"), ["work_id", "author_position"])
    ou = ou.select("work_id", "country", author_id=ou.author_id).anti_join(mem.select("author_id"), "author_id")
    ih = ou.group_by("work_id").aggregate(n_countries_others=ou.country.nunique())
    mwj = mwj.left_join(ih, "work_id").drop("work_id_right")
    mwj = mwj.mutate(n_countries_others=mwj.n_countries_others.fill_null(0))

    # the members' own affiliation countries per paper, by phase and relative year (mobility status)
    mown = mem.join(own, "author_id").select("member_key", "start", "end", "work_id", "year", "country")
    mown = mown.mutate(phase=_phase_expr(mown.year, mown.start, mown.end, k), rel_year=mown.year - mown.start)

    def cohort_level(group: str) -> pa.Table:
        x = _rows_of(mwj, group, k).select(group, "work_id", "year", "field_id", "cit_ok", "top", "ncs", "n_countries",
                     "n_countries_others").distinct()
        s = _sums(x, [group]).mutate(members=ibis.null("int64"))
        s = s.mutate(**_rates(s))
        h = x.group_by(group).aggregate(
            n_country_others=(x.n_countries_others >= 1).cast("int64").sum(),
            n_intl_others=(x.n_countries_others >= 2).cast("int64").sum(),
        )
        s = s.join(h, group)
        s = s.mutate(intl_share_others=ibis.cases(
            (s.n_country_others > 0, s.n_intl_others.cast("float64") / s.n_country_others.cast("float64")),
            else_=ibis.null("float64"),
        ))
        # expected values: national rates in the same years (year mix) and field-years (field mix)
        e = x.left_join(nat_y_r, "year").drop("year_right")
        e = e.left_join(nat_fy, ["field_id", "year"]).drop("field_id_right", "year_right")
        ev = _benchmark_means(e, group, {"national": "y_", "expected": "r_"})
        nm = mwj.filter(mwj[group].notnull()).group_by(group).aggregate(members_with_papers=mwj.member_key.nunique())
        # mobility status: each member's location in the row = the modal country of their own affiliations on
        # their papers of the row; members_abroad = located members whose location is not `country`
        loc = _modal_country(_rows_of(mown, group, k).select("member_key", group, "work_id", "year", "country"), ["member_key", group],
                             latest=False)
        mob = loc.group_by(group).aggregate(
            members_located=loc.member_key.count(), members_abroad=(loc.base != country).cast("int64").sum()
        )
        mob = mob.mutate(abroad_share=mob.members_abroad.cast("float64") / mob.members_located.cast("float64"))
        out = s.drop("members").left_join(ev, group).drop(f"{group}_right").left_join(nm, group).drop(f"{group}_right")
        out = out.left_join(mob, group).drop(f"{group}_right")
        tbl = engine.to_pyarrow(out.order_by(group))
        # paper-bootstrap intervals of the shares (METHODS §7.2 step 6), in numpy over the row's papers
        ivl = {}
        if bootstrap > 0:
            # in a fixed order (group, work), so that a seed gives the same draws on every engine and run
            papers = engine.to_pyarrow(
                x.select(group, "work_id", "cit_ok", "top", "ncs", "n_countries", "n_countries_others")
                .order_by([group, "work_id"])
            )
            ivl = _paper_intervals(papers, group, bootstrap=bootstrap, seed=seed, level=phase_ci)
        for m in PAPER_RATIOS:
            for side in ("low", "high"):
                col = [ivl.get(g, {}).get(f"{m}_{side}") for g in tbl.column(group).to_pylist()]
                col = [None if v is None or not np.isfinite(v) else v for v in col]
                tbl = tbl.append_column(f"{m}_{side}", pa.array(col, pa.float64()))
        return tbl

    by_phase = _in_phase_order(cohort_level("phase"))
    by_rel = cohort_level("rel_year")

    # hosts (issue 7 item 3): the papers of each member's resolved host institution, in the member's phases,
    # against the national averages of `country` and of `comparison_country` (same years)
    hres = resolve_hosts(engine, cohort)
    hrows = [(pid, hid, st, en) for pid, hid, st, en in zip(
        hres.column("person_id").to_pylist(), hres.column("host_id").to_pylist(),
        cohort.members.column("start").to_pylist(), cohort.members.column("end").to_pylist(), strict=True) if hid]
    hosts_phase = hosts_rel = None
    if hrows:
        cmp = sc.country_map.get(comparison_country.strip().upper(), comparison_country.strip().upper())
        wcx = work_countries(units)
        wcx = wcx.filter(wcx.country == cmp).select("work_id").distinct()
        cmp_y = _sums(W.semi_join(wcx, "work_id"), ["year"])
        cmp_y_r = cmp_y.select("year", **_rates(cmp_y, "c_"))
        hm = ibis.memtable({"member_key": [r[0] for r in hrows], "host_id": [r[1] for r in hrows],
                            "start": [r[2] for r in hrows], "end": [r[3] for r in hrows]},
                           schema={"member_key": "string", "host_id": "string", "start": "int64", "end": "int64"})
        ai = t.authorship_institutions.select("work_id", "institution_id").distinct()
        hw = hm.join(ai, hm.host_id == ai.institution_id).select("host_id", "start", "end", "work_id")
        hw = hw.join(W, "work_id")
        hw = hw.mutate(phase=_phase_expr(hw.year, hw.start, hw.end, k), rel_year=hw.year - hw.start)

        def host_level(group: str) -> pa.Table:
            x = _rows_of(hw, group, k)
            nh = x.group_by(group).aggregate(hosts=x.host_id.nunique())
            x = x.select(group, "work_id", "year", "cit_ok", "top", "ncs", "n_countries").distinct()
            hs = _sums(x, [group])
            hs = hs.mutate(**_rates(hs))
            e = x.left_join(nat_y_r, "year").drop("year_right").left_join(cmp_y_r, "year").drop("year_right")
            ev = _benchmark_means(e, group, {"national": "y_", "comparison": "c_"})
            out = hs.left_join(nh, group).drop(f"{group}_right").left_join(ev, group).drop(f"{group}_right")
            return engine.to_pyarrow(out.order_by(group))

        hosts_phase = _in_phase_order(host_level("phase"))
        hosts_rel = host_level("rel_year")

    # member profiles and matched controls
    mprof = _profiles(
        mem.join(aw, "author_id").select("member_key", "work_id", "year", "field_id"),
        mem.join(own, "author_id").select("member_key", "work_id", "year", "country"),
        "member_key",
    )
    prior_m = mw.filter(mw.year < mw.start).group_by("member_key").aggregate(prior=mw.work_id.nunique())
    mp = mem.select("member_key", "start", "end").distinct().join(mprof, "member_key")
    mp = mp.left_join(prior_m, "member_key").drop("member_key_right").mutate(prior=ibis._.prior.fill_null(0))
    # base: the modal own-affiliation country in the latest year with papers before S (null without any)
    mo = mown.filter(mown.year < mown.start)
    mp = mp.left_join(_modal_country(mo.select("member_key", "work_id", "year", "country"), ["member_key"]), "member_key")
    mp = mp.drop("member_key_right")
    member_ids = mem.select("author_id")
    if excluded:
        member_ids = member_ids.union(
            ibis.memtable({"author_id": sorted(excluded)}, schema={"author_id": "string"})
        ).distinct()
    if controls > 0:
        cand = _profiles(aw.anti_join(member_ids, "author_id"), own.anti_join(member_ids, "author_id"), "author_id")
        cand = cand.filter(cand.home.notnull() & cand.main_field.notnull())
        pairs = mp.join(
            cand,
            (mp.home == cand.home)
            & (mp.main_field == cand.main_field)
            & ((cand.first_year - mp.first_year).abs() <= caliper)
            & (cand.first_year < mp.start),
        ).select(
            "member_key", "start", "end", m_first=mp.first_year, m_prior=mp.prior, author_id=cand.author_id,
            c_first=cand.first_year, m_base=mp.base,
        )
        if match_country == "base":
            # the candidate's base before the member's S must be the member's (when the member has one)
            po = pairs.select("member_key", "author_id", "start").join(own, "author_id")
            po = po.filter(po.year < po.start)
            cb = _modal_country(po.select("member_key", "author_id", "work_id", "year", "country"), ["member_key", "author_id"])
            pairs = pairs.left_join(cb, ["member_key", "author_id"]).drop("member_key_right", "author_id_right")
            pairs = pairs.filter(pairs.m_base.isnull() | (pairs.base == pairs.m_base)).drop("base")
        pw = pairs.join(aw.select("author_id", "work_id", "year"), "author_id")
        pprior = pw.filter(pw.year < pw.start).group_by(["member_key", "author_id"]).aggregate(c_prior=pw.work_id.nunique())
        pairs = pairs.left_join(pprior, ["member_key", "author_id"]).drop("member_key_right", "author_id_right")
        pairs = pairs.mutate(c_prior=pairs.c_prior.fill_null(0))
        if panel == "balanced":
            # candidates with papers in both the member's before [S−k, S−1] and after [E+1, E+k] periods
            act = pw.filter(
                ((pw.year >= pw.start - k) & (pw.year < pw.start)) | ((pw.year > pw.end) & (pw.year <= pw.end + k))
            )
            act = act.group_by(["member_key", "author_id"]).aggregate(
                before=(act.year < act.start).cast("int64").max(), after=(act.year > act.end).cast("int64").max()
            )
            act = act.filter((act.before == 1) & (act.after == 1)).select("member_key", "author_id")
            pairs = pairs.semi_join(act, ["member_key", "author_id"])
        dist = ((pairs.c_first - pairs.m_first).cast("float64") / max(caliper, 1)) ** 2 + (
            (pairs.c_prior + 1).cast("float64").ln() - (pairs.m_prior + 1).cast("float64").ln()
        ) ** 2
        pairs = pairs.mutate(distance=dist)
        pairs = pairs.mutate(
            rank=ibis.row_number().over(group_by=pairs.member_key, order_by=[pairs.distance, pairs.author_id])
        )
        ctl = pairs.filter(pairs["rank"] < controls).select(
            "member_key", "author_id", "start", "end", "distance", "c_first", "c_prior", rank=pairs["rank"] + 1
        )
        ctl_tbl = engine.to_pyarrow(ctl.order_by(["member_key", "rank"]))
    else:
        ctl_tbl = pa.table({c: pa.array([], pa.string()) for c in ("member_key", "author_id")}).append_column(
            "start", pa.array([], pa.int64())
        ).append_column("end", pa.array([], pa.int64()))
    nctl: dict[str, int] = {}
    for mk in ctl_tbl.column("member_key").to_pylist():
        nctl[mk] = nctl.get(mk, 0) + 1

    # per-unit phase sums (members and controls), then DiD in numpy over the small member-level table
    did_keys = [m for m in mem_keys if nctl.get(m, 0) > 0]
    if panel == "balanced":
        # members too need papers before and after (the member's own ids pooled); the rest are not in the DiD
        mact = mw.filter(mw.phase.isin(["before", "after"])).group_by("member_key").aggregate(
            phases=mw.phase.nunique()
        )
        both = set(engine.to_pyarrow(mact.filter(mact.phases == 2).select("member_key")).column(0).to_pylist())
        did_keys = [m for m in did_keys if m in both]
    units_tbl = ibis.memtable(
        {
            "member_key": mem_keys + ctl_tbl.column("member_key").to_pylist(),
            "author_id": rm.column("author_id").to_pylist() + ctl_tbl.column("author_id").to_pylist(),
            "role": ["member"] * len(mem_keys) + ["control"] * ctl_tbl.num_rows,
            "weight": [1.0] * len(mem_keys) + [1.0 / nctl[m] for m in ctl_tbl.column("member_key").to_pylist()],
            "start": rm.column("start").to_pylist() + ctl_tbl.column("start").to_pylist(),
            "end": rm.column("end").to_pylist() + ctl_tbl.column("end").to_pylist(),
        },
        schema={"member_key": "string", "author_id": "string", "role": "string", "weight": "float64",
                "start": "int64", "end": "int64"},
    )
    uw = units_tbl.join(aw.select("author_id", "work_id", "year"), "author_id")
    uw = uw.mutate(phase=_phase_expr(uw.year, uw.start, uw.end, k))
    uw = uw.filter(uw.phase.notnull()).join(W.drop("year", "field_id"), "work_id")
    us = engine.to_pyarrow(_sums(uw, ["member_key", "author_id", "role", "weight", "phase", "start", "end"]))
    # years observed per phase (clipped to the store's years) for papers per year
    yrs = []
    for st, en, ph in zip(us.column("start").to_pylist(), us.column("end").to_pylist(), us.column("phase").to_pylist(), strict=True):
        lo, hi = {"before": (st - k, st - 1), "during": (st, en), "after": (en + 1, en + k)}[ph]
        yrs.append(max(0, min(hi, y_max) - max(lo, y_min) + 1))
    us = us.append_column("years", pa.array(yrs, pa.float64()))
    # units without papers in a phase still count their years in the papers-per-year denominator
    seen = {(mk, aid, ph) for mk, aid, ph in zip(us.column("member_key").to_pylist(), us.column("author_id").to_pylist(), us.column("phase").to_pylist(), strict=True)}
    add: dict[str, list[Any]] = {c: [] for c in us.column_names}
    ud = units_tbl.to_pyarrow().to_pydict()
    for i in range(len(ud["member_key"])):
        for ph, (lo, hi) in (("before", (ud["start"][i] - k, ud["start"][i] - 1)), ("after", (ud["end"][i] + 1, ud["end"][i] + k))):
            if (ud["member_key"][i], ud["author_id"][i], ph) in seen:
                continue
            row = {c: 0 for c in us.column_names}
            row.update(member_key=ud["member_key"][i], author_id=ud["author_id"][i], role=ud["role"][i], weight=ud["weight"][i],
                       phase=ph, start=ud["start"][i], end=ud["end"][i], years=float(max(0, min(hi, y_max) - max(lo, y_min) + 1)),
                       top=0.0, ncs=0.0)
            for c in us.column_names:
                add[c].append(row[c])
    if add["member_key"]:
        us = pa.concat_tables([us, pa.table(add, schema=us.schema)])
    us = us.sort_by([("member_key", "ascending"), ("role", "ascending"), ("author_id", "ascending"), ("phase", "ascending")])
    us_did = us.filter(pc.is_in(us.column("member_key"), pa.array(did_keys, pa.string())))
    did = _did(us_did, did_keys, bootstrap=bootstrap, seed=seed, ci=ci, resample=resample, interval=interval)

    # members table: resolution + profile + number of controls
    prof = engine.to_pyarrow(mp.select("member_key", "first_year", "main_field", "home", "base", "prior"))
    pd_ = {r["member_key"]: r for r in prof.to_pylist()}
    keys = res.column("person_id").to_pylist()
    members = res
    for col, typ in (("first_year", pa.int64()), ("main_field", pa.int64()), ("home", pa.string()), ("base", pa.string()),
                     ("prior", pa.int64())):
        members = members.append_column(
            "papers_before" if col == "prior" else col, pa.array([pd_.get(x, {}).get(col) for x in keys], typ)
        )
    members = members.append_column("controls", pa.array([nctl.get(x, 0) for x in keys], pa.int64()))
    in_did = set(did_keys)
    members = members.append_column("in_did", pa.array([x in in_did for x in keys], pa.bool_()))
    for col in ("host_id", "host_status", "host_note"):
        members = members.append_column(col, hres.column(col))

    prov = {
        **engine.provenance,
        "indicator": "cohort_evaluate",
        "cohort_file": cohort.path,
        "country": country,
        "k": k,
        "controls": controls,
        "caliper": caliper,
        "bootstrap": bootstrap,
        "resample": resample,
        "interval": interval,
        "panel": panel,
        "match_country": match_country,
        "seed": seed,
        "ci": ci,
        "phase_ci": phase_ci,
        "comparison_country": comparison_country.strip().upper(),
        "hosts_resolved": len(hrows),
        "pct": str(pct),
        "method": method,
        "census_year": census,
        "years_in_store": [y_min, y_max],
        "scope": sc.provenance(),
        "members_in_file": cohort.members.num_rows,
        "members_resolved": rm.num_rows,
        "members_in_did": len(did_keys),
        "excluded_from_controls": len(excluded),
        "problems": len(cohort.problems),
    }
    return CohortResult(
        members=members,
        by_phase=by_phase,
        by_relative_year=by_rel,
        national=national,
        did=did,
        controls=ctl_tbl,
        problems=cohort.problems_table(),
        provenance=prov,
        hosts_by_phase=hosts_phase,
        hosts_by_relative_year=hosts_rel,
    )
