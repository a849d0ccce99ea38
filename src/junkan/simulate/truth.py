"""Ground-truth tables written beside the simulated snapshot (Parquet) and the cohort CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from junkan.simulate.geo import orcid_id
from junkan.simulate.world import MOVE_KINDS, NO_COUNTRY, World
from junkan.simulate.writer import _Cache, author_id, researcher_name, work_id

__all__ = ["write_truth", "person_id"]


def person_id(r: int) -> str:
    return f"SIM-P{r:09d}"


def _write(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=True)


def write_truth(w: World, cache: _Cache, out: Path, agg: dict) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    p = w.params
    geo = w.geo
    iso = np.array(geo.iso2 + [None], dtype=object)
    R = w.n_researchers
    T = len(w.years)
    counts: dict[str, int] = {}
    main_slot = w.slot_of
    aid = np.array([author_id(int(s)) for s in main_slot], dtype=object)
    pid = np.array([person_id(r) for r in range(R)], dtype=object)

    # researcher_years
    rr, tt = np.nonzero(w.country != NO_COUNTRY)
    c = w.country[rr, tt].astype(np.int64)
    yrs = w.years[tt]
    inst = w.inst_of(rr, c)
    any_mask = agg["any_mask"][rr]
    has_works = ((any_mask >> tt) & 1).astype(bool)
    split_late = (w.split_year[rr] > 0) & (yrs >= w.split_year[rr])
    shown = aid[rr].copy()
    if split_late.any():
        shown[split_late] = [author_id(int(s)) for s in w.split_slot[rr[split_late]]]
    ry = pa.table({
        "person_id": pa.array(pid[rr], pa.string()),
        "author_id": pa.array(shown, pa.string()),
        "year": pa.array(yrs, pa.int32()),
        "true_country": pa.array(iso[c], pa.string()),
        "home_country": pa.array(iso[w.home[rr].astype(np.int64)], pa.string()),
        "is_abroad": pa.array(c != w.home[rr], pa.bool_()),
        "is_active": pa.array(np.ones(len(rr), bool), pa.bool_()),
        "has_works": pa.array(has_works, pa.bool_()),
        "institution_id": pa.array(np.array(geo.inst_id, dtype=object)[inst], pa.string()),
        "field_id": pa.array(np.array(w.tax.field_ids)[w.rfield[rr]], pa.int32()),
    })
    _write(ry, out / "researcher_years.parquet")
    counts["researcher_years"] = ry.num_rows

    # moves
    mv = w.moves
    mr, my = mv["r"], mv["year"]
    mt = my - p.start_year
    to_inst = w.inst_of(mr, mv["to"].astype(np.int64))
    prim = agg["prim_mask"][mr]
    obs_to = ((prim >> mt) & 1).astype(bool) & geo.inst_country_known[to_inst]
    m_shown = aid[mr].copy()
    late = (w.split_year[mr] > 0) & (my >= w.split_year[mr])
    if late.any():
        m_shown[late] = [author_id(int(s)) for s in w.split_slot[mr[late]]]
    moves = pa.table({
        "person_id": pa.array(pid[mr], pa.string()),
        "author_id": pa.array(m_shown, pa.string()),
        "year": pa.array(my, pa.int32()),
        "from_country": pa.array(iso[mv["from"]], pa.string()),
        "to_country": pa.array(iso[mv["to"]], pa.string()),
        "kind": pa.array(np.array(MOVE_KINDS, dtype=object)[mv["kind"]], pa.string()),
        "to_institution_id": pa.array(np.array(geo.inst_id, dtype=object)[to_inst], pa.string()),
        "observable_in_year": pa.array(obs_to, pa.bool_()),
    })
    _write(moves, out / "moves.parquet")
    counts["moves"] = moves.num_rows

    # fronts
    fr = w.fronts
    meta = fr["meta"]
    kinds = np.array([m[2] for m in meta], dtype=object)
    fid_field = np.array([w.tax.field_ids[m[3]] for m in meta])
    ftopic = np.array([w.tax.topic_ids[m[4]] for m in meta])
    ws = np.array([m[5] for m in meta])
    we = np.array([m[6] for m in meta])
    fi = fr["front"]
    fronts = pa.table({
        "work_id": pa.array([work_id(int(g)) for g in fr["work"]], pa.string()),
        "front_id": pa.array(fi, pa.int32()),
        "lineage_id": pa.array(fr["lineage"], pa.int32()),
        "role": pa.array(np.where(fr["role"] == 0, "core", "citing").astype(object), pa.string()),
        "kind": pa.array(kinds[fi] if len(fi) else [], pa.string()),
        "window": pa.array([f"{a}-{b}" for a, b in zip(ws[fi], we[fi])], pa.string()),
        "window_start": pa.array(ws[fi] if len(fi) else [], pa.int32()),
        "window_end": pa.array(we[fi] if len(fi) else [], pa.int32()),
        "field_id": pa.array(fid_field[fi] if len(fi) else [], pa.int32()),
        "topic_id": pa.array([f"T{x}" for x in ftopic[fi]] if len(fi) else [], pa.string()),
    })
    _write(fronts, out / "fronts.parquet")
    counts["fronts"] = len(meta)
    counts["front_rows"] = fronts.num_rows

    # cohorts, programs and the cohort CSV files
    rows = {k: [] for k in ("person_id", "author_id", "orcid", "name", "program", "program_kind", "start", "end",
                            "host_country", "host_institution_id", "home_country", "field_id", "effect_start",
                            "effect_end", "intl_boost", "cite_boost", "award_id", "works_in_world")}
    (out.parent / "cohorts").mkdir(parents=True, exist_ok=True)
    prow = {k: [] for k in ("program_id", "name", "kind", "country", "funder", "members", "duration_years",
                            "intl_boost", "cite_boost", "effect_after_years", "young_max_years", "effect")}
    for prog in w.programs:
        sp = prog.spec
        mem = prog.members
        host_inst = w.inst_of(mem, prog.host_country.astype(np.int64))
        csv_rows = []
        for j, r in enumerate(mem.tolist()):
            a = author_id(int(w.slot_of[r]))
            orc = f"https://orcid.org/{orcid_id(r)}" if w.has_orcid[r] else None
            nm = researcher_name(cache, int(w.name_group[r]), int(w.name_first[r]), int(w.name_last[r]))
            hi = geo.inst_id[int(host_inst[j])]
            vals = dict(person_id=person_id(r), author_id=a, orcid=orc, name=nm, program=sp.program_id,
                        program_kind=sp.kind, start=int(prog.start[j]), end=int(prog.end[j]),
                        host_country=geo.iso2[int(prog.host_country[j])], host_institution_id=hi,
                        home_country=geo.iso2[int(w.home[r])], field_id=int(w.tax.field_ids[int(w.rfield[r])]),
                        effect_start=int(prog.effect_start[j]), effect_end=int(prog.effect_end[j]),
                        intl_boost=float(sp.intl_boost), cite_boost=float(sp.cite_boost),
                        award_id=prog.award[j] or None, works_in_world=int(agg["works"][w.slot_of[r]]))
            for k, v in vals.items():
                rows[k].append(v)
            csv_rows.append([person_id(r), orc[18:] if orc else "", a[21:], nm, sp.program_id, int(prog.start[j]),
                             int(prog.end[j]), geo.inst_name[int(host_inst[j])], geo.iso2[int(prog.host_country[j])],
                             w.tax.field_names[int(w.rfield[r])]])
        with open(out.parent / "cohorts" / f"{sp.program_id}.csv", "w", newline="", encoding="utf-8") as fh:
            cw = csv.writer(fh, lineterminator="\n")
            cw.writerow(["person_id", "orcid", "openalex_author_id", "name", "program", "start", "end",
                         "host_institution", "host_country", "field"])
            cw.writerows(csv_rows)
        eff = ("none (null cohort)" if sp.kind == "null" else
               f"P(extra foreign co-author)={sp.intl_boost}; latent citation score +{sp.cite_boost} SD; from start "
               + ("to end of career" if sp.effect_after_years < 0 else f"to end + {sp.effect_after_years} years"))
        for k, v in dict(program_id=sp.program_id, name=sp.name, kind=sp.kind, country=sp.country, funder=sp.funder,
                         members=len(mem), duration_years=sp.duration, intl_boost=sp.intl_boost,
                         cite_boost=sp.cite_boost, effect_after_years=sp.effect_after_years,
                         young_max_years=sp.young_max_years, effect=eff).items():
            prow[k].append(v)
    _write(pa.table(rows), out / "cohorts.parquet")
    _write(pa.table(prow), out / "programs.parquet")
    counts["cohort_members"] = len(rows["person_id"])

    # author identity gaps
    sp_r = np.flatnonzero(w.split_year > 0)
    mg_r = np.flatnonzero(w.merge_into >= 0)
    gaps = pa.table({
        "kind": pa.array(["split"] * len(sp_r) + ["merge"] * len(mg_r), pa.string()),
        "person_id": pa.array([person_id(int(r)) for r in sp_r] + [person_id(int(r)) for r in mg_r], pa.string()),
        "author_id": pa.array([author_id(int(r)) for r in sp_r] + [author_id(int(w.merge_into[r])) for r in mg_r], pa.string()),
        "other_author_id": pa.array([author_id(int(w.split_slot[r])) for r in sp_r] + [None] * len(mg_r), pa.string()),
        "other_person_id": pa.array([None] * len(sp_r) + [person_id(int(w.merge_into[r])) for r in mg_r], pa.string()),
        "from_year": pa.array([int(w.split_year[r]) for r in sp_r] + [None] * len(mg_r), pa.int32()),
        "note": pa.array(["works from from_year on carry other_author_id"] * len(sp_r)
                         + ["works of person_id carry the id of other_person_id (namesakes merged)"] * len(mg_r), pa.string()),
    })
    _write(gaps, out / "author_splits.parquet")
    counts["author_splits"] = len(sp_r)
    counts["author_merges"] = len(mg_r)

    # calibration targets
    trows = {k: [] for k in ("name", "country", "year", "target", "source", "tolerance", "tolerance_kind", "measure")}

    def add(name, country, year, target, source, tol, kind, measure):
        for k, v in zip(trows, (name, country, year, target, source, tol, kind, measure)):
            trows[k].append(v)

    for code, v in p.intl_targets:
        add("intl_coauthorship_share", code, p.intl_target_year, float(v),
            "NISTEP S&T Indicators 2024 (RM-341), 2022, whole counting, WoS SCIE", 0.05, "absolute",
            "share of the country's works (whole counting) with >= 2 distinct non-null institution country codes")
    tpop = geo.pop.sum(axis=0)
    for code in ("CN", "US", "JP", "IN", "DE", "GB", "KR", "FR"):
        ci = geo.index(code)
        for y in (2000, 2010, 2020):
            if p.start_year <= y <= p.end_year and (code, y) in geo.mpidr_scopus:
                t = y - p.start_year
                add("output_share", code, y, float(geo.pop[ci, t] / tpop[t]),
                    "MPIDR Scholarly Migration Database, Scopus padded researcher population share (shape of output)",
                    0.25, "relative", "share of the year's works with the country among author countries, fractional by country (expected to track)")
        for y in (2010, 2018):
            if p.start_year < y <= p.end_year and (code, y) in geo.mpidr_scopus:
                add("true_out_migration_rate", code, y, float(geo.out_rate[ci, y - p.start_year] * p.mobility_scale),
                    "MPIDR Scholarly Migration Database, Scopus out-migration rate (planted as the true rate of stayers at home)",
                    0.5, "relative", "truth/moves outflows+onward from the country / truth/researcher_years active in the country and previous year")
            if (code, y) in geo.mpidr_openalex and p.start_year <= y <= p.end_year:
                add("published_out_migration_rate_openalex", code, y, float(geo.mpidr_openalex[(code, y)][1]),
                    "MPIDR Scholarly Migration Database, OpenAlex out-migration rate (published reference, not planted)",
                    None, "reference", "observed modal-country migration rate computed from works")
    _write(pa.table({
        "name": pa.array(trows["name"], pa.string()), "country": pa.array(trows["country"], pa.string()),
        "year": pa.array(trows["year"], pa.int32()), "target": pa.array(trows["target"], pa.float64()),
        "source": pa.array(trows["source"], pa.string()), "tolerance": pa.array(trows["tolerance"], pa.float64()),
        "tolerance_kind": pa.array(trows["tolerance_kind"], pa.string()), "measure": pa.array(trows["measure"], pa.string()),
    }), out / "targets.parquet")
    counts["targets"] = len(trows["name"])
    _ = T
    return counts
