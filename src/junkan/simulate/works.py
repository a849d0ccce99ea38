"""Phase 1: generate the skeleton of one chunk of works (teams, ranks, topics, venues, references,
funding, gaps) as numpy arrays, spilled to disk. Each chunk has its own random stream
``default_rng([seed, 1, chunk])`` so the result does not depend on scheduling."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .world import (
    NO_COUNTRY,
    World,
    cdf_pick_rows,
    draw_leads,
    draw_researchers,
    team_countries,
    team_sizes,
    unique_sorted,
)

__all__ = ["generate_chunk", "Venues", "build_venues", "TYPES", "SOURCE_TYPES"]

TYPES = ("article", "review", "book-chapter", "preprint", "proceedings-article")
#: source type of each work type (index-aligned with TYPES)
SOURCE_TYPES = ("journal", "conference", "repository", "book series")
_TYPE_SOURCE = (0, 0, 3, 2, 1)
_TYPE_REF_FACTOR = np.array([1.0, 3.0, 0.7, 0.9, 0.6])

# funders: (name, country) — real funder names; ids and RORs are simulated
FUNDERS = (
    ("Japan Society for the Promotion of Science", "JP"),
    ("Japan Science and Technology Agency", "JP"),
    ("Japan Agency for Medical Research and Development", "JP"),
    ("National Science Foundation", "US"),
    ("National Institutes of Health", "US"),
    ("National Natural Science Foundation of China", "CN"),
    ("Deutsche Forschungsgemeinschaft", "DE"),
    ("Agence Nationale de la Recherche", "FR"),
    ("Engineering and Physical Sciences Research Council", "GB"),
    ("National Research Foundation of Korea", "KR"),
    ("European Research Council", ""),
)
_FUNDER_W_BY_COUNTRY = {"JP": (0, 1, 2), "US": (3, 4), "CN": (5,), "DE": (6,), "FR": (7,), "GB": (8,), "KR": (9,)}


class Venues:
    """Sources (journals per field, conferences per field, shared repositories, book series)."""

    def __init__(self, w: World) -> None:
        tax = w.tax
        F = len(tax.field_ids)
        n_j, n_c, n_b = 24, 4, 3
        names, types, field, weights, core = [], [], [], [], []
        for fi in range(F):
            fname = tax.field_names[fi]
            sfs = tax.field_subfields[fi]
            for k in range(n_j):
                sf = tax.subfield_names[sfs[k % len(sfs)]]
                pat = ("Journal of {s}", "International Journal of {s}", "{s} Letters", "Advances in {s}",
                       "{s} Reviews", "Annals of {s}")[(k // len(sfs)) % 6]
                nm = pat.format(s=sf)
                if k >= len(sfs) * 6:
                    nm = f"{nm} {k}"
                names.append(nm)
                types.append(0)
                field.append(fi)
                weights.append(1.0 / (k + 1) ** 0.8)
                core.append(k < int(n_j * 0.7))
            for k in range(n_c):
                sf = tax.subfield_names[sfs[k % len(sfs)]]
                names.append(f"Proceedings of the International Conference on {sf}" + (f" {k}" if k >= len(sfs) else ""))
                types.append(1)
                field.append(fi)
                weights.append(1.0 / (k + 1))
                core.append(False)
            for k in range(n_b):
                names.append(f"Lecture Notes in {fname}" + (f" {k + 1}" if k else ""))
                types.append(3)
                field.append(fi)
                weights.append(1.0 / (k + 1))
                core.append(False)
        for nm in ("arXiv (simulated)", "bioRxiv (simulated)", "SSRN (simulated)"):
            names.append(nm)
            types.append(2)
            field.append(-1)
            weights.append(1.0)
            core.append(False)
        self.names = names
        self.type = np.array(types)
        self.field = np.array(field)
        self.weight = np.array(weights)
        self.core = core
        self.ids = [f"https://openalex.org/S{4_200_000_000 + (k * 7_919 + 101) % 99_000_000}" for k in range(len(names))]
        from .geo import issn_with_check

        self.issn = [issn_with_check(1_000_000 + k * 7_777) if types[k] in (0, 3) else None for k in range(len(names))]
        self.doi_prefix = [f"10.{1000 + (k * 37) % 8999}" for k in range(len(names))]
        # lookup: for (field, source type) the source indices and cdf
        self.groups: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for fi in range(F):
            for st in (0, 1, 3):
                idx = np.flatnonzero((self.field == fi) & (self.type == st))
                cw = np.cumsum(self.weight[idx])
                self.groups[(fi, st)] = (idx, cw / cw[-1])
        idx = np.flatnonzero(self.type == 2)
        self.repos = idx


def build_venues(w: World) -> Venues:
    return Venues(w)


def _pick1(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def _negbin(rng: np.random.Generator, mean: np.ndarray, shape: float = 2.0) -> np.ndarray:
    lam = rng.gamma(shape, 1.0 / shape, len(mean)) * mean
    return rng.poisson(lam)


def build_teams(w: World, t: np.ndarray, f: np.ndarray, rng: np.random.Generator):
    """Authors of n works (generated order): lead, co-authors by country, planted program effects.
    Returns (a_paper, a_res, a_ord, in_grant, lead, hyper, paper_cite), authorships sorted by (paper, order)."""
    n = len(t)
    # ---------------------------------------------------------------- teams (generated order)
    k, hyper = team_sizes(w, f, t, rng)
    lead = np.empty(n, dtype=np.int64)
    co_paper, co_res = [], []
    for tv in np.unique(t):
        sel = np.flatnonzero(t == tv)
        lead[sel] = draw_leads(w, int(tv), f[sel], rng.random(len(sel)))
        lc = w.country[lead[sel], tv].astype(np.int64)
        paper, cc, _ = team_countries(w, lc, k[sel], hyper[sel], int(tv), w.q_logit, rng)
        res = draw_researchers(w, int(tv), cc, f[sel][paper], rng.random(len(paper)))
        co_paper.append(sel[paper])
        co_res.append(res)
    co_paper = np.concatenate(co_paper) if co_paper else np.zeros(0, np.int64)
    co_res = np.concatenate(co_res) if co_res else np.zeros(0, np.int64)
    a_paper = np.concatenate([np.arange(n), co_paper])
    a_res = np.concatenate([lead, co_res])
    a_ord = np.concatenate([np.zeros(n, np.int64), np.arange(1, len(co_paper) + 1)])

    # ---------------------------------------------------------------- planted program effects
    year_a = w.years[t[a_paper]]
    pg = w.prog[a_res]
    intl_b = np.zeros(len(a_res))
    cite_b = np.zeros(len(a_res))
    in_eff = np.zeros(len(a_res), dtype=bool)
    in_grant = np.zeros(len(a_res), dtype=bool)
    memb = np.flatnonzero(pg >= 0)
    for pi, prog in enumerate(w.programs):
        sel = memb[pg[memb] == pi]
        if len(sel) == 0:
            continue
        row = w.prog_member_row[a_res[sel]]
        y = year_a[sel]
        eff = (y >= prog.effect_start[row]) & (y <= prog.effect_end[row])
        in_eff[sel] = eff
        intl_b[sel] = np.where(eff, prog.spec.intl_boost, 0.0)
        cite_b[sel] = np.where(eff, prog.spec.cite_boost, 0.0)
        in_grant[sel] = (y >= prog.start[row]) & (y <= prog.end[row]) & (prog.spec.funder is not None)
    paper_intl = np.zeros(n)
    np.maximum.at(paper_intl, a_paper, intl_b)
    paper_cite = np.zeros(n)
    np.maximum.at(paper_cite, a_paper, cite_b)
    add = np.flatnonzero(rng.random(n) < paper_intl)
    if len(add):
        # the extra foreign co-author comes from a partner country of the member's current country
        best = np.full(n, -1, dtype=np.int64)
        order_b = np.lexsort((-intl_b, a_paper))
        firsts = order_b[np.r_[True, a_paper[order_b][1:] != a_paper[order_b][:-1]]]
        best[a_paper[firsts]] = a_res[firsts]
        mres = best[add]
        ex_res = np.empty(len(add), dtype=np.int64)
        for tv in np.unique(t[add]):
            s2 = np.flatnonzero(t[add] == tv)
            mc = w.country[mres[s2], tv].astype(np.int64)
            dc = cdf_pick_rows(w.partner_cdf, mc, rng.random(len(s2)))
            ex_res[s2] = draw_researchers(w, int(tv), dc, f[add[s2]], rng.random(len(s2)))
        a_paper = np.concatenate([a_paper, add])
        a_res = np.concatenate([a_res, ex_res])
        a_ord = np.concatenate([a_ord, len(a_ord) + np.arange(len(add))])
        in_grant = np.concatenate([in_grant, np.zeros(len(add), bool)])
    # drop duplicate researchers on a paper (keep the earliest slot)
    o = np.lexsort((a_ord, a_res, a_paper))
    dup = np.r_[False, (a_paper[o][1:] == a_paper[o][:-1]) & (a_res[o][1:] == a_res[o][:-1])]
    keep = np.sort(o[~dup])
    a_paper, a_res, a_ord, in_grant = a_paper[keep], a_res[keep], a_ord[keep], in_grant[keep]

    return a_paper, a_res, a_ord, in_grant, lead, hyper, paper_cite


def generate_chunk(w: World, venues: Venues, ci: int, tmpdir: Path) -> dict:
    p = w.params
    rng = np.random.default_rng([p.seed, 1, ci])
    sb0, sb1 = int(w.chunk_sb[ci]), int(w.chunk_sb[ci + 1])
    g0, g1 = int(w.chunk_start[ci]), int(w.chunk_start[ci + 1])
    n = g1 - g0
    sizes = w.sb_size[sb0:sb1]
    sb = np.repeat(np.arange(sb0, sb1), sizes)
    t = w.sb_year[sb]
    f = w.sb_field[sb]
    T = len(w.years)
    F = len(w.tax.field_ids)

    a_paper, a_res, a_ord, in_grant, lead, hyper, paper_cite = build_teams(w, t, f, rng)

    # ---------------------------------------------------------------- rank by citation attractiveness
    z = rng.standard_normal(n) + paper_cite
    order = np.lexsort((-z, sb))  # generated index at each position
    pos_of = np.empty(n, dtype=np.int64)
    pos_of[order] = np.arange(n)
    a_paper = pos_of[a_paper]
    o = np.lexsort((a_ord, a_paper))
    a_paper, a_res, in_grant = a_paper[o], a_res[o], in_grant[o]
    lead = lead[order]
    hyper = hyper[order]
    paper_cite = paper_cite[order]
    a_start = np.searchsorted(a_paper, np.arange(n + 1))
    a_t = t[a_paper]
    a_year = w.years[a_t]
    a_country = w.country[a_res, a_t]
    if (a_country == NO_COUNTRY).any():
        raise AssertionError("inactive researcher drawn as author")

    # ---------------------------------------------------------------- topics, types, venues, dates
    nsub = np.array([len(s) for s in w.tax.field_subfields])
    sub_first = np.array([s[0] for s in w.tax.field_subfields])
    lead_sub = w.rsub[lead].astype(np.int64)
    same = w.rfield[lead] == f
    rnd_sub = sub_first[f] + np.floor(rng.random(n) * nsub[f]).astype(np.int64)
    subf = np.where(same, lead_sub, rnd_sub)
    ntop = len(w.tax.subfield_topics[0])
    tw = 1.0 / np.arange(1, ntop + 1)
    tk = _pick1(np.cumsum(tw / tw.sum()), rng.random(n))
    topic = subf * ntop + tk
    front_lo, front_hi = np.searchsorted(w.fronts["work"], [g0, g1])
    fw = w.fronts["work"][front_lo:front_hi] - g0
    ftopic = w.fronts["topic_of_front"][w.fronts["front"][front_lo:front_hi]]
    topic[fw] = ftopic
    subf = np.array(w.tax.topic_subfield)[topic]
    tcdf = np.cumsum([s for _, s in p.type_shares])
    wtype = _pick1(tcdf / tcdf[-1], rng.random(n))
    wtype[np.isin(np.arange(n), fw)] = 0  # front papers are journal articles
    stype = np.array(_TYPE_SOURCE)[wtype]
    source = np.empty(n, dtype=np.int64)
    us = rng.random(n)
    for fi in np.unique(f):
        for st in (0, 1, 3):
            sel = np.flatnonzero((f == fi) & (stype == st))
            if len(sel):
                idx, cw = venues.groups[(int(fi), st)]
                source[sel] = idx[np.minimum(np.searchsorted(cw, us[sel], side="right"), len(idx) - 1)]
    rep = np.flatnonzero(stype == 2)
    source[rep] = venues.repos[np.minimum((us[rep] * len(venues.repos)).astype(np.int64), len(venues.repos) - 1)]
    doy = np.floor(rng.random(n) * 365).astype(np.int64)
    has_doi = (rng.random(n) < p.doi_share) | (stype == 0)
    lead_c = w.country[lead, t]
    lang_u = rng.random(n)
    lang = np.zeros(n, dtype=np.int8)  # 0 en, 1 zh, 2 ja, 3 de, 4 fr, 5 es, 6 pt
    cn, jp = w.geo.index("CN"), w.geo.index("JP")
    lang[(lead_c == cn) & (lang_u < 0.08)] = 1
    lang[(lead_c == jp) & (lang_u < 0.06)] = 2
    other = (lang == 0) & (lang_u > 0.985)
    lang[other] = 3 + (np.floor(rng.random(int(other.sum())) * 4)).astype(np.int8)
    retracted = rng.random(n) < 0.0005
    paratext = rng.random(n) < 0.002

    # ---------------------------------------------------------------- references (position space)
    refs_mean = np.array(w.tax.field_refs)[f] * w.refs_avail[t] * _TYPE_REF_FACTOR[wtype]
    refs_mean *= 0.85 + 0.3 * (t / max(T - 1, 1))
    nref = _negbin(rng, refs_mean)
    nref[rng.random(n) < p.refs_zero_share] = 0
    c_pos = np.repeat(np.arange(n), nref)
    m = len(c_pos)
    cf = f[c_pos].copy()
    cross = rng.random(m) < p.cross_field_ref_share
    fs = np.array(w.tax.field_share)
    cf[cross] = _pick1(np.cumsum(fs / fs.sum()), rng.random(int(cross.sum())))
    ct = t[c_pos]
    T_, F_ = w.refs_year_cdf.shape[:2]
    cy = cdf_pick_rows(w.refs_year_cdf.reshape(T_ * F_, -1), ct * F_ + cf, rng.random(m))
    nb = w.block_n[cy, cf]
    ok = nb > 0
    c_pos, cf, cy, nb = c_pos[ok], cf[ok], cy[ok], nb[ok]
    uq = rng.random(len(c_pos)) ** (1.0 / (1.0 - p.fitness_alpha))
    rank = np.minimum((uq * np.maximum(nb * (1.0 - p.never_cited_share), 1.0)).astype(np.int64), nb - 1)
    parts = w.block_parts[cy, cf]
    cited = w.part_offset[cy, cf, rank % parts] + rank // parts
    e_lo, e_hi = np.searchsorted(w.fronts["edge_citing"], [g0, g1])
    citing_g = np.concatenate([c_pos + g0, w.fronts["edge_citing"][e_lo:e_hi]])
    cited = np.concatenate([cited, w.fronts["edge_cited"][e_lo:e_hi]])
    keep = citing_g != cited
    big = np.int64(int(w.chunk_start[-1]) + 1)
    key = unique_sorted(citing_g[keep] * big + cited[keep])
    ref_citing = key // big - g0
    ref_cited = key % big
    ref_start = np.searchsorted(ref_citing, np.arange(n + 1))
    # edges for the citation count phase, bucketed by the chunk of the cited work
    eo = np.argsort(ref_cited, kind="stable")
    e_cited = ref_cited[eo]
    e_year = w.years[t[ref_citing[eo]]].astype(np.int16)
    e_offs = np.searchsorted(e_cited, w.chunk_start)
    np.savez(tmpdir / f"edges_{ci:06d}.npz", cited=e_cited, year=e_year, offs=e_offs)

    # ---------------------------------------------------------------- affiliations and gaps
    na = len(a_res)
    noinst = rng.random(na) < w.no_inst_prob[a_t]
    raw_only = noinst & (rng.random(na) < 0.5)
    inst1 = w.inst_of(a_res, a_country.astype(np.int64))
    s_inst = w.sec_inst[a_res]
    show2 = (s_inst >= 0) & (w.sec_start[a_res] <= a_year) & (w.sec_end[a_res] >= a_year) & (~noinst)
    show2 &= rng.random(na) < p.secondary_show_prob
    show2 &= s_inst != inst1
    inst2 = np.where(show2, s_inst, -1)
    slot = w.slots_for(a_res, a_year)
    corr = np.zeros(na, dtype=bool)
    corr[a_start[:-1]] = True
    last_idx = a_start[1:] - 1
    extra_corr = (rng.random(n) < 0.15) & (last_idx > a_start[:-1])
    corr[last_idx[extra_corr]] = True

    # ---------------------------------------------------------------- funding
    base_fund = np.full(n, -1, dtype=np.int64)
    uf = rng.random(n)
    fund_p = rng.random(n) < p.base_funding_prob
    for code, fidx in _FUNDER_W_BY_COUNTRY.items():
        if code not in w.geo.iso2:
            continue
        sel = np.flatnonzero(fund_p & (lead_c == w.geo.index(code)))
        base_fund[sel] = np.array(fidx)[np.minimum((uf[sel] * len(fidx)).astype(np.int64), len(fidx) - 1)]
    eu = fund_p & (base_fund < 0) & (uf < 0.15)
    base_fund[eu] = len(FUNDERS) - 1
    ga = np.flatnonzero(in_grant)
    grant_paper = a_paper[ga]
    grant_res = a_res[ga]

    path = tmpdir / f"chunk_{ci:06d}.npz"
    np.savez(
        path, t=t, f=f, subf=subf, topic=topic, wtype=wtype, source=source, doy=doy, has_doi=has_doi, lang=lang,
        retracted=retracted, paratext=paratext, hyper=hyper, paper_cite=paper_cite,
        a_start=a_start, a_res=a_res, a_slot=slot, a_country=a_country, noinst=noinst, raw_only=raw_only,
        inst1=inst1, inst2=inst2, corr=corr, ref_start=ref_start, ref_cited=ref_cited, base_fund=base_fund,
        grant_paper=grant_paper, grant_res=grant_res,
    )
    # per-block totals of references received (for diagnostics)
    return {"chunk": ci, "works": n, "authorships": na, "references": int(len(ref_cited)),
            "blocks": (np.bincount(cy * F + cf, minlength=T * F) if len(cy) else np.zeros(T * F, np.int64))}
